import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { OrderStreamEntry, streamIdTimeMs } from './stream-entries';

/** What one batch write did with each entry. */
export interface BatchWriteResult {
  /** In MySQL now: written by this batch, or already there (a redelivery). */
  written: OrderStreamEntry[];
  /** Refused for good by MySQL's fences, with why: nothing was written for them. */
  refused: { entry: OrderStreamEntry; reason: string }[];
  /** Rows this batch inserted (the rest of `written` were redeliveries). */
  inserted: number;
}

/** The voucher's sale as MySQL has it, read in one snapshot. */
export interface SeckillSaleSnapshot {
  stock: number;
  beginTime: Date;
  endTime: Date;
  /** Every order of the voucher: id and buyer, as decimal strings. */
  orders: { id: string; userId: string }[];
}

/** Thrown when a voucher has fewer units in MySQL than a batch wants: the batch is rolled back. */
export class StockShortError extends Error {
  constructor(voucherId: string, wanted: number) {
    super(`voucher ${voucherId} has fewer than ${wanted} units left in MySQL`);
    this.name = 'StockShortError';
  }
}

/** `2026-11-24 10:00:00.123` in UTC (every session runs at time_zone +00:00). */
function utcDatetime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/**
 * The MySQL side of the async seckill: orders accepted in Redis, written in
 * batches by the stream writers, and what a rebuild of the Redis keys reads.
 */
@Injectable()
export class AsyncOrderRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Writes accepted orders in one transaction: per voucher, one multi-row
   * INSERT IGNORE and one stock UPDATE of as many units as rows inserted.
   * The fences stay MySQL's: `UNIQUE (user_id, voucher_id)` and the primary key
   * make a redelivered entry a no-op (ignored, so not counted against stock),
   * and `stock >= n` (UNSIGNED, CHECK >= 0) refuses to take more units than
   * are left, rolling the whole batch back (StockShortError). The window is
   * not checked again: Redis admitted the order inside it, on its own clock.
   * create_time is the admission time (the stream id's, on Redis's clock).
   * Entry fields must have been validated (isUnsignedId): IGNORE would turn a
   * bad value into a warning.
   */
  writeBatch(entries: readonly OrderStreamEntry[]): Promise<BatchWriteResult> {
    return this.dataSource.transaction(async (manager) => {
      const result: BatchWriteResult = { written: [], refused: [], inserted: 0 };
      for (const [voucherId, group] of groupByVoucher(entries)) {
        const inserted = await this.insertIgnoring(manager, group);
        if (inserted < group.length) {
          // Some rows were there already: a redelivery (fine) or a fence (refused).
          const { written, refused } = await this.classify(manager, voucherId, group);
          result.written.push(...written);
          result.refused.push(...refused);
        } else {
          result.written.push(...group);
        }
        if (inserted > 0) await this.takeStock(manager, voucherId, inserted);
        result.inserted += inserted;
      }
      return result;
    });
  }

  private async insertIgnoring(
    manager: EntityManager,
    group: readonly OrderStreamEntry[],
  ): Promise<number> {
    const params: (string | number)[] = [];
    for (const entry of group) {
      params.push(
        entry.orderId,
        entry.userId,
        entry.voucherId,
        utcDatetime(streamIdTimeMs(entry.streamId)),
      );
    }
    const header = await manager.query<{ affectedRows: number }>(
      `INSERT IGNORE INTO tb_voucher_order (id, user_id, voucher_id, create_time) VALUES ${group
        .map(() => '(?, ?, ?, ?)')
        .join(', ')}`,
      params,
    );
    return header.affectedRows;
  }

  private async takeStock(manager: EntityManager, voucherId: string, units: number): Promise<void> {
    const header = await manager.query<{ affectedRows: number }>(
      'UPDATE tb_seckill_voucher SET stock = stock - ? WHERE voucher_id = ? AND stock >= ?',
      [units, voucherId, units],
    );
    if (header.affectedRows !== 1) throw new StockShortError(voucherId, units);
  }

  /** Which entries of a voucher are in MySQL as they are, and which a fence refused. */
  private async classify(
    manager: EntityManager,
    voucherId: string,
    group: readonly OrderStreamEntry[],
  ): Promise<Pick<BatchWriteResult, 'written' | 'refused'>> {
    // Locking reads: they see the latest committed rows, whatever the snapshot.
    const rows = await manager.query<{ id: string; userId: string; voucherId: string }[]>(
      `SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS userId, CAST(voucher_id AS CHAR) AS voucherId
         FROM tb_voucher_order
        WHERE id IN (${group.map(() => '?').join(', ')})
           OR (voucher_id = ? AND user_id IN (${group.map(() => '?').join(', ')}))
        LOCK IN SHARE MODE`,
      [...group.map((entry) => entry.orderId), voucherId, ...group.map((entry) => entry.userId)],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    const byBuyer = new Map(
      rows.filter((row) => row.voucherId === voucherId).map((row) => [row.userId, row]),
    );
    const written: OrderStreamEntry[] = [];
    const refused: BatchWriteResult['refused'] = [];
    for (const entry of group) {
      const row = byId.get(entry.orderId);
      if (row && row.userId === entry.userId && row.voucherId === entry.voucherId) {
        written.push(entry);
      } else if (row) {
        refused.push({ entry, reason: `order id ${entry.orderId} is taken by another order` });
      } else {
        const other = byBuyer.get(entry.userId);
        refused.push({
          entry,
          reason: other
            ? `user ${entry.userId} already has order ${other.id} of voucher ${voucherId}`
            : `order ${entry.orderId} was not inserted`,
        });
      }
    }
    return { written, refused };
  }

  /** Whether MySQL has this order, and whether the user has any order of the voucher. */
  async findOrderAndBuyer(
    entry: Pick<OrderStreamEntry, 'orderId' | 'userId' | 'voucherId'>,
  ): Promise<{ orderExists: boolean; buyerHasOrder: boolean }> {
    const rows = await this.dataSource.query<{ id: string; userId: string; voucherId: string }[]>(
      `SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS userId, CAST(voucher_id AS CHAR) AS voucherId
         FROM tb_voucher_order WHERE id = ? OR (user_id = ? AND voucher_id = ?)`,
      [entry.orderId, entry.userId, entry.voucherId],
    );
    return {
      orderExists: rows.some(
        (row) =>
          row.id === entry.orderId &&
          row.userId === entry.userId &&
          row.voucherId === entry.voucherId,
      ),
      buyerHasOrder: rows.some(
        (row) => row.userId === entry.userId && row.voucherId === entry.voucherId,
      ),
    };
  }

  /**
   * The voucher's stock, window and orders in one consistent snapshot, so that
   * stock and orders agree (a batch committing between two separate reads
   * would be counted in one and not the other). Undefined: no such voucher.
   */
  readSale(voucherId: number): Promise<SeckillSaleSnapshot | undefined> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [sale] = await manager.query<{ stock: number; beginTime: Date; endTime: Date }[]>(
        'SELECT stock, begin_time AS beginTime, end_time AS endTime FROM tb_seckill_voucher WHERE voucher_id = ?',
        [voucherId],
      );
      if (!sale) return undefined;
      const orders = await manager.query<{ id: string; userId: string }[]>(
        'SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS userId FROM tb_voucher_order WHERE voucher_id = ?',
        [voucherId],
      );
      return {
        stock: Number(sale.stock),
        beginTime: new Date(sale.beginTime),
        endTime: new Date(sale.endTime),
        orders,
      };
    });
  }
}

function groupByVoucher(entries: readonly OrderStreamEntry[]): Map<string, OrderStreamEntry[]> {
  const groups = new Map<string, OrderStreamEntry[]>();
  for (const entry of entries) {
    const group = groups.get(entry.voucherId);
    if (group) group.push(entry);
    else groups.set(entry.voucherId, [entry]);
  }
  return groups;
}
