import { DataSource } from 'typeorm';
import type { RedisClient } from '../redis/redis.constants';
import type { OrderStreamEntry } from '../order/async/stream-entries';
import { RedisKeys } from '../redis/redis-keys';
import { DeadLetter, MysqlSeckillSide, RedisSeckillSide, StreamOrder } from './seckill-drift';

/** The service's own reading of the stream (AsyncSeckillState): what its rebuild counts. */
export interface UnacknowledgedEntries {
  unacknowledgedEntries(voucherId?: number): Promise<OrderStreamEntry[]>;
  /** ASYNC_STREAM_SHARDS (the key layout). */
  readonly shardCount: number;
}

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

const toOrder = (entry: OrderStreamEntry): StreamOrder => ({
  streamId: entry.streamId,
  orderId: entry.orderId,
  userId: Number(entry.userId),
  voucherId: Number(entry.voucherId),
});

/**
 * Reads what Redis and MySQL hold for seckill vouchers, for reconcile and the
 * load-test checks. Reads only; streams in pages, MySQL in one snapshot per voucher.
 */
export class SeckillSnapshotReader {
  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisClient,
    private readonly stream: UnacknowledgedEntries,
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
    const pending = (
      await this.stream.unacknowledgedEntries(voucherIds.length === 1 ? voucherIds[0] : undefined)
    ).map(toOrder);
    const sides = new Map<number, RedisSeckillSide>();
    const shards = this.stream.shardCount;
    for (const voucherId of voucherIds) {
      // One voucher's keys: one slot, as a MULTI on a Redis Cluster needs.
      const replies = await this.redis
        .multi()
        .get(RedisKeys.seckillStock(voucherId, shards))
        .exists(RedisKeys.seckillWindow(voucherId, shards))
        .smembers(RedisKeys.seckillBuyers(voucherId, shards))
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

  /** Every entry of the dead-letter streams. */
  deadLetters(): Promise<DeadLetter[]> {
    return readDeadLetters(this.redis, this.stream.shardCount);
  }
}

/** The dead-letter streams: every shard's, and the legacy one (from before the shards). */
export function deadLetterStreams(shards: number): string[] {
  return [
    ...Array.from({ length: shards }, (_, shard) => RedisKeys.orderDeadLetters(shard)),
    RedisKeys.legacyOrderDeadLetters,
  ];
}

/** Every entry of the dead-letter streams, read in pages. */
export async function readDeadLetters(redis: RedisClient, shards: number): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (const stream of deadLetterStreams(shards)) {
    let start = '-';
    for (;;) {
      const page = (await redis.xrange(stream, start, '+', 'COUNT', PAGE)) as StreamEntry[];
      letters.push(...page.map(toDeadLetter));
      if (page.length < PAGE) break;
      start = `(${page[page.length - 1][0]}`;
    }
  }
  return letters;
}
