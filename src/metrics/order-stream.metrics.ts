import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY } from './metrics.constants';

/** What /metrics reads of the order backlog when scraped (async mode). */
export interface BacklogSource {
  (): Promise<{ pending: number; oldestAgeMs: number; deadLetters: number }>;
}

/** The async seckill's writers: backlog, write rate, dead letters. */
@Injectable()
export class OrderStreamMetrics {
  private readonly written: Counter;
  private readonly batches: Counter<'outcome'>;
  private readonly batchDuration: Histogram;
  private readonly deadLettered: Counter;
  private readonly reclaimed: Counter;
  private backlogSource: BacklogSource | undefined;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.written = new Counter({
      name: 'seckill_async_orders_written_total',
      help: 'Accepted orders this instance wrote to MySQL (its write rate: rate() of this)',
      registers: [registry],
    });
    this.batches = new Counter({
      name: 'seckill_async_write_batches_total',
      help: 'Batch transactions of this instance by outcome: committed, failed (retried)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.batchDuration = new Histogram({
      name: 'seckill_async_write_batch_duration_seconds',
      help: 'Time to write one batch of accepted orders to MySQL (transaction and XACK)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    this.deadLettered = new Counter({
      name: 'seckill_async_dead_letters_total',
      help: 'Accepted orders this instance moved to the dead-letter stream',
      registers: [registry],
    });
    this.reclaimed = new Counter({
      name: 'seckill_async_reclaimed_total',
      help: 'Entries this instance claimed from other consumers (dead ones) or its own failed writes',
      registers: [registry],
    });
    for (const outcome of ['committed', 'failed']) this.batches.inc({ outcome }, 0);
    const read = () => this.readBacklog();
    new Gauge({
      name: 'seckill_async_backlog_pending',
      help: 'Accepted orders not yet in MySQL (stream entries not acknowledged), all instances',
      registers: [registry],
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.pending);
      },
    });
    new Gauge({
      name: 'seckill_async_backlog_oldest_age_seconds',
      help: 'Age of the oldest accepted order not yet in MySQL (0 when none)',
      registers: [registry],
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.oldestAgeMs / 1000);
      },
    });
    new Gauge({
      name: 'seckill_async_dead_letter_stream_length',
      help: 'Entries in the dead-letter stream stream.orders.dlq, all instances',
      registers: [registry],
      async collect() {
        const backlog = await read();
        if (backlog) this.set(backlog.deadLetters);
      },
    });
  }

  /** Async mode sets where the backlog comes from; without it the gauges stay at 0. */
  setBacklogSource(source: BacklogSource): void {
    this.backlogSource = source;
  }

  /** Starts a batch's clock; call the result with how it ended. */
  startBatch(): (outcome: 'committed' | 'failed', written?: number) => void {
    const stop = this.batchDuration.startTimer();
    return (outcome, written = 0) => {
      stop();
      this.batches.inc({ outcome });
      if (written > 0) this.written.inc(written);
    };
  }

  recordDeadLetter(): void {
    this.deadLettered.inc();
  }

  recordReclaimed(count: number): void {
    if (count > 0) this.reclaimed.inc(count);
  }

  private reading: Promise<Awaited<ReturnType<BacklogSource>> | undefined> | undefined;

  /**
   * One Redis read per scrape for the three gauges (prom-client collects them
   * concurrently, so they share the read in flight); a failed read leaves the
   * last values.
   */
  private readBacklog(): Promise<Awaited<ReturnType<BacklogSource>> | undefined> {
    const source = this.backlogSource;
    if (!source) return Promise.resolve(undefined);
    this.reading ??= source()
      .catch(() => undefined)
      .finally(() => (this.reading = undefined));
    return this.reading;
  }
}
