/** Injection token of the Redlock instance; only LockService sees it. */
export const REDLOCK = Symbol('REDLOCK');
