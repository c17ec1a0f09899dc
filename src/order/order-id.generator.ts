import { Inject, Injectable } from '@nestjs/common';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { MAX_STREAM_SHARDS, RedisKeys, SHARD_BITS } from '../redis/redis-keys';

/** 2022-01-01T00:00:00Z, hm-dianping's RedisIdWorker epoch. */
export const ID_EPOCH_SECONDS = 1_640_995_200;
const SEQUENCE_BITS = 32n;
/** A day's sequence key outlives the day, then goes. */
const SEQUENCE_KEY_TTL_SECONDS = 2 * 24 * 3600;

/** A shard's sequence numbers of one day: 2^26, 67 million orders per shard and day. */
export const MAX_SEQUENCE = 2 ** (32 - SHARD_BITS);

/**
 * Globally unique, roughly time-ordered 64-bit ids that do not reveal order
 * volume through AUTO_INCREMENT: seconds since the epoch in the high 32 bits,
 * in the low 32 a per-day, per-shard Redis sequence (26 bits) and the shard
 * (SHARD_BITS = 6, see RedisKeys): shards draw from sequences of their own (one
 * slot each on a Redis Cluster) and never draw the same id.
 */
export function composeOrderId(epochSeconds: number, sequence: number, shard = 0): string {
  if (
    epochSeconds < ID_EPOCH_SECONDS ||
    sequence < 1 ||
    sequence >= MAX_SEQUENCE ||
    shard < 0 ||
    shard >= MAX_STREAM_SHARDS
  ) {
    throw new RangeError(
      `cannot compose an order id from ${epochSeconds}s, sequence ${sequence} and shard ${shard}`,
    );
  }
  const low = (BigInt(sequence) << BigInt(SHARD_BITS)) | BigInt(shard);
  return ((BigInt(epochSeconds - ID_EPOCH_SECONDS) << SEQUENCE_BITS) | low).toString();
}

/** `2026:11:24` for a UTC day, as the sequence key suffix. */
export function sequenceDay(date: Date): string {
  return date.toISOString().slice(0, 10).replaceAll('-', ':');
}

const DAY_MS = 24 * 3600 * 1000;
/** The last day's key, remembered: every admitted order needs it (toISOString per order showed). */
let lastDay = { number: NaN, day: '' };

function sequenceKeyOf(now: Date, shard: number): string {
  const day = Math.floor(now.getTime() / DAY_MS);
  if (day !== lastDay.number) lastDay = { number: day, day: sequenceDay(now) };
  return RedisKeys.orderIdSequence(lastDay.day, shard);
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

export function orderIdSequenceAt(now: Date, shard = 0): OrderIdSequence {
  const epochSeconds = Math.floor(now.getTime() / 1000) - ID_EPOCH_SECONDS;
  if (epochSeconds < 0 || epochSeconds >= 2 ** 32) {
    throw new RangeError(`cannot compose an order id at ${now.toISOString()}`);
  }
  return {
    key: sequenceKeyOf(now, shard),
    keyTtlSeconds: SEQUENCE_KEY_TTL_SECONDS,
    epochSeconds,
  };
}

/**
 * Lua, for scripts that draw an order id themselves (the async admission):
 * `next_order_id(sequenceKey, keyTtlSeconds, epochSeconds, shard)` returns the
 * id as a decimal string, equal to composeOrderId's, or raises an error when
 * the shard's sequence of the day is spent. Lua numbers are doubles and an id exceeds 2^53, so it is
 * assembled in decimal: high * 2^32 + sequence = (a * 2^32 * 10^4) + (b * 2^32
 * + sequence) with high = a * 10^4 + b, every term below 2^53.
 */
export const NEXT_ORDER_ID_LUA = `
local function next_order_id(key, ttl, high, shard)
  local sequence = redis.call('INCR', key)
  redis.call('EXPIRE', key, ttl)
  if sequence >= ${MAX_SEQUENCE} then return redis.error_reply('order id sequence of the day is spent') end
  sequence = sequence * ${MAX_STREAM_SHARDS} + tonumber(shard)
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
  private readonly redis: RedisClient & SequenceCommand;

  constructor(@Inject(REDIS) redis: RedisClient) {
    redis.defineCommand('nextOrderSequence', { numberOfKeys: 1, lua: NEXT_SEQUENCE_SCRIPT });
    this.redis = redis as RedisClient & SequenceCommand;
  }

  /** An id of shard 0 (the sync path: any shard's sequence would do, one is enough). */
  async next(now = new Date()): Promise<string> {
    const { key, keyTtlSeconds, epochSeconds } = orderIdSequenceAt(now);
    const sequence = await this.redis.nextOrderSequence(key, keyTtlSeconds);
    return composeOrderId(epochSeconds + ID_EPOCH_SECONDS, sequence);
  }
}
