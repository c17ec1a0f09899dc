import { Logger } from '@nestjs/common';
import type { Lock } from 'redlock';

/**
 * A lock this process holds. Its lease is extended in the background until
 * release(), so a slow transaction does not lose it. release() never throws:
 * it runs after commit, and a lease that already ran out must not turn a
 * committed order into an error.
 */
export class HeldLock {
  private lock: Lock;
  private timer?: NodeJS.Timeout;
  private extension?: Promise<void>;
  private released = false;

  constructor(
    lock: Lock,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    this.lock = lock;
    this.scheduleExtension();
  }

  get key(): string {
    return this.lock.resources[0];
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
    await this.extension;
    try {
      await this.lock.release();
    } catch (error) {
      this.logger.warn(
        { err: error, key: this.key },
        'lock release failed (its lease ran out or Redis is unreachable); it expires by itself',
      );
    }
  }

  /**
   * Stops extending the lease and leaves the key in place until the lease runs
   * out: for an order whose outcome is unknown, whose call may still be running
   * on the server. release() does nothing afterwards.
   */
  abandon(): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.timer);
  }

  private scheduleExtension(): void {
    // Extend when a third of the lease is left.
    const delay = Math.max(0, this.lock.expiration - Date.now() - this.leaseMs / 3);
    this.timer = setTimeout(() => {
      this.extension = this.extend();
    }, delay);
    this.timer.unref();
  }

  private async extend(): Promise<void> {
    try {
      this.lock = await this.lock.extend(this.leaseMs);
      if (!this.released) this.scheduleExtension();
    } catch (error) {
      // The work goes on: the UNIQUE key still forbids a second order.
      this.logger.warn({ err: error, key: this.key }, 'lock lease could not be extended');
    }
  }
}
