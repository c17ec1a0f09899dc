import { RedisKeys } from '../src/redis/redis-keys';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createSeckillVoucher,
  ordersOf,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';

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

  it('loses the lock mid-order without a second order: the UNIQUE key is the fence', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const lockKey = RedisKeys.orderLock(shopper.id);
    const lost = async () => {
      const res = await t.api.get('/metrics').expect(200);
      return Number(/^lock_lost_total (\d+)/m.exec(res.text)?.[1] ?? 0);
    };
    const lostBefore = await lost();
    const order = () =>
      t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .then((res) => res);
    const untilLocked = async () => {
      while ((await t.redis.exists(lockKey)) === 0) await sleep(10);
    };

    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query('SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ? FOR UPDATE', [
      voucherId,
    ]);
    try {
      // The first request holds the lock and waits inside its transaction.
      const first = order();
      await untilLocked();
      // Its lock vanishes (as when the lease runs out during a Redis outage), and a
      // second request of the same user takes it and enters the transaction too.
      await t.redis.del(lockKey);
      const second = order();
      await untilLocked();
      // The first holder's watchdog finds another value in the key: lost, and counted.
      await sleep(LEASE_MS);
      expect(await lost()).toBe(lostBefore + 1);

      await blocker.commitTransaction();
      const answers = await Promise.all([first, second]);

      expect(answers.map((res) => res.status).sort()).toEqual([201, 409]);
      expect(answers.find((res) => res.status === 409)?.body.code).toBe('ALREADY_PURCHASED');
      expect(await ordersOf(t, voucherId)).toHaveLength(1);
      expect(await stockOf(t, voucherId)).toBe(4);
      // The holder that lost the lock did not delete the other's key; the other released it.
      expect(await t.redis.exists(lockKey)).toBe(0);
    } finally {
      if (blocker.isTransactionActive) await blocker.rollbackTransaction();
      await blocker.release();
    }
  });
});
