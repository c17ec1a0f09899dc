import { setTimeout as sleep } from 'node:timers/promises';
import { LockService } from '../src/lock/lock.service';
import { AsyncSeckillState, OrderLock } from '../src/order/async/async-seckill.state';
import { SeckillStockStore } from '../src/order/async/seckill-stock.store';
import { RedisKeys } from '../src/redis/redis-keys';
import { UserService } from '../src/user/user.service';
import {
  createSeckillVoucher,
  ordersOf as readOrders,
  signInShoppers,
  startTestApp,
  stockOf as readStock,
  TestApp,
  uniquePhone,
} from './support/test-app';
import { until } from './support/until';

const HOUR = 3_600_000;

/** Settings every app of this file runs with (read when an app is created). */
function asyncEnv(overrides: Record<string, string> = {}): void {
  Object.assign(process.env, {
    SECKILL_MODE: 'async',
    ASYNC_WRITER_ENABLED: 'true',
    ASYNC_BLOCK_MS: '50',
    ASYNC_CLAIM_IDLE_MS: '300',
    ASYNC_MAX_DELIVERIES: '3',
    ASYNC_TRIM_INTERVAL_MS: '200',
    ...overrides,
  });
}

describe('async seckill (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    asyncEnv();
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const order = (voucherId: number | string, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);
  const getOrder = (orderId: string, token: string) =>
    t.api.get(`/voucher-order/${orderId}`).set('authorization', `Bearer ${token}`);
  const backlog = () => t.app.get(AsyncSeckillState).backlog();
  const drained = async () => (await backlog()).pending === 0;
  const redisStock = async (voucherId: number) =>
    Number(await t.redis.get(RedisKeys.seckillStock(voucherId, 1)));

  it('flash crowd: as many 202s as units, each accepted order in MySQL once, nothing else', async () => {
    const stock = 40;
    const shoppers = await signInShoppers(t, 300);
    const voucherId = await createSeckillVoucher(t.api, { stock });
    expect(await redisStock(voucherId)).toBe(stock);

    const answers = await Promise.all(shoppers.map((s) => order(voucherId, s.token)));

    const accepted = answers.filter((res) => res.status === 202);
    expect(accepted).toHaveLength(stock);
    for (const res of answers.filter((r) => r.status !== 202)) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('STOCK_EXHAUSTED');
    }
    for (const res of accepted) {
      expect(res.body).toEqual({ success: true, data: expect.stringMatching(/^[1-9]\d{9,19}$/) });
    }
    await until('the backlog to drain', drained);
    const rows = await readOrders(t, voucherId);
    expect(new Set(rows.map((row) => row.id))).toEqual(
      new Set(accepted.map((res) => res.body.data as string)),
    );
    expect(rows).toHaveLength(stock);
    expect(new Set(rows.map((row) => row.user_id)).size).toBe(stock);
    expect(await readStock(t, voucherId)).toBe(0);
    expect(await redisStock(voucherId)).toBe(0);
    expect(await t.redis.scard(RedisKeys.seckillBuyers(voucherId, 1))).toBe(stock);
  });

  it('answers 202 with state pending before MySQL has the order, created after', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    // Holds the writer's INSERT back: it waits for the table lock, then retries.
    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    try {
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      const res = await order(voucherId, shopper.token).expect(202);
      const orderId = res.body.data as string;
      // The GET must not wait for the lock either: it reads Redis first... but
      // then MySQL, which the lock blocks. So read the state straight from Redis.
      expect(await t.app.get(SeckillStockStore).findAccepted(orderId)).toMatchObject({
        state: 'pending',
        userId: shopper.id,
        voucherId,
      });
      await sleep(1500);
      expect((await backlog()).pending).toBeGreaterThanOrEqual(1);
      await blocker.query('UNLOCK TABLES');
      await until('the order to be written', drained);
      const written = await getOrder(orderId, shopper.token).expect(200);
      expect(written.body.data).toMatchObject({ id: orderId, state: 'created', voucherId });
      const list = await t.api
        .get('/voucher-order')
        .set('authorization', `Bearer ${shopper.token}`)
        .expect(200);
      expect(list.body.data).toEqual([expect.objectContaining({ id: orderId, state: 'created' })]);
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }
  });

  describe('every sync-path refusal, in async mode', () => {
    it('404 for an unknown voucher', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const res = await order(987_654_321, shopper.token).expect(404);
      expect(res.body.code).toBe('VOUCHER_NOT_FOUND');
    });

    it('409 SECKILL_NOT_STARTED and SECKILL_ENDED', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const later = await createSeckillVoucher(t.api, {
        beginTime: new Date(Date.now() + HOUR).toISOString(),
        endTime: new Date(Date.now() + 2 * HOUR).toISOString(),
      });
      const over = await createSeckillVoucher(t.api, {
        beginTime: new Date(Date.now() - 2 * HOUR).toISOString(),
        endTime: new Date(Date.now() - HOUR).toISOString(),
      });
      expect((await order(later, shopper.token).expect(409)).body.code).toBe('SECKILL_NOT_STARTED');
      expect((await order(over, shopper.token).expect(409)).body.code).toBe('SECKILL_ENDED');
    });

    it("checks the window on Redis's clock too, not only the instance's cached offer", async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      // The window as Redis holds it ended a minute ago; the offer MySQL has is open.
      await t.redis.hset(RedisKeys.seckillWindow(voucherId, 1), 'end', Date.now() - 60_000);
      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe('SECKILL_ENDED');
      await t.redis.hset(RedisKeys.seckillWindow(voucherId, 1), {
        begin: Date.now() + 60_000,
        end: Date.now() + HOUR,
      });
      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
        'SECKILL_NOT_STARTED',
      );
      expect(await redisStock(voucherId)).toBe(5);
    });

    it('409 ALREADY_PURCHASED for a second order, before and after it is written', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await order(voucherId, shopper.token).expect(202);
      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
        'ALREADY_PURCHASED',
      );
      await until('the order to be written', drained);
      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
        'ALREADY_PURCHASED',
      );
      expect(await redisStock(voucherId)).toBe(4);
      expect(await readStock(t, voucherId)).toBe(4);
    });

    it('409 STOCK_EXHAUSTED when sold out', async () => {
      const [first, second] = await signInShoppers(t, 2);
      const voucherId = await createSeckillVoucher(t.api, { stock: 1 });
      await order(voucherId, first.token).expect(202);
      expect((await order(voucherId, second.token).expect(409)).body.code).toBe('STOCK_EXHAUSTED');
    });

    it("409 DUPLICATE_ORDER while the user's lock is held, and the lock is released after", async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await t.redis.set(RedisKeys.orderLock(shopper.id), 'someone-else', 'PX', 5000);
      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe('DUPLICATE_ORDER');
      expect(await redisStock(voucherId)).toBe(5);
      await t.redis.del(RedisKeys.orderLock(shopper.id));
      await order(voucherId, shopper.token).expect(202);
      expect(await t.redis.exists(RedisKeys.orderLock(shopper.id))).toBe(0);
    });

    it('refuses a buyer already admitted before taking the lock (ALREADY_PURCHASED, lock untouched)', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await order(voucherId, shopper.token).expect(202);
      // Someone holds the user's lock: a request that reached tryLock would answer DUPLICATE_ORDER.
      await t.redis.set(RedisKeys.orderLock(shopper.id), 'someone-else', 'PX', 5000);

      expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
        'ALREADY_PURCHASED',
      );
      expect(await t.redis.get(RedisKeys.orderLock(shopper.id))).toBe('someone-else');
      expect(await redisStock(voucherId)).toBe(4);
      await t.redis.del(RedisKeys.orderLock(shopper.id));
    });

    it("404 for someone else's accepted order, pending or written", async () => {
      const [owner, other] = await signInShoppers(t, 2);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const res = await order(voucherId, owner.token).expect(202);
      await getOrder(res.body.data as string, other.token).expect(404);
      await until('the order to be written', drained);
      await getOrder(res.body.data as string, other.token).expect(404);
      await getOrder(res.body.data as string, owner.token).expect(200);
    });
  });

  describe('the order lock, where the locks live on this Redis (the default): taken with the buyer check, released by the admission', () => {
    const LEASE_MS = 10_000;
    const state = () => t.app.get(AsyncSeckillState);
    const lockOf = (userId: number) => RedisKeys.orderLock(userId);
    const scriptedLock = (lock: Awaited<ReturnType<AsyncSeckillState['lockUnlessBuyer']>>) => {
      expect(lock).toMatchObject({ releasedByAdmission: { key: expect.any(String) } });
      return lock as OrderLock & { releasedByAdmission: { key: string; value: string } };
    };

    it('holds the lock from the first script to the admission: the same user meanwhile gets DUPLICATE_ORDER', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const tryLock = jest.spyOn(t.app.get(LockService), 'tryLock');
      try {
        const lock = scriptedLock(await state().lockUnlessBuyer(voucherId, shopper.id, LEASE_MS));
        expect(lock.releasedByAdmission.key).toBe(lockOf(shopper.id));
        expect(await t.redis.get(lockOf(shopper.id))).toBe(lock.releasedByAdmission.value);
        expect(await t.redis.pttl(lockOf(shopper.id))).toBeGreaterThan(LEASE_MS - 2_000);

        // Held: another attempt of the user is refused, by the state and over HTTP.
        expect(await state().lockUnlessBuyer(voucherId, shopper.id, LEASE_MS)).toBeUndefined();
        expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
          'DUPLICATE_ORDER',
        );

        const admission = await state().admit({ userId: shopper.id, voucherId }, lock);

        expect(admission.outcome).toBe('accepted');
        // Released by the admission script itself.
        expect(await t.redis.exists(lockOf(shopper.id))).toBe(0);
        // The hold is over: releasing it later deletes nothing (the key may be another's by then).
        await t.redis.set(lockOf(shopper.id), 'next-holder', 'PX', 5_000);
        await lock.held.release();
        expect(await t.redis.get(lockOf(shopper.id))).toBe('next-holder');
        await t.redis.del(lockOf(shopper.id));
        // A buyer now: refused by the first script, which takes no lock.
        expect(await state().lockUnlessBuyer(voucherId, shopper.id, LEASE_MS)).toBe(
          'already-purchased',
        );
        expect(await t.redis.exists(lockOf(shopper.id))).toBe(0);
        // The scripts did it all: LockService's own acquire was never asked.
        expect(tryLock).not.toHaveBeenCalled();
      } finally {
        tryLock.mockRestore();
      }
    });

    it('releases the lock in the admission script on a refusal too (sold out)', async () => {
      const [first, second] = await signInShoppers(t, 2);
      const voucherId = await createSeckillVoucher(t.api, { stock: 1 });
      await order(voucherId, first.token).expect(202);

      const lock = scriptedLock(await state().lockUnlessBuyer(voucherId, second.id, LEASE_MS));
      const admission = await state().admit({ userId: second.id, voucherId }, lock);

      expect(admission.outcome).toBe('sold-out');
      expect(await t.redis.exists(lockOf(second.id))).toBe(0);
    });

    it('never deletes a lock that is no longer its own (the lease ran out, someone else took the key)', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const lock = scriptedLock(await state().lockUnlessBuyer(voucherId, shopper.id, LEASE_MS));
      await t.redis.set(lockOf(shopper.id), 'someone-else', 'PX', 5_000);

      const admission = await state().admit({ userId: shopper.id, voucherId }, lock);

      expect(admission.outcome).toBe('accepted');
      expect(await t.redis.get(lockOf(shopper.id))).toBe('someone-else');
      await t.redis.del(lockOf(shopper.id));
    });

    it('keeps the lock while the keys are rebuilt (the script answered missing), releases it after', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await t.app.get(SeckillStockStore).unload(voucherId);
      const store = t.app.get(SeckillStockStore);
      const original = store.admit.bind(store);
      const afterEachScript: { outcome: string; lockHeld: number }[] = [];
      const admit = jest.spyOn(store, 'admit').mockImplementation(async (...args) => {
        const answer = await original(...args);
        afterEachScript.push({
          outcome: answer.outcome,
          lockHeld: await t.redis.exists(lockOf(shopper.id)),
        });
        return answer;
      });
      try {
        const lock = scriptedLock(await state().lockUnlessBuyer(voucherId, shopper.id, LEASE_MS));
        const admission = await state().admit({ userId: shopper.id, voucherId }, lock);

        expect(admission.outcome).toBe('accepted');
        expect(afterEachScript).toEqual([
          { outcome: 'missing', lockHeld: 1 },
          { outcome: 'accepted', lockHeld: 0 },
        ]);
        expect(await redisStock(voucherId)).toBe(4);
      } finally {
        admit.mockRestore();
      }
    });

    it('asks a shopper it saw admitted with SISMEMBER first; a stale hint costs a call, not a wrong answer', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await order(voucherId, shopper.token).expect(202);
      const store = t.app.get(SeckillStockStore);
      const isBuyer = jest.spyOn(store, 'isBuyer');
      const lockScript = jest.spyOn(store, 'lockUnlessBuyer');
      try {
        // The hot user's next attempts: one SISMEMBER each, no lock script.
        expect((await order(voucherId, shopper.token).expect(409)).body.code).toBe(
          'ALREADY_PURCHASED',
        );
        expect(isBuyer).toHaveBeenCalledTimes(1);
        expect(lockScript).not.toHaveBeenCalled();

        // The buyer goes from the set (as a dead letter that gives the unit back does).
        await t.redis.srem(RedisKeys.seckillBuyers(voucherId, 1), String(shopper.id));
        await t.redis.incr(RedisKeys.seckillStock(voucherId, 1));

        const again = await order(voucherId, shopper.token).expect(202);
        expect(again.body.data).toEqual(expect.any(String));
        expect(isBuyer).toHaveBeenCalledTimes(2);
        expect(lockScript).toHaveBeenCalledTimes(1);
      } finally {
        isBuyer.mockRestore();
        lockScript.mockRestore();
      }
      await until('the orders to be written', drained);
    });

    it('answers 503 when the lock script ran but its answer was lost, and gives the key back', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const store = t.app.get(SeckillStockStore);
      const original = store.lockUnlessBuyer.bind(store);
      const lockScript = jest
        .spyOn(store, 'lockUnlessBuyer')
        .mockImplementationOnce(async (...args) => {
          // The script runs in Redis (the key is taken), then the answer is lost.
          await original(...args);
          throw new Error('Command timed out');
        });
      try {
        const res = await order(voucherId, shopper.token).expect(503);
        expect(res.body.code).toBe('SERVICE_UNAVAILABLE');
        // Given back at once, not left to its lease (ORDER_LOCK_LEASE_MS, 10 s by default).
        await until(
          'the key the lost answer took to be given back',
          async () => (await t.redis.exists(lockOf(shopper.id))) === 0,
          1_000,
        );
        expect(await redisStock(voucherId)).toBe(5);
        // Nothing lingers: the shopper's retry is admitted at once.
        await order(voucherId, shopper.token).expect(202);
      } finally {
        lockScript.mockRestore();
      }
      await until('the order to be written', drained);
    });

    it('counts its attempts in lock_attempts_total, as tryLock does', async () => {
      const attempts = async (outcome: string) => {
        const res = await t.api.get('/metrics').expect(200);
        const match = new RegExp(`lock_attempts_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
          res.text,
        );
        return Number(match?.[1] ?? 0);
      };
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const acquired = await attempts('acquired');
      const contended = await attempts('contended');

      await t.redis.set(lockOf(shopper.id), 'someone-else', 'PX', 5_000);
      await order(voucherId, shopper.token).expect(409);
      await t.redis.del(lockOf(shopper.id));
      await order(voucherId, shopper.token).expect(202);

      expect(await attempts('contended')).toBe(contended + 1);
      expect(await attempts('acquired')).toBe(acquired + 1);
    });
  });

  it('rebuilds the keys from MySQL after Redis lost them; a buyer with an order is still refused', async () => {
    const phones = [uniquePhone(), uniquePhone(), uniquePhone()];
    const signIn = async () =>
      (await t.app.get(UserService).signInMany(phones)).map(({ shopper, token }) => ({
        id: shopper.id,
        token,
      }));
    const [a, b] = await signIn();
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    await order(voucherId, a.token).expect(202);
    await order(voucherId, b.token).expect(202);
    await until('the first sale to be written', drained);

    // Everything goes: keys, stream, group, sessions (between two sales).
    await t.redis.flushdb();
    const [a2, , c2] = await signIn();

    expect((await order(voucherId, a2.token).expect(409)).body.code).toBe('ALREADY_PURCHASED');
    expect(await redisStock(voucherId)).toBe(3);
    expect(await t.redis.sismember(RedisKeys.seckillBuyers(voucherId, 1), String(b.id))).toBe(1);
    const res = await order(voucherId, c2.token).expect(202);
    // Not `drained`: until a writer has made the group again (flushed with the rest), the
    // backlog has no group to count from and reads 0 while the entry waits.
    await until('the order after the rebuild to be written', async () =>
      (await readOrders(t, voucherId)).some((row) => row.id === res.body.data),
    );
    expect(await readStock(t, voucherId)).toBe(2);
    expect(await redisStock(voucherId)).toBe(2);
  });

  it('counts accepted orders not yet in MySQL when it rebuilds', async () => {
    const shoppers = await signInShoppers(t, 3);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    try {
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      for (const s of shoppers) await order(voucherId, s.token).expect(202);
      // The keys go (but not the stream): the rebuild must count the 3 pending orders.
      await t.redis.del(
        RedisKeys.seckillStock(voucherId, 1),
        RedisKeys.seckillBuyers(voucherId, 1),
      );
      await blocker.query('UNLOCK TABLES');
      const rebuild = await t.app.get(AsyncSeckillState).rebuildFromMysql(voucherId);
      expect(rebuild).toMatchObject({ voucherId, stock: 7, buyers: 3 });
      await until('the orders to be written', drained);
      expect(await readStock(t, voucherId)).toBe(7);
      expect(await redisStock(voucherId)).toBe(7);
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }
  });

  it('shows the backlog in /health (200 while MySQL is held back) and /metrics', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    try {
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      await order(voucherId, shopper.token).expect(202);
      await sleep(300);
      const health = await t.api.get('/health').expect(200);
      expect(health.body.data.orderBacklog.pending).toBeGreaterThanOrEqual(1);
      expect(health.body.data.orderBacklog.oldestAgeMs).toBeGreaterThanOrEqual(200);
      const metrics = await t.api.get('/metrics').expect(200);
      expect(metrics.text).toMatch(/^seckill_async_backlog_pending [1-9]/m);
      expect(metrics.text).toMatch(/^seckill_async_backlog_oldest_age_seconds 0\.[2-9]|[1-9]/m);
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }
    await until('the order to be written', drained);
    const metrics = await t.api.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^seckill_async_backlog_pending 0$/m);
    expect(metrics.text).toMatch(/^seckill_async_orders_written_total [1-9]/m);
  });
});
