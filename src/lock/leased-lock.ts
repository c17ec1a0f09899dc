import { Logger } from '@nestjs/common';
import { ExecutionError, Lock, ResourceLockedError } from 'redlock';
import { LockMetrics } from '../metrics/lock.metrics';

type State = 'held' | 'lost' | 'ended';

/**
 * One lock taken from Redis, with its watchdog, shared by the holds of one holder
 * (reentrancy counts them; the key goes when the last hold is released).
 *
 * The watchdog renews the lease when a third of it is left. A renewal that fails
 * because Redis does not answer is retried until the lease has really run out
 * (validity time, clock drift subtracted); only then, or as soon as a majority
 * says another value holds the key, is the lock lost: `lost` resolves, `signal`
 * aborts, one warning is logged and lock_lost_total counts it.
 */
export class LeasedLock {
  /** Holds not yet released; the lock is released in Redis when it reaches 0. */
  private holds = 1;
  private lock: Lock;
  private state: State = 'held';
  private timer?: NodeJS.Timeout;
  private renewal?: Promise<void>;
  private releasing?: Promise<void>;
  private failedRenewals = 0;
  /*
   * `signal` and `lost` are made on first use: almost every lock (a seckill
   * order's, held for a few ms) is released without anyone asking for them, and
   * an AbortController and a promise per lock showed in the order path's profile.
   */
  private controller?: AbortController;
  private lostPromise?: Promise<void>;
  private resolveLost?: () => void;
  private lostReason?: unknown;

  constructor(
    lock: Lock,
    private readonly leaseMs: number,
    private readonly logger: Logger,
    private readonly metrics: LockMetrics,
  ) {
    this.lock = lock;
    this.scheduleRenewal();
  }

  get key(): string {
    return this.lock.resources[0];
  }

  /** Aborted (reason: the error that ended it) when the lock is lost. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.state === 'lost') this.controller.abort(this.lostReason);
    }
    return this.controller.signal;
  }

  /** Resolves when the lock is lost while held. Never rejects. */
  get lost(): Promise<void> {
    if (!this.lostPromise) {
      this.lostPromise =
        this.state === 'lost'
          ? Promise.resolve()
          : new Promise<void>((resolve) => (this.resolveLost = resolve));
    }
    return this.lostPromise;
  }

  /** Still held by this holder: neither lost, nor released or abandoned. */
  get isHeld(): boolean {
    return this.state === 'held';
  }

  /** A reentrant hold: no Redis write, one more release needed. */
  addHold(): void {
    this.holds += 1;
  }

  /** Ends one hold; the last one releases the key. Never throws. */
  releaseHold(): Promise<void> {
    this.holds -= 1;
    return this.holds > 0 ? Promise.resolve() : this.release();
  }

  /**
   * Deletes the key if it still carries this holder's value (compare-and-delete),
   * once, however many callers. Never throws: it runs after a commit, and a lease
   * that already ran out must not turn a committed order into an error.
   */
  release(): Promise<void> {
    this.releasing ??= this.releaseNow();
    return this.releasing;
  }

  /**
   * Stops the watchdog and leaves the key in Redis until its lease runs out: for a
   * holder that cannot tell whether its work happened and must keep others out
   * meanwhile. A renewal already in flight may still land (one more lease at most).
   */
  abandon(): void {
    if (this.releasing) return;
    this.state = 'ended';
    clearTimeout(this.timer);
    this.releasing = Promise.resolve();
  }

  private async releaseNow(): Promise<void> {
    const wasLost = this.state === 'lost';
    this.state = 'ended';
    clearTimeout(this.timer);
    await this.renewal;
    if (wasLost) return; // the key is someone else's or gone: nothing of ours to delete
    try {
      await this.lock.release();
    } catch (error) {
      this.logger.warn(
        { err: error, key: this.key },
        'lock release failed (its lease ran out or Redis is unreachable); it expires by itself',
      );
    }
  }

  private scheduleRenewal(delayMs = this.lock.expiration - Date.now() - this.leaseMs / 3): void {
    this.timer = setTimeout(
      () => {
        this.renewal = this.renew();
      },
      Math.max(0, delayMs),
    );
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    try {
      this.lock = await this.lock.extend(this.leaseMs);
    } catch (error) {
      this.metrics.recordRenewal('failed');
      if (this.state !== 'held') return;
      if (Date.now() >= this.lock.expiration || (await isTakenByAnother(error))) {
        this.markLost(error);
        return;
      }
      this.failedRenewals += 1;
      if (this.failedRenewals === 1) {
        this.logger.warn(
          { err: error, key: this.key, leaseLeftMs: this.lock.expiration - Date.now() },
          'lock lease could not be renewed; retrying until it runs out',
        );
      }
      this.scheduleRenewal(this.retryDelayMs());
      return;
    }
    this.metrics.recordRenewal('renewed');
    this.failedRenewals = 0;
    if (this.state === 'held') this.scheduleRenewal();
  }

  /** Several more tries before the lease runs out, none in a tight loop. */
  private retryDelayMs(): number {
    const leftMs = this.lock.expiration - Date.now();
    return Math.max(10, Math.min(leftMs / 3, this.leaseMs / 10));
  }

  private markLost(error: unknown): void {
    this.state = 'lost';
    clearTimeout(this.timer);
    this.metrics.recordLost();
    this.logger.warn(
      { err: error, key: this.key },
      'lock lost while held: its lease ran out or another holder has the key',
    );
    this.lostReason = error;
    this.controller?.abort(error);
    this.resolveLost?.();
  }
}

/** A majority of the masters said the key holds another value (or is gone). */
async function isTakenByAnother(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError) || error.attempts.length === 0) return false;
  const stats = await error.attempts[error.attempts.length - 1];
  const refusals = [...stats.votesAgainst.values()].filter(
    (vote) => vote instanceof ResourceLockedError,
  );
  return refusals.length >= stats.quorumSize;
}
