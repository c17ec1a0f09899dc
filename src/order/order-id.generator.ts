import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';

/** 2022-01-01T00:00:00Z, hm-dianping's RedisIdWorker epoch. */
export const ID_EPOCH_SECONDS = 1_640_995_200;
const SEQUENCE_BITS = 32n;
/** A day's sequence key outlives the day, then goes. */
const SEQUENCE_KEY_TTL_SECONDS = 2 * 24 * 3600;

/**
 * Globally unique, roughly time-ordered 64-bit ids that do not reveal order
 * volume through AUTO_INCREMENT: seconds since the epoch in the high 32 bits,
 * a per-day Redis sequence in the low 32 (4 billion orders a day).
 */
export function composeOrderId(epochSeconds: number, sequence: number): string {
  if (epochSeconds < ID_EPOCH_SECONDS || sequence < 1 || sequence >= 2 ** 32) {
    throw new RangeError(
      `cannot compose an order id from ${epochSeconds}s and sequence ${sequence}`,
    );
  }
  return ((BigInt(epochSeconds - ID_EPOCH_SECONDS) << SEQUENCE_BITS) | BigInt(sequence)).toString();
}

/** `2026:11:24` for a UTC day, as the sequence key suffix. */
export function sequenceDay(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', ':');
}

/**
 * The day's next sequence number, and the key's expiry set again with it: one
 * command (one round trip and one client call per id), and no key is ever left
 * without an expiry.
 */
const NEXT_SEQUENCE_SCRIPT = `
local sequence = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
return sequence
`;

interface SequenceCommand {
  nextOrderSequence(key: string, ttlSeconds: number): Promise<number>;
}

@Injectable()
export class OrderIdGenerator {
  private readonly redis: Redis & SequenceCommand;

  constructor(@Inject(REDIS) redis: Redis) {
    redis.defineCommand('nextOrderSequence', { numberOfKeys: 1, lua: NEXT_SEQUENCE_SCRIPT });
    this.redis = redis as Redis & SequenceCommand;
  }

  async next(now = new Date()): Promise<string> {
    const key = RedisKeys.orderIdSequence(sequenceDay(now));
    const sequence = await this.redis.nextOrderSequence(key, SEQUENCE_KEY_TTL_SECONDS);
    return composeOrderId(Math.floor(now.getTime() / 1000), sequence);
  }
}
