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

/** The deadline of the order call: a held row lock makes the call wait most of it. */
const DEADLINE_MS = 3000;
/**
 * The shortest lease allowed with that deadline (ORDER_LOCK_LEASE_MS must
 * outlive any call, see minimumOrderLockLeaseMs). Since no call can outlast
 * it any more, extending the lease is a safety net (a stalled event loop),
 * proven by held-lock.spec.ts; here the lease is held across a slow call.
 */
const LEASE_MS = 21_001;
const SLOW_CALL_MS = 2000;

describe('the order lock lease (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    process.env.ORDER_LOCK_LEASE_MS = String(LEASE_MS);
    process.env.DEPENDENCY_TIMEOUT_MS = String(DEADLINE_MS);
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    delete process.env.ORDER_LOCK_LEASE_MS;
    delete process.env.DEPENDENCY_TIMEOUT_MS;
  });

  it('is held while a slow transaction runs, and released after its commit', async () => {
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
      await new Promise((resolve) => setTimeout(resolve, SLOW_CALL_MS));

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
      // Both now wait on the stock row inside their transactions (well within the
      // call deadline: a lost lock is detected by the watchdog, see lock.e2e-spec.ts).
      await sleep(SLOW_CALL_MS / 4);

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
