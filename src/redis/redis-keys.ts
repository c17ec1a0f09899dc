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
} as const;
