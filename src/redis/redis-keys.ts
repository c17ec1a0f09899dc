/** Prefixes of keys that a Lua script completes itself (it draws the id they are named after). */
export const RedisKeyPrefixes = {
  asyncOrderState: 'seckill:order-state:',
} as const;

/** Every Redis key the service uses, built in one place. */
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
  /** The daily sequence that feeds order ids, e.g. `icr:order:2026:11:24`. */
  orderIdSequence: (day: string) => `icr:order:${day}`,

  // Async seckill (SECKILL_MODE=async): Redis admits, a stream carries the order to MySQL.

  /** Units left to admit, a string integer (hm-dianping's key). */
  seckillStock: (voucherId: number | string) => `seckill:stock:${voucherId}`,
  /** Users admitted for the voucher: a set of user ids as decimal strings (hm-dianping's key). */
  seckillBuyers: (voucherId: number | string) => `seckill:order:${voucherId}`,
  /**
   * The sale window, hash { begin, end } in epoch ms, checked on Redis's clock.
   * Written last by a load or rebuild: the three keys are usable only while it exists.
   */
  seckillWindow: (voucherId: number | string) => `seckill:window:${voucherId}`,
  /** Held (LockService) while one instance rebuilds the voucher's keys from MySQL. */
  seckillRebuildLock: (voucherId: number | string) => `lock:seckill:rebuild:${voucherId}`,
  /** An accepted order not yet in MySQL: hash { userId, voucherId, state: pending | failed }. */
  asyncOrderState: (orderId: string) => `${RedisKeyPrefixes.asyncOrderState}${orderId}`,
  /** Accepted orders on their way to MySQL; entry fields orderId, userId, voucherId. */
  orderStream: 'stream.orders',
  /** Entries that could not be written: the entry's fields plus error, deliveries, streamId. */
  orderDeadLetters: 'stream.orders.dlq',
  /** The consumer group of the order writers (one consumer per process). */
  orderWriterGroup: 'order-writers',

  // The live sale view (src/sales).

  /**
   * What each instance has seen of a voucher's seckill answers: hash, one field per
   * instance id holding its cumulative JSON stats; expires when the sale goes quiet.
   */
  saleStats: (voucherId: number | string) => `sale:stats:${voucherId}`,
} as const;
