import type { OrderBacklog } from '../order/async/order-backlog';
import {
  createdCount,
  quantileMs,
  rejectionCount,
  rejections,
  SaleStats,
  statsBetween,
} from './sale-stats';
import { P99_WINDOW_MS, RATE_WINDOW_MS } from './sales.constants';

/** One reading of a sale's sources, fleet-wide (what a snapshot is derived from). */
export interface SaleReading {
  /** When it was read (epoch ms, this instance's clock). */
  at: number;
  mode: 'sync' | 'async';
  mysqlStock: number;
  mysqlOrders: number;
  /** Async mode: seckill:stock:<id>, undefined when the keys are not loaded. */
  redisStock?: number;
  /** Every instance's published counters, summed. */
  fleet: SaleStats;
  instances: number;
  /** Async mode: the order stream's backlog (all vouchers). */
  backlog?: OrderBacklog;
}

/** What the event stream sends once a second (README, "Watch a sale live"). */
export interface SaleSnapshot {
  voucherId: number;
  at: string;
  mode: 'sync' | 'async';
  /** Units left: MySQL's in sync mode, Redis's (left to admit) in async mode. */
  stockLeft: number;
  /** Units the sale has in all: MySQL's stock plus its orders. */
  stockTotal: number;
  /** Orders in MySQL. */
  ordersCreated: number;
  /** Answers `created` across the fleet: 201s in sync mode, 202s (accepted) in async mode. */
  ordersAccepted: number;
  ordersPerSecond: number;
  /** Refused answers across the fleet, by error code. */
  rejections: Record<string, number>;
  rejectionsPerSecond: number;
  /** p99 of the seckill's answer time over the last P99_WINDOW_MS; null without answers. */
  p99Ms: number | null;
  /** Instances whose counters are summed (every one that answered for this voucher). */
  instances: number;
  /** Async mode only: orders accepted and not yet in MySQL (all vouchers), and dead letters. */
  backlog?: OrderBacklog;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));

/**
 * One watcher's view of a sale: remembers the readings of the last few seconds,
 * so that rates and the recent p99 come from differences of cumulative counters.
 */
export class SaleWatch {
  private readonly history: SaleReading[] = [];

  constructor(readonly voucherId: number) {}

  snapshot(reading: SaleReading): SaleSnapshot {
    this.history.push(reading);
    while (this.history.length > 1 && reading.at - this.history[1].at >= P99_WINDOW_MS) {
      this.history.shift();
    }
    const rateBase = this.oldestWithin(reading.at, RATE_WINDOW_MS);
    const seconds = (reading.at - rateBase.at) / 1000;
    const recent = statsBetween(rateBase.fleet, reading.fleet);
    const p99Window =
      this.history[0] === reading
        ? reading.fleet
        : statsBetween(this.history[0].fleet, reading.fleet);
    const p99 = quantileMs(p99Window, 0.99);
    return {
      voucherId: this.voucherId,
      at: new Date(reading.at).toISOString(),
      mode: reading.mode,
      stockLeft:
        reading.mode === 'async' ? (reading.redisStock ?? reading.mysqlStock) : reading.mysqlStock,
      stockTotal: reading.mysqlStock + reading.mysqlOrders,
      ordersCreated: reading.mysqlOrders,
      ordersAccepted: createdCount(reading.fleet),
      ordersPerSecond: seconds > 0 ? round(createdCount(recent) / seconds, 2) : 0,
      rejections: rejections(reading.fleet),
      rejectionsPerSecond: seconds > 0 ? round(rejectionCount(recent) / seconds, 2) : 0,
      p99Ms: p99 === null ? null : round(p99, 2),
      instances: reading.instances,
      ...(reading.mode === 'async' && reading.backlog ? { backlog: reading.backlog } : {}),
    };
  }

  /** The oldest reading not older than `windowMs` before `now` (the latest if none). */
  private oldestWithin(now: number, windowMs: number): SaleReading {
    return this.history.find((past) => now - past.at <= windowMs) ?? this.history.at(-1)!;
  }
}
