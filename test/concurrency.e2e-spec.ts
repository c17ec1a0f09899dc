import { RedisKeys } from '../src/redis/redis-keys';
import {
  createSeckillVoucher,
  ordersOf,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';

/**
 * Concurrency proven by concurrency: every request is in flight at once against
 * the real service, then MySQL and Redis are read back and each invariant checked.
 */
describe('seckill under concurrency (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const order = (voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', token);

  const readBack = async (voucherId: number) => ({
    stock: await stockOf(t, voucherId),
    orders: await ordersOf(t, voucherId),
  });

  const tally = (responses: { status: number; body: { code?: string } }[]) => {
    const counts: Record<string, number> = {};
    for (const res of responses) {
      const key = res.status === 201 ? '201' : `${res.status} ${res.body.code}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };

  it('200 orders in flight at once for one user give exactly one order', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 100 });

    const responses = await Promise.all(
      Array.from({ length: 200 }, () => order(voucherId, shopper.token)),
    );

    const counts = tally(responses);
    expect(counts['201']).toBe(1);
    // Everyone else was refused as a duplicate: by the lock while the winner held
    // it, by the database once the winner had committed.
    expect((counts['409 DUPLICATE_ORDER'] ?? 0) + (counts['409 ALREADY_PURCHASED'] ?? 0)).toBe(199);
    expect(counts['409 DUPLICATE_ORDER']).toBeGreaterThan(0);
    const { stock, orders } = await readBack(voucherId);
    expect(orders).toHaveLength(1);
    expect(stock).toBe(99);
    const winner = responses.find((res) => res.status === 201)!;
    expect(orders[0]).toEqual({ id: winner.body.data, user_id: String(shopper.id) });
    expect(await t.redis.exists(RedisKeys.orderLock(shopper.id))).toBe(0);
  });

  it('500 users racing for 100 units get exactly 100 orders, stock 0, nobody twice', async () => {
    const shoppers = await signInShoppers(t, 500);
    const voucherId = await createSeckillVoucher(t.api, { stock: 100 });

    const responses = await Promise.all(shoppers.map((s) => order(voucherId, s.token)));

    expect(tally(responses)).toEqual({ '201': 100, '409 STOCK_EXHAUSTED': 400 });
    const { stock, orders } = await readBack(voucherId);
    expect(stock).toBe(0);
    expect(orders).toHaveLength(100);
    expect(new Set(orders.map((o) => o.user_id)).size).toBe(100);
    // Every acknowledged order is in the database, for the shopper it was told to.
    const stored = new Map(orders.map((o) => [o.id, Number(o.user_id)]));
    responses.forEach((res, i) => {
      if (res.status === 201) expect(stored.get(res.body.data as string)).toBe(shoppers[i].id);
    });
    const lockKeys = await t.redis.exists(...shoppers.map((s) => RedisKeys.orderLock(s.id)));
    expect(lockKeys).toBe(0);
  });

  it('300 users each sending 3 orders at once for 50 units: 50 orders, 50 users, stock 0', async () => {
    const shoppers = await signInShoppers(t, 300);
    const voucherId = await createSeckillVoucher(t.api, { stock: 50 });

    const responses = await Promise.all(
      shoppers.flatMap((s) => [
        order(voucherId, s.token),
        order(voucherId, s.token),
        order(voucherId, s.token),
      ]),
    );

    const counts = tally(responses);
    expect(counts['201']).toBe(50);
    expect(Object.keys(counts).every((k) => k === '201' || k.startsWith('409 '))).toBe(true);
    const { stock, orders } = await readBack(voucherId);
    expect(stock).toBe(0);
    expect(orders).toHaveLength(50);
    expect(new Set(orders.map((o) => o.user_id)).size).toBe(50);
  });
});
