import { setTimeout as sleep } from 'node:timers/promises';
import type { SeckillRebuild } from '../order/async/order-backlog';
import {
  compareSeckill,
  DeadLetter,
  Drift,
  MysqlSeckillSide,
  persistentDrift,
  RedisSeckillSide,
} from './seckill-drift';

/** Where the two sides come from (SeckillSnapshotReader, or a fake in the specs). */
export interface SeckillSnapshots {
  readRedis(voucherIds: readonly number[]): Promise<Map<number, RedisSeckillSide>>;
  readMysql(voucherId: number): Promise<MysqlSeckillSide>;
  deadLetters(): Promise<DeadLetter[]>;
}

/** The service's own rebuild of a voucher's keys from MySQL, under its rebuild lock. */
export type RebuildFromMysql = (voucherId: number) => Promise<SeckillRebuild>;

export interface ReconcileOptions {
  /** Repair Redis from MySQL where they disagree. */
  rebuild?: RebuildFromMysql;
  /** Pause before the second look that confirms a difference. */
  settleMs: number;
  onPhase?: (phase: string) => void;
}

export interface VoucherFigures {
  redisStock: number | null;
  redisBuyers: number;
  pending: number;
  mysqlStock: number;
  mysqlOrders: number;
}

export interface VoucherReconcile {
  voucherId: number;
  figures: VoucherFigures;
  /** Differences seen in both looks: the drift found. */
  drift: Drift[];
  /** With --fix, what the rebuild wrote. */
  rebuilt?: SeckillRebuild;
  /** With --fix, the differences still there after the rebuild (both looks again). */
  driftAfterFix?: Drift[];
  /** The rebuild failed: why. */
  fixError?: string;
  deadLetters: DeadLetter[];
}

export interface ReconcileReport {
  vouchers: VoucherReconcile[];
  /** Vouchers whose Redis and MySQL still disagree (after the repair, with --fix). */
  drifting: number[];
  /** Vouchers that disagreed and agree after the repair. */
  repaired: number[];
  /** Dead-lettered orders of these vouchers. */
  deadLetters: number;
}

interface Look {
  redis: RedisSeckillSide;
  mysql: MysqlSeckillSide;
  drift: Drift[];
}

/** Redis first, then MySQL: an order moves from the first to the second, never back. */
async function look(
  snapshots: SeckillSnapshots,
  voucherIds: readonly number[],
): Promise<Map<number, Look>> {
  const redis = await snapshots.readRedis(voucherIds);
  const looks = new Map<number, Look>();
  for (const voucherId of voucherIds) {
    const redisSide = redis.get(voucherId)!;
    const mysqlSide = await snapshots.readMysql(voucherId);
    looks.set(voucherId, {
      redis: redisSide,
      mysql: mysqlSide,
      drift: compareSeckill(redisSide, mysqlSide),
    });
  }
  return looks;
}

/** Two looks `settleMs` apart; what both saw is the drift. */
async function confirmedDrift(
  snapshots: SeckillSnapshots,
  voucherIds: readonly number[],
  settleMs: number,
): Promise<Map<number, Look>> {
  const first = await look(snapshots, voucherIds);
  const suspects = voucherIds.filter((id) => first.get(id)!.drift.length > 0);
  if (suspects.length === 0) return first;
  await sleep(settleMs);
  const second = await look(snapshots, suspects);
  for (const [voucherId, later] of second) {
    first.set(voucherId, {
      ...later,
      drift: persistentDrift(first.get(voucherId)!.drift, later.drift),
    });
  }
  return first;
}

function figuresOf({ redis, mysql }: Look): VoucherFigures {
  return {
    redisStock: redis.stock,
    redisBuyers: redis.buyers.length,
    pending: redis.pending.length,
    mysqlStock: mysql.stock,
    mysqlOrders: mysql.orders.length,
  };
}

/**
 * Compares Redis (stock, buyers, pending stream entries) with MySQL (stock,
 * orders) for each voucher; with a rebuild, repairs the vouchers that drift and
 * looks again.
 */
export async function reconcileSeckill(
  snapshots: SeckillSnapshots,
  voucherIds: readonly number[],
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  options.onPhase?.(`comparing ${voucherIds.length} voucher(s)`);
  const looks = await confirmedDrift(snapshots, voucherIds, options.settleMs);
  const deadLetters = await snapshots.deadLetters();
  const vouchers: VoucherReconcile[] = voucherIds.map((voucherId) => {
    const found = looks.get(voucherId)!;
    return {
      voucherId,
      figures: figuresOf(found),
      drift: found.drift,
      deadLetters: deadLetters.filter((letter) => letter.voucherId === voucherId),
    };
  });

  const { rebuild } = options;
  const drifted = vouchers.filter((voucher) => voucher.drift.length > 0);
  if (rebuild && drifted.length > 0) {
    for (const voucher of drifted) {
      options.onPhase?.(`rebuilding the keys of voucher ${voucher.voucherId} from MySQL`);
      try {
        voucher.rebuilt = await rebuild(voucher.voucherId);
      } catch (error) {
        voucher.fixError = error instanceof Error ? error.message : String(error);
      }
    }
    const rebuilt = drifted.filter((voucher) => voucher.rebuilt).map((v) => v.voucherId);
    const after = rebuilt.length
      ? await confirmedDrift(snapshots, rebuilt, options.settleMs)
      : new Map<number, Look>();
    for (const voucher of drifted) {
      const later = after.get(voucher.voucherId);
      voucher.driftAfterFix = later ? later.drift : voucher.drift;
      if (later) voucher.figures = figuresOf(later);
    }
  }
  const remaining = (voucher: VoucherReconcile) => voucher.driftAfterFix ?? voucher.drift;
  return {
    vouchers,
    drifting: vouchers.filter((v) => remaining(v).length > 0).map((v) => v.voucherId),
    repaired: vouchers
      .filter((v) => v.drift.length > 0 && v.driftAfterFix?.length === 0)
      .map((v) => v.voucherId),
    deadLetters: vouchers.reduce((sum, voucher) => sum + voucher.deadLetters.length, 0),
  };
}
