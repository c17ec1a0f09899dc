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

@Injectable()
export class OrderIdGenerator {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async next(now = new Date()): Promise<string> {
    const key = RedisKeys.orderIdSequence(sequenceDay(now));
    // Both in one round trip (auto-pipelining); EXPIRE every time, so no key is left without one.
    const [sequence] = await Promise.all([
      this.redis.incr(key),
      this.redis.expire(key, SEQUENCE_KEY_TTL_SECONDS),
    ]);
    return composeOrderId(Math.floor(now.getTime() / 1000), sequence);
  }
}
