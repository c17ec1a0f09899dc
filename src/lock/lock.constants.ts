/** Injection token of the Redlock instance; only LockService sees it. */
export const REDLOCK = Symbol('REDLOCK');

/** Injection token of the Redis masters that hold the locks ({ clients, owned }). */
export const LOCK_MASTERS = Symbol('LOCK_MASTERS');

/**
 * lock()'s backoff between attempts: the n-th wait is drawn between half and all
 * of min(first * 2^n, max), so waiters spread out instead of retrying in step.
 */
export const LOCK_RETRY_DELAY = { firstMs: 10, maxMs: 200 } as const;
