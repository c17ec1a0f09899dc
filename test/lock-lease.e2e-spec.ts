import { RedisKeys } from '../src/redis/redis-keys';
import { createSeckillVoucher, signInShoppers, startTestApp, TestApp } from './support/test-app';

const LEASE_MS = 1000;

describe('the order lock lease (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    process.env.ORDER_LOCK_LEASE_MS = String(LEASE_MS);
    // The slow commit below waits 2.5 leases on a row lock; queries may take that long here.
    process.env.DEPENDENCY_TIMEOUT_MS = '5000';
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    delete process.env.ORDER_LOCK_LEASE_MS;
    delete process.env.DEPENDENCY_TIMEOUT_MS;
  });

  it('is extended while a slow transaction runs, and released after its commit', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const lockKey = RedisKeys.orderLock(shopper.id);

    // Another transaction holds the stock row, so the order's UPDATE waits on it.
    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ? FOR UPDATE', [
      voucherId,
    ]);
    try {
      const pending = t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token);
      const response = pending.then((res) => res); // starts the request
      await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 2.5));

      // Two and a half leases later the lock is still held: it has been extended.
      expect(await t.redis.pttl(lockKey)).toBeGreaterThan(0);
      // And the user's second attempt meanwhile is refused by it.
      const second = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(409);
      expect(second.body.code).toBe('DUPLICATE_ORDER');

      await blocker.commitTransaction();
      const res = await response;
      expect(res.status).toBe(201);
      expect(await t.redis.exists(lockKey)).toBe(0);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
  });
});
