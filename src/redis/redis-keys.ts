/**
 * Order stream shards (async mode, and the order-id sequences of both modes).
 *
 * Every key that a Lua script or a MULTI touches together carries the hash tag
 * of one shard, `{s<n>}`, so that on a Redis Cluster they live in one slot: a
 * voucher's stock, buyers and window, the shard's order stream and dead
 * letters, its order-id sequence and the state of the orders it admitted.
 * Voucher v is in shard v mod ASYNC_STREAM_SHARDS; an order id carries its
 * shard in its lowest SHARD_BITS bits, so its state key is found from the id
 * alone. On one Redis the tags are harmless (ASYNC_STREAM_SHARDS defaults to 1).
 */
export const SHARD_BITS = 6;
export const MAX_STREAM_SHARDS = 2 ** SHARD_BITS;

/** The shard of a voucher's keys and orders. */
export function voucherShard(voucherId: number | string, shards: number): number {
  return Number(voucherId) % shards;
}

/** The shard an order id was drawn in (its lowest SHARD_BITS bits). */
export function orderIdShard(orderId: string): number {
  return Number(BigInt(orderId) & BigInt(MAX_STREAM_SHARDS - 1));
}

function tag(shard: number): string {
  return `{s${shard}}`;
}

/** Prefixes of keys that a Lua script completes itself (it draws the id they are named after). */
export const RedisKeyPrefixes = {
  asyncOrderState: (shard: number) => `seckill:order-state:${tag(shard)}:`,
} as const;

/** Every Redis key the service uses, built in one place. */
/**
 * Voucher keys take ASYNC_STREAM_SHARDS (`shards`), stream keys a shard; their defaults are
 * the one shard of one Redis.
 */
export const RedisKeys = {
  /** A login verification code for a phone: hash { code, attempts }. */
  loginCode: (phone: string) => `login:code:${phone}`,
  /** Wrong login codes of a phone in the current failure window (rate-limiter-flexible counter). */
  loginFailures: (phone: string) => `login:failures:${phone}`,
  /** Set while a phone must wait before asking for another code (rate-limiter-flexible counter). */
  loginCodeCooldown: (phone: string) => `login:code-cooldown:${phone}`,
  /** Codes a phone asked for in the current day window (rate-limiter-flexible counter). */
  loginCodesPerDay: (phone: string) => `login:codes-per-day:${phone}`,
  /**
   * A logged-in shopper: hash { id, nickName, icon }, expiring with the token; a revoked one
   * is hash { revoked }. Keyed by the SHA-256 of the token, never by the token itself.
   */
  loginToken: (tokenDigest: string) => `login:token:${tokenDigest}`,
  /** Under SINGLE_SESSION: the token digest of the user's current session. */
  currentSession: (userId: number) => `login:session:${userId}`,
  /** Serializes a user's session swaps (login, logout) under SINGLE_SESSION. */
  loginLock: (userId: number) => `lock:login:${userId}`,
  /** The per-user seckill lock (the product's key, as in hm-dianping). */
  orderLock: (userId: number) => `lock:order:${userId}`,
  /**
   * A shard's daily sequence that feeds order ids, e.g. `icr:order:{s3}:2026:11:24`; the sync
   * path draws from shard 0's.
   */
  orderIdSequence: (day: string, shard = 0) => `icr:order:${tag(shard)}:${day}`,

  // Async seckill (SECKILL_MODE=async): Redis admits, a stream carries the order to MySQL.

  /** Units left to admit, a string integer (hm-dianping's key, with the voucher's shard tag). */
  seckillStock: (voucherId: number | string, shards: number) =>
    `seckill:stock:${tag(voucherShard(voucherId, shards))}:${voucherId}`,
  /** Users admitted for the voucher: a set of user ids as decimal strings (hm-dianping's key). */
  seckillBuyers: (voucherId: number | string, shards: number) =>
    `seckill:order:${tag(voucherShard(voucherId, shards))}:${voucherId}`,
  /**
   * The sale window, hash { begin, end } in epoch ms, checked on Redis's clock.
   * Written last by a load or rebuild: the three keys are usable only while it exists.
   */
  seckillWindow: (voucherId: number | string, shards: number) =>
    `seckill:window:${tag(voucherShard(voucherId, shards))}:${voucherId}`,
  /** Held (LockService) while one instance rebuilds the voucher's keys from MySQL. */
  seckillRebuildLock: (voucherId: number | string) => `lock:seckill:rebuild:${voucherId}`,
  /**
   * An accepted order not yet in MySQL: hash { userId, voucherId, state: pending | failed },
   * in the shard its id names.
   */
  asyncOrderState: (orderId: string) =>
    `${RedisKeyPrefixes.asyncOrderState(orderIdShard(orderId))}${orderId}`,
  /** A shard's accepted orders on their way to MySQL; entry fields orderId, userId, voucherId. */
  orderStream: (shard = 0) => `stream.orders:${tag(shard)}`,
  /** A shard's entries that could not be written: their fields plus error, deliveries, streamId. */
  orderDeadLetters: (shard = 0) => `stream.orders.dlq:${tag(shard)}`,
  /**
   * Before the shards (one Redis only): the one stream, its dead letters and order states.
   * The writers drain the legacy stream while it exists; nothing writes to it any more.
   */
  legacyOrderStream: 'stream.orders',
  legacyOrderDeadLetters: 'stream.orders.dlq',
  legacyAsyncOrderState: (orderId: string) => `seckill:order-state:${orderId}`,
  /** The consumer group of the order writers (one consumer per process). */
  orderWriterGroup: 'order-writers',

  // The live sale view (src/sales).

  /**
   * What each instance has seen of a voucher's seckill answers: hash, one field per
   * instance id holding its cumulative JSON stats; expires when the sale goes quiet.
   */
  saleStats: (voucherId: number | string) => `sale:stats:${voucherId}`,
} as const;
