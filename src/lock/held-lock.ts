import { LeasedLock } from './leased-lock';

/**
 * One hold of a lock, as LockService hands it out. A reentrant hold of the same
 * holder shares the lock in Redis; the key goes when the outermost hold is released.
 */
export class HeldLock {
  private ended = false;

  constructor(private readonly lease: LeasedLock) {}

  get key(): string {
    return this.lease.key;
  }

  /**
   * Resolves if the lock is lost while held (the lease ran out while Redis did not
   * answer, or another holder took the key). Never rejects.
   */
  get lost(): Promise<void> {
    return this.lease.lost;
  }

  /** Aborted when the lock is lost; pass it to work that should stop then. */
  get signal(): AbortSignal {
    return this.lease.signal;
  }

  /** Ends this hold (once; later calls do nothing). Never throws: it runs after commit. */
  async release(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.lease.releaseHold();
  }

  /**
   * The script that finished the work released the key itself (see
   * LockService.scriptedAttempt): this hold and the lock end, with no Redis call.
   * What is left to do is abandon()'s: stop the watchdog, delete nothing.
   */
  releasedByScript(): void {
    this.abandon();
  }

  /**
   * Gives up the lock without deleting the key: the watchdog stops and the key
   * expires by its lease. For a holder that cannot tell whether its work took effect
   * and must keep everyone else out until then. Ends every hold of this lock.
   */
  abandon(): void {
    this.ended = true;
    this.lease.abandon();
  }
}
