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

const DAY_MS = 24 * 3600 * 1000;
/** The last day's key, remembered: every admitted order needs it (toISOString per order showed). */
let lastDay = { number: NaN, key: '' };

function sequenceKeyOf(now: Date): string {
  const day = Math.floor(now.getTime() / DAY_MS);
  if (day !== lastDay.number) {
    lastDay = { number: day, key: RedisKeys.orderIdSequence(sequenceDay(now)) };
  }
  return lastDay.key;
}

/** Where an id drawn at `now` takes its sequence from, and its high 32 bits. */
export interface OrderIdSequence {
  /** The day's sequence key (UTC day). */
  key: string;
  /** The key's expiry, set again with every id. */
  keyTtlSeconds: number;
  /** Whole seconds since the id epoch: the id's high 32 bits. */
  epochSeconds: number;
}

export function orderIdSequenceAt(now: Date): OrderIdSequence {
  const epochSeconds = Math.floor(now.getTime() / 1000) - ID_EPOCH_SECONDS;
  if (epochSeconds < 0 || epochSeconds >= 2 ** 32) {
    throw new RangeError(`cannot compose an order id at ${now.toISOString()}`);
  }
  return {
    key: sequenceKeyOf(now),
    keyTtlSeconds: SEQUENCE_KEY_TTL_SECONDS,
    epochSeconds,
  };
}

/**
 * Lua, for scripts that draw an order id themselves (the async admission):
 * `next_order_id(sequenceKey, keyTtlSeconds, epochSeconds)` returns the id as a
 * decimal string, equal to composeOrderId's, or raises an error when the day's
 * sequence is spent. Lua numbers are doubles and an id exceeds 2^53, so it is
 * assembled in decimal: high * 2^32 + sequence = (a * 2^32 * 10^4) + (b * 2^32
 * + sequence) with high = a * 10^4 + b, every term below 2^53.
 */
export const NEXT_ORDER_ID_LUA = `
local function next_order_id(key, ttl, high)
  local sequence = redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
  if sequence >= 4294967296 then return redis.error_reply('order id sequence of the day is spent') end
  high = tonumber(high)
  local low = (high % 10000) * 4294967296 + sequence
  local top = math.floor(high / 10000) * 4294967296 + math.floor(low / 10000)
  if top == 0 then return string.format('%d', low % 10000) end
  return string.format('%.0f', top) .. string.format('%04d', low % 10000)
end
`;

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
    const { key, keyTtlSeconds, epochSeconds } = orderIdSequenceAt(now);
    const sequence = await this.redis.nextOrderSequence(key, keyTtlSeconds);
    return composeOrderId(epochSeconds + ID_EPOCH_SECONDS, sequence);
  }
}
