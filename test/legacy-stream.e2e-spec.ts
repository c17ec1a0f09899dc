import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { ID_EPOCH_SECONDS } from '../src/order/order-id.generator';
import { RedisKeys } from '../src/redis/redis-keys';
import {
  createSeckillVoucher,
  ordersOf,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

function asyncEnv(writer: boolean): void {
  Object.assign(process.env, {
    SECKILL_MODE: 'async',
    ASYNC_WRITER_ENABLED: String(writer),
    ASYNC_BLOCK_MS: '50',
    ASYNC_CLAIM_IDLE_MS: '300',
    ASYNC_TRIM_INTERVAL_MS: '200',
  });
}

/**
 * An upgrade from the single `stream.orders` (before the stream shards): an
 * order accepted then and still on its way is answered, counted by the
 * rebuild of the voucher's new keys, and written once by the new writers,
 * which then delete the legacy stream.
 */
describe('async seckill: upgrade from the legacy stream.orders (e2e)', () => {
  let t: TestApp;

  afterEach(async () => {
    await t?.close();
  });

  it('answers, counts and writes an order left in the legacy stream, then deletes the stream', async () => {
    asyncEnv(false);
    t = await startTestApp();
    const stock = 5;
    const voucherId = await createSeckillVoucher(t.api, { stock });
    const [early, late] = await signInShoppers(t, 2);
    // As the earlier version left it: the keys of the old layout (not read any more),
    // none of the new one, the order in stream.orders with its state.
    await t.redis.del(
      RedisKeys.seckillStock(voucherId, 1),
      RedisKeys.seckillBuyers(voucherId, 1),
      RedisKeys.seckillWindow(voucherId, 1),
    );
    await t.redis.set(`seckill:stock:${voucherId}`, stock - 1);
    const seconds = BigInt(Math.floor(Date.now() / 1000) - ID_EPOCH_SECONDS);
    const legacyId = ((seconds << 32n) | 777n).toString();
    await t.redis.xgroup('CREATE', 'stream.orders', RedisKeys.orderWriterGroup, '0', 'MKSTREAM');
    const streamId = await t.redis.xadd(
      'stream.orders',
      '*',
      'orderId',
      legacyId,
      'userId',
      early.id,
      'voucherId',
      voucherId,
    );
    await t.redis.hset(`seckill:order-state:${legacyId}`, {
      userId: early.id,
      voucherId,
      state: 'pending',
      acceptedAt: streamId!.split('-')[0],
    });

    const pending = await t.api
      .get(`/voucher-order/${legacyId}`)
      .set('authorization', `Bearer ${early.token}`);
    expect(pending.status).toBe(200);
    expect(pending.body.data).toMatchObject({ id: legacyId, state: 'pending' });
    expect((await t.app.get(AsyncSeckillState).backlog()).pending).toBe(1);

    // The next order rebuilds the new keys from MySQL, counting the legacy entry.
    await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', `Bearer ${late.token}`)
      .expect(202);
    expect(await t.redis.get(RedisKeys.seckillStock(voucherId, 1))).toBe(String(stock - 2));
    expect(await t.redis.sismember(RedisKeys.seckillBuyers(voucherId, 1), early.id)).toBe(1);
    await t.close();

    asyncEnv(true);
    t = await startTestApp();
    await until('both orders in MySQL', async () => (await ordersOf(t, voucherId)).length === 2);
    await until(
      'the legacy stream to be deleted',
      async () => (await t.redis.exists('stream.orders')) === 0,
    );
    const rows = await ordersOf(t, voucherId);
    expect(rows.map((row) => row.user_id).sort()).toEqual([early.id, late.id].map(String).sort());
    expect(rows.some((row) => row.id === legacyId)).toBe(true);
    expect(await stockOf(t, voucherId)).toBe(stock - 2);
    expect((await t.app.get(AsyncSeckillState).backlog()).pending).toBe(0);
    await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', `Bearer ${early.token}`)
      .expect(409);
  });
});
