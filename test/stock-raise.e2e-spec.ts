import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { SeckillStockStore } from '../src/order/async/seckill-stock.store';
import { RedisKeys } from '../src/redis/redis-keys';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  overrideEnv,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

const HOUR = 3_600_000;

/** PATCH /voucher/seckill/:id in both modes, against one in-process app per mode. */
describe.each(['sync', 'async'] as const)('PATCH /voucher/seckill/:id, %s mode (e2e)', (mode) => {
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = overrideEnv({
      SECKILL_MODE: mode,
      ASYNC_BLOCK_MS: '50',
      // A long TTL: the raising instance must forget its own copy at once.
      VOUCHER_CACHE_TTL_MS: '60000',
    });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    restoreEnv();
  });

  const raise = (voucherId: number | string, body: unknown, token = ADMIN_TOKEN) =>
    t.api
      .patch(`/voucher/seckill/${voucherId}`)
      .set('x-admin-token', token)
      .send(body as object);
  const order = (voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);
  const sold = mode === 'sync' ? 201 : 202;

  it('sells the added units on the instance that raised them, even right after a sold-out', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 1 });
    const [first, second, third] = await signInShoppers(t, 3);
    await order(voucherId, first.token).expect(sold);
    // Sold out: this instance marks its cached offer sold out (TTL 60 s).
    const refused = await order(voucherId, second.token).expect(409);
    expect(refused.body.errorMsg).toBe('insufficient stock');

    if (mode === 'async') {
      const state = t.app.get(AsyncSeckillState);
      await until('the order to be written', async () => (await state.backlog()).pending === 0);
    }

    const res = await raise(voucherId, { units: 2 }).expect(200);
    expect(res.body.data).toMatchObject({ voucherId, stock: 2 });
    if (mode === 'async') expect(res.body.data.redisStock).toBe(2);

    await order(voucherId, second.token).expect(sold);
    await order(voucherId, third.token).expect(sold);
  });

  it.each([
    [{ units: 0 }],
    [{ units: -3 }],
    [{ units: 1.5 }],
    [{ units: '5' }],
    [{ units: 100_000_001 }],
    [{}],
    [{ units: 1, stock: 9 }],
  ])('refuses %j with 400 and changes nothing', async (body) => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 3 });
    const res = await raise(voucherId, body).expect(400);
    expect(res.body).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    expect(await stockOf(t, voucherId)).toBe(3);
  });

  it('is admin only, 404 for an unknown voucher, 409 SECKILL_ENDED for a sale that is over', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 3 });
    await t.api.patch(`/voucher/seckill/${voucherId}`).send({ units: 1 }).expect(403);
    await raise(voucherId, { units: 1 }, 'wrong-token').expect(403);
    const unknown = await raise(9_000_000_000, { units: 1 }).expect(404);
    expect(unknown.body.code).toBe('VOUCHER_NOT_FOUND');

    const ended = await createSeckillVoucher(t.api, {
      stock: 3,
      beginTime: new Date(Date.now() - 2 * HOUR).toISOString(),
      endTime: new Date(Date.now() - HOUR).toISOString(),
    });
    const res = await raise(ended, { units: 1 }).expect(409);
    expect(res.body.code).toBe('SECKILL_ENDED');
    expect(await stockOf(t, ended)).toBe(3);
  });

  it('refuses a raise past 100,000,000 units with 409 STOCK_LIMIT_EXCEEDED and changes nothing', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 99_999_999 });
    await raise(voucherId, { units: 1 }).expect(200);
    const res = await raise(voucherId, { units: 1 }).expect(409);
    expect(res.body).toMatchObject({ success: false, code: 'STOCK_LIMIT_EXCEEDED' });
    expect(await stockOf(t, voucherId)).toBe(100_000_000);
    // Raises were capped only per call before: enough of them overflowed INT UNSIGNED (a 500).
    for (let i = 0; i < 3; i += 1) await raise(voucherId, { units: 100_000_000 }).expect(409);
    expect(await stockOf(t, voucherId)).toBe(100_000_000);
  });

  if (mode === 'async') {
    it('raises MySQL only when the Redis keys are not loaded, and the rebuild counts the raise once', async () => {
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      await t.redis.del(
        RedisKeys.seckillWindow(voucherId, 1),
        RedisKeys.seckillStock(voucherId, 1),
      );

      const res = await raise(voucherId, { units: 3 }).expect(200);
      expect(res.body.data).toEqual({ voucherId, stock: 8, redisStock: null });
      const rebuilt = await t.app.get(AsyncSeckillState).rebuildFromMysql(voucherId);
      expect(rebuilt?.stock).toBe(8);
    });

    it('never double-counts a raise and rebuilds running at the same time', async () => {
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const state = t.app.get(AsyncSeckillState);
      const raises = Array.from({ length: 5 }, () => raise(voucherId, { units: 2 }));
      const rebuilds = Array.from({ length: 3 }, () => state.rebuildFromMysql(voucherId));
      const answers = await Promise.all(raises);
      await Promise.all(rebuilds);
      expect(answers.map((res) => res.status)).toEqual(Array(5).fill(200));
      expect(await stockOf(t, voucherId)).toBe(15);
      expect((await t.app.get(SeckillStockStore).read(voucherId)).stock).toBe(15);
    });
  }
});
