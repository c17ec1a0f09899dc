import { OrderRepository } from '../src/order/order.repository';
import { OrderIdGenerator, sequenceDay } from '../src/order/order-id.generator';
import type { Response } from 'supertest';
import { RedisKeys } from '../src/redis/redis-keys';
import { redisCommandsDuring, touching } from './support/redis-monitor';
import {
  createSeckillVoucher,
  loginShopper,
  ordersOf as readOrders,
  signInShoppers,
  startTestApp,
  stockOf as readStock,
  TestApp,
} from './support/test-app';

const HOUR = 3_600_000;
/** A lock's value: a random UUID, unique per holder (SingleRedisRedlock). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('voucher-order (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const stockOf = (voucherId: number) => readStock(t, voucherId);
  const ordersOf = (voucherId: number) => readOrders(t, voucherId);

  const order = (voucherId: number | string, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', token);

  describe('POST /voucher-order/seckill/:id', () => {
    it('creates one order, takes one unit of stock and releases the lock', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 3 });

      const res = await order(voucherId, `Bearer ${shopper.token}`).expect(201);

      expect(res.body).toEqual({ success: true, data: expect.stringMatching(/^[1-9]\d{9,19}$/) });
      expect(await stockOf(voucherId)).toBe(2);
      const rows = await ordersOf(voucherId);
      expect(rows).toEqual([{ id: res.body.data, user_id: String(shopper.id) }]);
      expect(await t.redis.exists(RedisKeys.orderLock(shopper.id))).toBe(0);
    });

    it('answers a second order of the same user 409 ALREADY_PURCHASED, stock untouched', async () => {
      const token = await loginShopper(t.api);
      const voucherId = await createSeckillVoucher(t.api, { stock: 3 });
      await order(voucherId, token).expect(201);

      const res = await order(voucherId, token).expect(409);

      expect(res.body).toEqual({
        success: false,
        code: 'ALREADY_PURCHASED',
        errorMsg: 'user has already purchased this voucher',
      });
      expect(await stockOf(voucherId)).toBe(2);
      expect(await ordersOf(voucherId)).toHaveLength(1);
    });

    it.each([
      [
        'SECKILL_NOT_STARTED',
        'seckill has not started',
        () => ({
          beginTime: new Date(Date.now() + HOUR).toISOString(),
          endTime: new Date(Date.now() + 2 * HOUR).toISOString(),
        }),
      ],
      [
        'SECKILL_ENDED',
        'seckill has ended',
        () => ({
          beginTime: new Date(Date.now() - 2 * HOUR).toISOString(),
          endTime: new Date(Date.now() - HOUR).toISOString(),
        }),
      ],
      ['STOCK_EXHAUSTED', 'insufficient stock', () => ({ stock: 0 })],
    ])('answers 409 %s and changes nothing', async (code, errorMsg, voucher) => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5, ...voucher() });
      const stock = await stockOf(voucherId);

      const res = await order(voucherId, shopper.token).expect(409);

      expect(res.body).toEqual({ success: false, code, errorMsg });
      expect(await stockOf(voucherId)).toBe(stock);
      expect(await ordersOf(voucherId)).toHaveLength(0);
    });

    it("answers 409 DUPLICATE_ORDER while the user's lock is held, and leaves the holder's lock alone", async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const lockKey = RedisKeys.orderLock(shopper.id);
      await t.redis.set(lockKey, 'held-by-another-request', 'PX', 30_000);

      const res = await order(voucherId, shopper.token).expect(409);

      expect(res.body).toEqual({
        success: false,
        code: 'DUPLICATE_ORDER',
        errorMsg: 'duplicate order not allowed',
      });
      // Owner-safe: the refused request did not delete someone else's lock.
      expect(await t.redis.get(lockKey)).toBe('held-by-another-request');
      expect(await stockOf(voucherId)).toBe(5);
      await t.redis.del(lockKey);
      await order(voucherId, shopper.token).expect(201);
    });

    it('costs one Redis command to be refused the lock (SET NX), and nothing to undo', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const lockKey = RedisKeys.orderLock(shopper.id);
      await order(voucherId, shopper.token).expect(201); // the offer is cached from here on
      await t.redis.set(lockKey, 'held-by-another-request', 'PX', 30_000);

      const commands = await redisCommandsDuring(t.redis, () =>
        order(voucherId, shopper.token).expect(409),
      );

      expect(touching(commands, lockKey)).toEqual([
        ['set', lockKey, expect.stringMatching(UUID), 'PX', expect.any(String), 'NX'],
      ]);
      await t.redis.del(lockKey);
    });

    it("draws an order id with one command that also keeps the day's sequence key expiring", async () => {
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const sequenceKey = RedisKeys.orderIdSequence(sequenceDay(new Date()));
      await t.redis.persist(sequenceKey);

      const commands = await redisCommandsDuring(t.redis, () =>
        order(voucherId, shopper.token).expect(201),
      );

      const sent = touching(commands, sequenceKey).map(([name]) => name.toLowerCase());
      expect(sent.filter((name) => name === 'incr' || name === 'expire')).toHaveLength(2); // inside the script
      expect(sent.filter((name) => name.startsWith('eval'))).toHaveLength(1);
      expect(await t.redis.ttl(sequenceKey)).toBeGreaterThan(24 * 3600);
    });

    it('answers 404 VOUCHER_NOT_FOUND for an unknown voucher', async () => {
      const [shopper] = await signInShoppers(t, 1);
      const res = await order(987654321, shopper.token).expect(404);
      expect(res.body).toEqual({
        success: false,
        code: 'VOUCHER_NOT_FOUND',
        errorMsg: 'voucher not found',
      });
    });

    it.each(['0', '-1', '1.5', 'abc', '1e3', '9007199254740992', '%20'])(
      'refuses voucher id %s with 400, taking no lock',
      async (id) => {
        const [shopper] = await signInShoppers(t, 1);
        let res!: Response;
        const commands = await redisCommandsDuring(t.redis, async () => {
          res = await order(id, shopper.token).expect(400);
        });
        expect(res.body.code).toBe('VALIDATION_FAILED');
        // Not merely released by now: never asked for.
        expect(touching(commands, RedisKeys.orderLock(shopper.id))).toEqual([]);
      },
    );

    it('answers 401 without a valid token and orders nothing', async () => {
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await t.api.post(`/voucher-order/seckill/${voucherId}`).expect(401);
      await order(voucherId, 'forged-token').expect(401);
      expect(await ordersOf(voucherId)).toHaveLength(0);
    });

    it("books the order to the token's user whatever the body or headers claim", async () => {
      const [buyer, victim] = await signInShoppers(t, 2);
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });

      await order(voucherId, buyer.token)
        .set('x-user-id', String(victim.id))
        .send({ userId: victim.id })
        .expect(201);

      expect((await ordersOf(voucherId)).map((row) => Number(row.user_id))).toEqual([buyer.id]);
    });
  });

  describe('GET /voucher-order and /voucher-order/:orderId', () => {
    it("lists only the caller's orders and shows one of them", async () => {
      const [alice, bob] = await signInShoppers(t, 2);
      const first = await createSeckillVoucher(t.api);
      const second = await createSeckillVoucher(t.api);
      const a1 = (await order(first, alice.token).expect(201)).body.data as string;
      const a2 = (await order(second, alice.token).expect(201)).body.data as string;
      const b1 = (await order(first, bob.token).expect(201)).body.data as string;

      const list = await t.api.get('/voucher-order').set('authorization', alice.token).expect(200);
      expect(list.body.total).toBe(2);
      expect(list.body.data.map((o: { id: string }) => o.id).sort()).toEqual([a1, a2].sort());
      // Sync mode: what is listed is in MySQL.
      expect(list.body.data.map((o: { state: string }) => o.state)).toEqual(['created', 'created']);

      const one = await t.api
        .get(`/voucher-order/${a1}`)
        .set('authorization', alice.token)
        .expect(200);
      expect(one.body.data).toEqual({
        id: a1,
        userId: alice.id,
        voucherId: first,
        payType: 1,
        status: 1,
        createTime: expect.any(String),
        state: 'created',
      });

      const foreign = await t.api
        .get(`/voucher-order/${b1}`)
        .set('authorization', alice.token)
        .expect(404);
      expect(foreign.body).toEqual({
        success: false,
        code: 'ORDER_NOT_FOUND',
        errorMsg: 'order not found',
      });
    });

    it('answers 404 for an unknown order and 400 for a malformed id', async () => {
      const [shopper] = await signInShoppers(t, 1);
      await t.api.get('/voucher-order/12345').set('authorization', shopper.token).expect(404);
      for (const bad of ['0', 'abc', '-5', '99999999999999999999']) {
        const res = await t.api
          .get(`/voucher-order/${bad}`)
          .set('authorization', shopper.token)
          .expect(400);
        expect(res.body.code).toBe('VALIDATION_FAILED');
      }
    });

    it('needs a token', async () => {
      await t.api.get('/voucher-order').expect(401);
    });
  });

  describe('GET /metrics', () => {
    const countOf = (text: string, outcome: string) =>
      Number(
        new RegExp(`^seckill_orders_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(
          text,
        )?.[1] ?? 0,
      );

    it('counts seckill requests by outcome, in Prometheus text format', async () => {
      const before = (await t.api.get('/metrics').expect(200)).text;
      const [first, second] = await signInShoppers(t, 2);
      const voucherId = await createSeckillVoucher(t.api, { stock: 1 });
      await order(voucherId, first.token).expect(201);
      await order(voucherId, second.token).expect(409);
      await order(voucherId, first.token).expect(409);

      const res = await t.api
        .get('/metrics')
        .expect(200)
        .expect('content-type', /text\/plain/);

      expect(countOf(res.text, 'created') - countOf(before, 'created')).toBe(1);
      expect(countOf(res.text, 'STOCK_EXHAUSTED') - countOf(before, 'STOCK_EXHAUSTED')).toBe(2);
      expect(res.text).toContain('seckill_order_duration_seconds_bucket');
      expect(res.text).toContain('process_resident_memory_bytes');
    });
  });

  describe('the UNIQUE (user_id, voucher_id) key', () => {
    it('alone keeps one order per user when concurrent transactions bypass the lock', async () => {
      // Without the per-user lock, REPEATABLE READ lets several transactions pass the
      // "already ordered?" check at once; the unique key must refuse all but one,
      // and the refused ones must roll their stock deduction back.
      const [shopper] = await signInShoppers(t, 1);
      const voucherId = await createSeckillVoucher(t.api, { stock: 50 });
      const orders = t.app.get(OrderRepository);
      const ids = t.app.get(OrderIdGenerator);

      const outcomes = await Promise.all(
        Array.from({ length: 20 }, async () =>
          orders.createWithStockDeduction({
            orderId: await ids.next(),
            userId: shopper.id,
            voucherId,
          }),
        ),
      );

      expect(outcomes.filter((o) => o === 'created')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'already-purchased')).toHaveLength(19);
      expect(await stockOf(voucherId)).toBe(49);
      expect(await ordersOf(voucherId)).toHaveLength(1);
    });
  });
});
