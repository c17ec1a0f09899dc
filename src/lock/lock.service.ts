import { Inject, Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { LockMetrics } from '../metrics/lock.metrics';
import { HeldLock } from './held-lock';
import { LeasedLock } from './leased-lock';
import { LOCK_RETRY_DELAY, REDLOCK } from './lock.constants';
import { LockWaitTimeoutError } from './lock.errors';

export interface TryLockOptions {
  /** How long the key lives in Redis without renewal; the watchdog renews it while held. */
  leaseMs: number;
}

export interface LockOptions extends TryLockOptions {
  /** How long to keep retrying while someone else holds the key (0: one attempt). */
  waitMs: number;
}

/** The locks a holder (one async call chain) has taken, by key. */
type Holds = Map<string, LeasedLock>;

/**
 * Distributed locks on one Redis or on a majority of independent masters
 * (REDIS_LOCK_URLS), through redlock. Only the random value a holder wrote can
 * release or renew its key. Outcomes are kept apart: someone else holds the key
 * (undefined from tryLock, LockWaitTimeoutError from lock) versus Redis cannot
 * answer (DependencyUnavailableError, 503).
 *
 * Reentrancy: a holder is an async call chain (AsyncLocalStorage). Inside
 * withLock's callback, asking again for a key the chain holds gets it at once,
 * with no Redis write, and the key is released when the outermost hold ends.
 * Another request (another chain) is another holder and is refused.
 */
@Injectable()
export class LockService {
  private readonly logger = new Logger(LockService.name);
  private readonly holders = new AsyncLocalStorage<Holds>();
  /** withLock chains running now (see withLock). */
  private chains = 0;

  constructor(
    @Inject(REDLOCK) private readonly redlock: Redlock,
    private readonly metrics: LockMetrics,
  ) {}

  /**
   * One attempt, no waiting. Resolves undefined when someone else holds `key`;
   * rejects with DependencyUnavailableError when no majority of Redis answers.
   */
  async tryLock(key: string, { leaseMs }: TryLockOptions): Promise<HeldLock | undefined> {
    const reentered = this.reenter(key);
    if (reentered) return reentered;
    const done = this.metrics.startAttempt();
    const lease = await this.acquireOnce(key, leaseMs, done);
    if (!lease) {
      done('contended');
      return undefined;
    }
    done('acquired');
    return this.hold(lease);
  }

  /**
   * Retries with jittered backoff while someone else holds `key`, for up to
   * `waitMs`; then rejects with LockWaitTimeoutError. A Redis outage rejects at
   * once with DependencyUnavailableError: waiting would not help.
   */
  async lock(key: string, { leaseMs, waitMs }: LockOptions): Promise<HeldLock> {
    const reentered = this.reenter(key);
    if (reentered) return reentered;
    const done = this.metrics.startAttempt();
    const deadline = performance.now() + waitMs;
    for (let retry = 0; ; retry += 1) {
      const lease = await this.acquireOnce(key, leaseMs, done);
      if (lease) {
        done('acquired');
        return this.hold(lease);
      }
      const leftMs = deadline - performance.now();
      if (leftMs <= 0) {
        done(waitMs > 0 ? 'wait_timeout' : 'contended');
        throw new LockWaitTimeoutError(key, waitMs);
      }
      await sleep(Math.min(leftMs, backoffMs(retry)));
    }
  }

  /**
   * Takes `key` (one attempt, or waiting up to `waitMs`), runs `fn` as its holder,
   * and releases in `finally`. Inside `fn`, the same key is reentrant.
   */
  async withLock<T>(
    key: string,
    options: TryLockOptions & { waitMs?: number },
    fn: (held: HeldLock) => Promise<T>,
  ): Promise<T> {
    // The first withLock of a chain makes the chain a holder; nested calls share its holds.
    if (this.holders.getStore()) return this.runLocked(key, options, fn);
    this.chains += 1;
    try {
      return await this.holders.run(new Map(), () => this.runLocked(key, options, fn));
    } finally {
      // On Node 20 an AsyncLocalStorage, once run, keeps async hooks on every promise
      // of the process (a few % of the CPU of every request) until it is disabled.
      // Outside withLock no chain holds anything, so there is nothing to keep.
      this.chains -= 1;
      if (this.chains === 0) this.holders.disable();
    }
  }

  private async runLocked<T>(
    key: string,
    { leaseMs, waitMs = 0 }: TryLockOptions & { waitMs?: number },
    fn: (held: HeldLock) => Promise<T>,
  ): Promise<T> {
    const held = await this.lock(key, { leaseMs, waitMs });
    try {
      return await fn(held);
    } finally {
      await held.release();
    }
  }

  private reenter(key: string): HeldLock | undefined {
    const lease = this.holders.getStore()?.get(key);
    if (!lease?.isHeld) return undefined;
    lease.addHold();
    return new HeldLock(lease);
  }

  /** A new lock from Redis; inside a holder's chain, later asks for the key reenter it. */
  private hold(lease: LeasedLock): HeldLock {
    this.holders.getStore()?.set(lease.key, lease);
    return new HeldLock(lease);
  }

  /**
   * One acquire on every master. Resolves undefined when the key is held by
   * someone else on enough masters that no majority could grant it.
   */
  private async acquireOnce(
    key: string,
    leaseMs: number,
    done: (outcome: 'unavailable') => void,
  ): Promise<LeasedLock | undefined> {
    try {
      const lock = await this.redlock.acquire([key], leaseMs);
      if (lock.expiration <= Date.now()) {
        // A majority said yes, but so late that the lease (drift subtracted) is
        // already over: the lock cannot be trusted. Redis is too slow to answer.
        await lock.release().catch(() => undefined);
        throw new Error(`lock ${key} granted after its validity time`);
      }
      return new LeasedLock(lock, leaseMs, this.logger, this.metrics);
    } catch (error) {
      if (await isHeldByAnother(error)) return undefined;
      done('unavailable');
      throw new DependencyUnavailableError(['redis'], error);
    }
  }
}

/**
 * Contention, not an outage: some master said the key is held, and the masters
 * that answered (granting or refusing) were a majority, so the refusal, not a
 * missing master, is why there is no quorum.
 */
async function isHeldByAnother(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError) || error.attempts.length === 0) return false;
  const stats = await error.attempts[error.attempts.length - 1];
  const refusals = [...stats.votesAgainst.values()].filter(
    (vote) => vote instanceof ResourceLockedError,
  ).length;
  return refusals > 0 && stats.votesFor.size + refusals >= stats.quorumSize;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function backoffMs(retry: number): number {
  const ceiling = Math.min(LOCK_RETRY_DELAY.firstMs * 2 ** retry, LOCK_RETRY_DELAY.maxMs);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
