import { BeforeApplicationShutdown, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { emptyStats, recordAnswer, SaleStats } from './sale-stats';
import { SaleStatsStore } from './sale-stats.store';
import { STATS_FLUSH_MS } from './sales.constants';

/**
 * This instance's share of the live sale view. The seckill path only bumps
 * in-memory counters (no Redis call per request); a timer publishes the vouchers
 * that had answers to Redis every STATS_FLUSH_MS, and only while answers come
 * in: an idle instance runs no timer.
 */
@Injectable()
export class SaleStatsRecorder implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(SaleStatsRecorder.name);
  /** Unique per process start: a restarted instance adds a field instead of resetting one. */
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly sales = new Map<number, SaleStats>();
  private readonly unpublished = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private publishing: Promise<void> | undefined;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly metrics: SeckillMetrics,
    private readonly store: SaleStatsStore,
  ) {}

  onModuleInit(): void {
    this.metrics.onAnswer((voucherId, outcome, ms) => this.record(voucherId, outcome, ms));
  }

  record(voucherId: number, outcome: string, ms: number): void {
    // Not a sale: counting it would let any shopper create counters (and Redis keys) at will.
    if (outcome === 'VOUCHER_NOT_FOUND') return;
    let stats = this.sales.get(voucherId);
    if (!stats) {
      stats = emptyStats();
      this.sales.set(voucherId, stats);
    }
    recordAnswer(stats, outcome, ms);
    this.unpublished.add(voucherId);
    this.schedule();
  }

  /** Publishes what has not been yet (also what the timer does). */
  publish(): Promise<void> {
    this.publishing ??= this.publishNow().finally(() => (this.publishing = undefined));
    return this.publishing;
  }

  /** The last answers reach Redis before it closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.publish();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.publish();
    }, STATS_FLUSH_MS);
    this.timer.unref();
  }

  private async publishNow(): Promise<void> {
    if (this.unpublished.size === 0) return;
    const batch = new Map<number, SaleStats>();
    for (const voucherId of this.unpublished) batch.set(voucherId, this.sales.get(voucherId)!);
    this.unpublished.clear();
    try {
      await this.store.publish(this.instanceId, batch);
      if (this.failing) this.logger.log('live sale figures published again');
      this.failing = false;
    } catch (error) {
      // Cumulative figures: the next publish carries these answers too.
      for (const voucherId of batch.keys()) this.unpublished.add(voucherId);
      if (!this.failing) {
        this.logger.warn(`live sale figures not published: ${(error as Error).message}`);
      }
      this.failing = true;
      this.schedule();
    }
  }
}
