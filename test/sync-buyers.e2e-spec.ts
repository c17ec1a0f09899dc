import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeys } from '../src/redis/redis-keys';
import {
  createSeckillVoucher,
  overrideEnv,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

/**
 * Sync mode writes the voucher's buyer set after commit and reads it before the
 * lock; async mode's keys, loaded before a sync sale, are rebuilt from MySQL
 * afterwards (the window key goes with every sync order), never trusted.
 */
describe('the buyer set across modes (e2e)', () => {
  let sync: TestApp;
  let async: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    const restoreSync = overrideEnv({ SECKILL_MODE: 'sync' });
    sync = await startTestApp();
    restoreSync();
    restoreEnv = overrideEnv({ SECKILL_MODE: 'async', ASYNC_BLOCK_MS: '50' });
    async = await startTestApp();
  });
  afterAll(async () => {
    await async?.close();
    await sync?.close();
    restoreEnv?.();
  });

  const order = (t: TestApp, voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);
  const isBuyer = async (voucherId: number, userId: number) =>
    (await sync.redis.sismember(RedisKeys.seckillBuyers(voucherId, 1), userId)) === 1;

  it('sync mode: a buyer joins the set after commit and is refused from then on', async () => {
    const voucherId = await createSeckillVoucher(sync.api, { stock: 5 });
    const [shopper] = await signInShoppers(sync, 1);
    expect(await isBuyer(voucherId, shopper.id)).toBe(false);

    await order(sync, voucherId, shopper.token).expect(201);
    expect(await isBuyer(voucherId, shopper.id)).toBe(true);
    const again = await order(sync, voucherId, shopper.token).expect(409);
    expect(again.body.code).toBe('ALREADY_PURCHASED');
    expect(await stockOf(sync, voucherId)).toBe(4);
  });

  it('sync mode: a set that lags (flushed) still refuses through MySQL, and learns the buyer', async () => {
    const voucherId = await createSeckillVoucher(sync.api, { stock: 5 });
    const [shopper] = await signInShoppers(sync, 1);
    await order(sync, voucherId, shopper.token).expect(201);
    await sync.redis.del(RedisKeys.seckillBuyers(voucherId, 1));

    const again = await order(sync, voucherId, shopper.token).expect(409);
    expect(again.body.code).toBe('ALREADY_PURCHASED');
    expect(await isBuyer(voucherId, shopper.id)).toBe(true);
  });

  it('async keys loaded before a sync sale are rebuilt from MySQL after it, set and stock', async () => {
    // Loaded by the async app at creation: stock 5, no buyers.
    const voucherId = await createSeckillVoucher(async.api, { stock: 5 });
    expect(await async.redis.get(RedisKeys.seckillStock(voucherId, 1))).toBe('5');
    const [a, b, c] = await signInShoppers(sync, 3);

    // Two sync orders: MySQL stock 3, and the stale async keys unloaded.
    await order(sync, voucherId, a.token).expect(201);
    await order(sync, voucherId, b.token).expect(201);
    expect(await async.redis.exists(RedisKeys.seckillWindow(voucherId, 1))).toBe(0);

    // Async mode: a sync buyer is refused, a new one admitted against the rebuilt stock.
    const refused = await order(async, voucherId, a.token).expect(409);
    expect(refused.body.code).toBe('ALREADY_PURCHASED');
    await order(async, voucherId, c.token).expect(202);
    await until(
      'the order to be written',
      async () => (await async.app.get(AsyncSeckillState).backlog()).pending === 0,
    );
    expect(await async.redis.get(RedisKeys.seckillStock(voucherId, 1))).toBe('2');
    expect(await stockOf(async, voucherId)).toBe(2);
    expect(
      (await async.redis.smembers(RedisKeys.seckillBuyers(voucherId, 1))).map(Number).sort(),
    ).toEqual([a.id, b.id, c.id].sort());
  });
});
