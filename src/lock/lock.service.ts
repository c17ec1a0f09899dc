import { Inject, Injectable, Logger } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import Redlock, { ExecutionError, Lock, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { LockMetrics } from '../metrics/lock.metrics';
import { isCluster, RedisClient } from '../redis/redis.constants';
import { HeldLock } from './held-lock';
import { LeasedLock } from './leased-lock';
import { LOCK_RETRY_DELAY, REDLOCK } from './lock.constants';
import { LockWaitTimeoutError } from './lock.errors';
import { SingleRedisRedlock } from './single-redis-redlock';

export interface TryLockOptions {
  /** How long the key lives in Redis without renewal; the watchdog renews it while held. */
  leaseMs: number;
}

export interface LockOptions extends TryLockOptions {
  /** How long to keep retrying while someone else holds the key (0: one attempt). */
  waitMs: number;
}

/**
 * A tryLock that a Lua script of the caller's runs itself, in the same call as
 * work of its own: `SET key value NX PX leaseMs` to take the key and, at the end
 * of a later script that finishes the work under the lock, the compare-and-delete
 * of `key` if it still holds `value`. Each step is one round trip instead of two.
 * The caller reports what its script did; the lock it gets is tryLock's.
 */
export interface ScriptedLockAttempt {
  readonly key: string;
  /** This holder's value: only it may delete the key. */
  readonly value: string;
  readonly leaseMs: number;
  /** The script took the key: held from now on (watchdog, release, abandon), as tryLock's. */
  acquired(): HeldLock;
  /** The key was held by someone else: tryLock's undefined. */
  refused(): void;
  /**
   * The script got no answer: it may have taken the key, which is given back if
   * so. Answers the error to throw (503), as tryLock rejects with.
   */
  failed(error: unknown): DependencyUnavailableError;
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

  /** A new lock from Redis, held by the caller's chain (see hold), for ScriptedAttempt. */
  private readonly holdLease = (lock: Lock, leaseMs: number): HeldLock =>
    this.hold(new LeasedLock(lock, leaseMs, this.logger, this.metrics));

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
   * For a script on `client` that takes `key` together with keys of its own (see
   * ScriptedLockAttempt). Only where the locks live on that very client and it is
   * one Redis server: not with REDIS_LOCK_URLS (a quorum takes a call per master)
   * nor on a Cluster (the lock's slot is not the script's). Undefined otherwise,
   * or when the caller's chain holds `key` already: then tryLock, which handles both.
   */
  scriptedAttempt(
    client: RedisClient,
    key: string,
    { leaseMs }: TryLockOptions,
  ): ScriptedLockAttempt | undefined {
    const redlock = this.redlock;
    if (!(redlock instanceof SingleRedisRedlock) || !redlock.isOn(client) || isCluster(client)) {
      return undefined;
    }
    if (this.holders.getStore()?.has(key)) return undefined;
    return new ScriptedAttempt(key, leaseMs, redlock, this.metrics, this.holdLease);
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
      const late = grantedTooLate(lock);
      if (late) {
        await lock.release().catch(() => undefined);
        throw late;
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
 * One ScriptedLockAttempt: a plain object with its clock as a number (no
 * closures, no timer): a seckill makes one per order that reaches the lock, and
 * most (a hot user's) end as the script's "already purchased", with no lock.
 */
class ScriptedAttempt implements ScriptedLockAttempt {
  /** Unique per holder, as SingleRedisRedlock's own values. */
  readonly value = randomUUID();
  private readonly startedAt = performance.now();
  private readonly start = Date.now();

  constructor(
    readonly key: string,
    readonly leaseMs: number,
    private readonly redlock: SingleRedisRedlock,
    private readonly metrics: LockMetrics,
    private readonly hold: (lock: Lock, leaseMs: number) => HeldLock,
  ) {}

  acquired(): HeldLock {
    const lock = this.lock();
    const late = grantedTooLate(lock);
    if (late) {
      void lock.release().catch(() => undefined);
      this.metrics.recordAttempt('unavailable', this.startedAt);
      throw new DependencyUnavailableError(['redis'], late);
    }
    this.metrics.recordAttempt('acquired', this.startedAt);
    return this.hold(lock, this.leaseMs);
  }

  refused(): void {
    this.metrics.recordAttempt('contended', this.startedAt);
  }

  failed(error: unknown): DependencyUnavailableError {
    this.metrics.recordAttempt('unavailable', this.startedAt);
    void this.lock()
      .release()
      .catch(() => undefined);
    return new DependencyUnavailableError(['redis'], error);
  }

  /** The lock the script took (or may have taken): SingleRedisRedlock's own, valid from `start`. */
  private lock(): Lock {
    return this.redlock.adopt(this.key, this.value, this.leaseMs, this.start);
  }
}

/**
 * A lock granted so late that its lease (drift subtracted) is already over
 * cannot be trusted: Redis is too slow to answer. The error to give up with
 * (after giving the key back), or undefined while the lock is valid.
 */
function grantedTooLate(lock: Lock): Error | undefined {
  if (lock.expiration > Date.now()) return undefined;
  return new Error(`lock ${lock.resources[0]} granted after its validity time`);
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
