import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { DomainError } from '../common/domain-error';
import { METRICS_REGISTRY } from './metrics.constants';

/** Told of every seckill answer: the voucher, its outcome, and how long it took. */
export type SeckillAnswerListener = (voucherId: number, outcome: string, ms: number) => void;

/** How a sale goes, for admins and load testers: outcomes and latency of seckill orders. */
@Injectable()
export class SeckillMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly latency: Histogram;
  private answerListener: SeckillAnswerListener | undefined;
  /** Outcomes are the error codes and `created`: a few dozen at most. */
  private readonly outcomeCounters = new Map<string, Counter.Internal>();

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.outcomes = new Counter({
      name: 'seckill_orders_total',
      help: 'Seckill order requests by outcome (created, or the error code)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.latency = new Histogram({
      name: 'seckill_order_duration_seconds',
      help: 'Time to answer a seckill order request',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    // Exported from the start (the dashboard's queries find it before the first order).
    this.outcomes.inc({ outcome: 'created' }, 0);
  }

  /**
   * The live sale view's per-voucher counters (src/sales): called synchronously
   * with every answer, so it must only update memory.
   */
  onAnswer(listener: SeckillAnswerListener): void {
    this.answerListener = listener;
  }

  /** Runs one seckill attempt, counting it as `created` or by the error code it ends with. */
  track<T>(voucherId: number, attempt: () => Promise<T>): Promise<T> {
    const started = performance.now();
    return attempt().then(
      (value) => {
        this.record(voucherId, 'created', started);
        return value;
      },
      (error: unknown) => {
        this.record(
          voucherId,
          error instanceof DomainError ? error.code : 'INTERNAL_ERROR',
          started,
        );
        throw error;
      },
    );
  }

  private record(voucherId: number, outcome: string, started: number): void {
    const ms = performance.now() - started;
    this.outcomeCounter(outcome).inc();
    this.latency.observe(ms / 1000);
    this.answerListener?.(voucherId, outcome, ms);
  }

  /** The counter of one outcome, looked up once (labels() hashes its labels on every call). */
  private outcomeCounter(outcome: string): Counter.Internal {
    let counter = this.outcomeCounters.get(outcome);
    if (!counter) {
      counter = this.outcomes.labels({ outcome });
      this.outcomeCounters.set(outcome, counter);
    }
    return counter;
  }
}
