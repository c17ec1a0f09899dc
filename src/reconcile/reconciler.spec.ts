import type { SeckillRebuild } from '../order/async/order-backlog';
import { reconcileSeckill, SeckillSnapshots } from './reconciler';
import { DeadLetter, MysqlSeckillSide, RedisSeckillSide } from './seckill-drift';

/** Two vouchers in memory: 1 agrees, 2 has a tampered stock key until "rebuilt". */
class FakeSnapshots implements SeckillSnapshots {
  redis = new Map<number, RedisSeckillSide>([
    [1, { voucherId: 1, stock: 5, window: true, buyers: [10], pending: [] }],
    [2, { voucherId: 2, stock: 99, window: true, buyers: [20], pending: [] }],
  ]);
  mysql = new Map<number, MysqlSeckillSide>([
    [1, { voucherId: 1, stock: 5, orders: [{ id: 'a', userId: 10 }] }],
    [2, { voucherId: 2, stock: 3, orders: [{ id: 'b', userId: 20 }] }],
  ]);
  letters: DeadLetter[] = [];
  redisReads = 0;

  readRedis(voucherIds: readonly number[]) {
    this.redisReads += 1;
    return Promise.resolve(new Map(voucherIds.map((id) => [id, this.redis.get(id)!])));
  }
  readMysql(voucherId: number) {
    return Promise.resolve(this.mysql.get(voucherId)!);
  }
  deadLetters() {
    return Promise.resolve(this.letters);
  }
}

function rebuildOf(fake: FakeSnapshots): jest.Mock<Promise<SeckillRebuild>, [number]> {
  return jest.fn((voucherId: number) => {
    const mysql = fake.mysql.get(voucherId)!;
    fake.redis.set(voucherId, {
      voucherId,
      stock: mysql.stock,
      window: true,
      buyers: mysql.orders.map((order) => order.userId),
      pending: [],
    });
    return Promise.resolve({
      voucherId,
      mysqlStock: mysql.stock,
      mysqlOrders: mysql.orders.length,
      pendingOrders: 0,
      stock: mysql.stock,
      buyers: mysql.orders.length,
    });
  });
}

describe(reconcileSeckill.name, () => {
  let fake: FakeSnapshots;
  beforeEach(() => {
    fake = new FakeSnapshots();
  });

  it('looks once when everything agrees', async () => {
    const sut = await reconcileSeckill(fake, [1], { settleMs: 0 });
    expect(sut.drifting).toEqual([]);
    expect(sut.vouchers[0].figures).toEqual({
      redisStock: 5,
      redisBuyers: 1,
      pending: 0,
      mysqlStock: 5,
      mysqlOrders: 1,
    });
    expect(fake.redisReads).toBe(1);
  });

  it('confirms drift with a second look, and leaves Redis alone without a rebuild', async () => {
    const sut = await reconcileSeckill(fake, [1, 2], { settleMs: 0 });
    expect(sut.drifting).toEqual([2]);
    expect(sut.vouchers[1].drift.map((d) => d.kind)).toEqual(['stockMismatch']);
    expect(sut.vouchers[1].driftAfterFix).toBeUndefined();
    expect(fake.redisReads).toBe(2);
    expect(fake.redis.get(2)!.stock).toBe(99);
  });

  it('drops a difference the second look no longer sees', async () => {
    const snapshots: SeckillSnapshots = {
      ...fake,
      readMysql: (id) => fake.readMysql(id),
      deadLetters: () => fake.deadLetters(),
      readRedis: async (ids) => {
        const sides = await fake.readRedis(ids);
        // The order in flight has reached MySQL by the second look.
        fake.redis.set(2, { ...fake.redis.get(2)!, stock: 3 });
        return sides;
      },
    };
    const sut = await reconcileSeckill(snapshots, [2], { settleMs: 0 });
    expect(sut.drifting).toEqual([]);
    expect(sut.vouchers[0].drift).toEqual([]);
  });

  it('rebuilds only the drifting vouchers and checks them again', async () => {
    const rebuild = rebuildOf(fake);
    const sut = await reconcileSeckill(fake, [1, 2], { settleMs: 0, rebuild });
    expect(rebuild.mock.calls).toEqual([[2]]);
    expect(sut.vouchers[1].drift.map((d) => d.kind)).toEqual(['stockMismatch']);
    expect(sut.vouchers[1].driftAfterFix).toEqual([]);
    expect(sut.vouchers[1].figures.redisStock).toBe(3);
    expect(sut.repaired).toEqual([2]);
    expect(sut.drifting).toEqual([]);
  });

  it('reports a rebuild that fails, and the drift as still there', async () => {
    const rebuild = jest.fn().mockRejectedValue(new Error('rebuild lock busy'));
    const sut = await reconcileSeckill(fake, [2], { settleMs: 0, rebuild });
    expect(sut.vouchers[0].fixError).toBe('rebuild lock busy');
    expect(sut.drifting).toEqual([2]);
    expect(sut.repaired).toEqual([]);
  });

  it('lists the dead letters of each voucher', async () => {
    fake.letters = [
      { streamId: '1-0', orderId: 'x', userId: 30, voucherId: 2, error: 'boom', deliveries: 5 },
      { streamId: '2-0', orderId: 'y', userId: 31, voucherId: 9, error: 'boom', deliveries: 5 },
    ];
    const sut = await reconcileSeckill(fake, [1, 2], { settleMs: 0 });
    expect(sut.vouchers[1].deadLetters.map((l) => l.orderId)).toEqual(['x']);
    expect(sut.deadLetters).toBe(1);
  });
});
