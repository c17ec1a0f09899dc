/** Every Redis key the service uses, built in one place. */
export const RedisKeys = {
  /** A login verification code for a phone: hash { code, attempts }. */
  loginCode: (phone: string) => `login:code:${phone}`,
  /** A logged-in shopper: hash { id, nickName, icon }, expiring with the token. */
  loginToken: (token: string) => `login:token:${token}`,
  /** The per-user seckill lock (the product's key, as in hm-dianping). */
  orderLock: (userId: number) => `lock:order:${userId}`,
  /** The daily sequence that feeds order ids, e.g. `icr:order:2026:11:24`. */
  orderIdSequence: (day: string) => `icr:order:${day}`,
} as const;
