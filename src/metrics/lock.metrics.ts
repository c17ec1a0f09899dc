import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';

/** How one call of tryLock / lock / withLock ended. */
export type LockAttemptOutcome = 'acquired' | 'contended' | 'wait_timeout' | 'unavailable';

/** How the locks behave, for the people who run the service: contention, Redis trouble, lost leases. */
@Injectable()
export class LockMetrics {
  private readonly attempts: Counter<'outcome'>;
  private readonly latency: Histogram;
  private readonly renewals: Counter<'outcome'>;
  private readonly lost: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.attempts = new Counter({
      name: 'lock_attempts_total',
      help: 'Lock acquisitions by outcome: acquired, contended (tryLock refused), wait_timeout (lock() gave up), unavailable (no quorum of Redis answered)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'lock_acquire_duration_seconds',
      help: 'Time to take a lock from Redis (waiting included), whatever the outcome',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    this.renewals = new Counter({
      name: 'lock_renewals_total',
      help: 'Lease renewals by the watchdog: renewed, or failed (retried until the lease runs out)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.lost = new Counter({
      name: 'lock_lost_total',
      help: 'Locks lost while held: the lease ran out or another holder took the key',
      registers: [registry],
    });
    for (const outcome of ['acquired', 'contended', 'wait_timeout', 'unavailable']) {
      this.attempts.inc({ outcome }, 0);
    }
    for (const outcome of ['renewed', 'failed']) this.renewals.inc({ outcome }, 0);
  }

  /** Starts the acquire clock; call the result with the outcome. */
  startAttempt(): (outcome: LockAttemptOutcome) => void {
    const startedAt = performance.now();
    return (outcome) => this.recordAttempt(outcome, startedAt);
  }

  /** One attempt that started at `startedAt` (performance.now()) ended with `outcome`. */
  recordAttempt(outcome: LockAttemptOutcome, startedAt: number): void {
    this.latency.observe((performance.now() - startedAt) / 1000);
    this.attempts.inc({ outcome });
  }

  recordRenewal(outcome: 'renewed' | 'failed'): void {
    this.renewals.inc({ outcome });
  }

  recordLost(): void {
    this.lost.inc();
  }
}
