import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { DomainError } from '../common/domain-error';
import { METRICS_REGISTRY } from './metrics.constants';

/** How a sale goes, for admins and load testers: outcomes and latency of seckill orders. */
@Injectable()
export class SeckillMetrics {
  private readonly outcomes: Counter<'outcome'>;
  private readonly latency: Histogram;

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
  }

  /** Runs one seckill attempt, counting it as `created` or by the error code it ends with. */
  async track<T>(attempt: () => Promise<T>): Promise<T> {
    const stopTimer = this.latency.startTimer();
    try {
      const result = await attempt();
      this.outcomes.inc({ outcome: 'created' });
      return result;
    } catch (error) {
      this.outcomes.inc({ outcome: error instanceof DomainError ? error.code : 'INTERNAL_ERROR' });
      throw error;
    } finally {
      stopTimer();
    }
  }
}
