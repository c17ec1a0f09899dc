import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { RedisKeys } from '../redis/redis-keys';
import { DeadLetter, MysqlSeckillSide, RedisSeckillSide, StreamOrder } from './seckill-drift';

/** Stream entries read per XRANGE / XPENDING call: a big backlog never blocks Redis long. */
const PAGE = 1000;

type StreamEntry = [id: string, fields: string[]];

function fieldsOf(fields: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  return map;
}

function toStreamOrder([streamId, fields]: StreamEntry): StreamOrder {
  const map = fieldsOf(fields);
  return {
    streamId,
    orderId: map.get('orderId') ?? '',
    userId: Number(map.get('userId')),
    voucherId: Number(map.get('voucherId')),
  };
}

function toDeadLetter(entry: StreamEntry): DeadLetter {
  const map = fieldsOf(entry[1]);
  return {
    ...toStreamOrder(entry),
    // The entry's id in stream.orders, not its id in the dead-letter stream.
    streamId: map.get('streamId') ?? entry[0],
    error: map.get('error') ?? '',
    deliveries: Number(map.get('deliveries') ?? 0),
  };
}

const isNoSuchKey = (error: unknown) => /no such key/i.test((error as Error).message ?? '');

/**
 * Reads what Redis and MySQL hold for seckill vouchers, for reconcile and the
 * load-test checks. Reads only; Redis in pages, MySQL in one snapshot per voucher.
 */
export class SeckillSnapshotReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: Redis,
  ) {}

  async seckillVoucherIds(): Promise<number[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      'SELECT CAST(voucher_id AS CHAR) AS id FROM tb_seckill_voucher ORDER BY voucher_id',
    );
    return rows.map((row) => Number(row.id));
  }

  async isSeckillVoucher(voucherId: number): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      'SELECT 1 FROM tb_seckill_voucher WHERE voucher_id = ?',
      [voucherId],
    );
    return rows.length > 0;
  }

  /** Stock, window and buyers of each voucher (one MULTI each), and their pending entries. */
  async readRedis(voucherIds: readonly number[]): Promise<Map<number, RedisSeckillSide>> {
    const pending = await this.pendingOrders();
    const sides = new Map<number, RedisSeckillSide>();
    for (const voucherId of voucherIds) {
      const replies = await this.redis
        .multi()
        .get(RedisKeys.seckillStock(voucherId))
        .exists(RedisKeys.seckillWindow(voucherId))
        .smembers(RedisKeys.seckillBuyers(voucherId))
        .exec();
      const [[stockError, stock], [windowError, window], [buyersError, buyers]] = replies ?? [];
      const error = stockError ?? windowError ?? buyersError;
      if (error) throw error;
      sides.set(voucherId, {
        voucherId,
        stock: stock === null ? null : Number(stock),
        window: window === 1,
        buyers: (buyers as string[]).map(Number),
        pending: pending.filter((entry) => entry.voucherId === voucherId),
      });
    }
    return sides;
  }

  /** One voucher's stock and orders, read in one consistent snapshot. */
  readMysql(voucherId: number): Promise<MysqlSeckillSide> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const [voucher] = await manager.query<{ stock: number }[]>(
        'SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ?',
        [voucherId],
      );
      const orders = await manager.query<{ id: string; userId: string }[]>(
        'SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS userId FROM tb_voucher_order WHERE voucher_id = ? ORDER BY id',
        [voucherId],
      );
      if (!voucher) throw new Error(`voucher ${voucherId} is not a seckill voucher`);
      return {
        voucherId,
        stock: Number(voucher.stock),
        orders: orders.map((order) => ({ id: order.id, userId: Number(order.userId) })),
      };
    });
  }

  /**
   * Entries of `stream.orders` the writers' group has not acknowledged: those
   * after its last-delivered id (never read) and those in its pending list (read,
   * not yet acknowledged). Without the group, every entry is unread.
   */
  async pendingOrders(): Promise<StreamOrder[]> {
    const stream = RedisKeys.orderStream;
    let lastDelivered = '0-0';
    let hasGroup = false;
    try {
      const groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
      for (const group of groups) {
        const info = fieldsOf(group.map(String));
        if (info.get('name') === RedisKeys.orderWriterGroup) {
          hasGroup = true;
          lastDelivered = info.get('last-delivered-id') ?? '0-0';
        }
      }
    } catch (error) {
      if (isNoSuchKey(error)) return [];
      throw error;
    }
    const unread = await this.range(stream, hasGroup ? `(${lastDelivered}` : '-');
    const delivered: StreamOrder[] = [];
    if (hasGroup) {
      let start = '-';
      for (;;) {
        const page = (await this.redis.xpending(
          stream,
          RedisKeys.orderWriterGroup,
          start,
          '+',
          PAGE,
        )) as [string, string, number, number][];
        if (page.length === 0) break;
        const pipeline = this.redis.pipeline();
        for (const [id] of page) pipeline.xrange(stream, id, id);
        for (const [error, entries] of (await pipeline.exec()) ?? []) {
          if (error) throw error;
          // An id whose entry is gone (deleted) has nothing left to write.
          delivered.push(...(entries as StreamEntry[]).map(toStreamOrder));
        }
        if (page.length < PAGE) break;
        start = `(${page[page.length - 1][0]}`;
      }
    }
    return [...delivered, ...unread.map(toStreamOrder)];
  }

  /** Every entry of the dead-letter stream. */
  async deadLetters(): Promise<DeadLetter[]> {
    return (await this.range(RedisKeys.orderDeadLetters, '-')).map(toDeadLetter);
  }

  private async range(stream: string, from: string): Promise<StreamEntry[]> {
    const all: StreamEntry[] = [];
    let start = from;
    for (;;) {
      const page = (await this.redis.xrange(stream, start, '+', 'COUNT', PAGE)) as StreamEntry[];
      all.push(...page);
      if (page.length < PAGE) return all;
      start = `(${page[page.length - 1][0]}`;
    }
  }
}
