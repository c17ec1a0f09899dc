import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { SeckillStockStore } from '../src/order/async/seckill-stock.store';
import { RedisKeys } from '../src/redis/redis-keys';
import {
  createSeckillVoucher,
  ordersOf as readOrders,
  signInShoppers,
  startTestApp,
  stockOf as readStock,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

const MAX_DELIVERIES = 3;
const CLAIM_IDLE_MS = 300;

function asyncEnv(writer: boolean): void {
  Object.assign(process.env, {
    SECKILL_MODE: 'async',
    ASYNC_WRITER_ENABLED: String(writer),
    ASYNC_BLOCK_MS: '50',
    ASYNC_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
    ASYNC_MAX_DELIVERIES: String(MAX_DELIVERIES),
    ASYNC_TRIM_INTERVAL_MS: '200',
  });
}

/**
 * The stream's consumers. `t` admits with no writer of its own, so entries stay
 * in the stream until a test starts a writer (`startWriter`).
 */
describe('async seckill: the order writers (e2e)', () => {
  let t: TestApp;
  let writer: TestApp | undefined;

  beforeAll(async () => {
    asyncEnv(false);
    t = await startTestApp();
  });
  afterEach(async () => {
    await writer?.close();
    writer = undefined;
  });
  afterAll(async () => {
    await t.close();
  });

  const startWriter = async (overrides: Record<string, string> = {}) => {
    asyncEnv(true);
    Object.assign(process.env, overrides);
    writer = await startTestApp();
    asyncEnv(false);
    return writer;
  };
  const order = (voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);
  const getOrder = (orderId: string, token: string) =>
    t.api.get(`/voucher-order/${orderId}`).set('authorization', `Bearer ${token}`);
  const backlog = () => t.app.get(AsyncSeckillState).backlog();
  const drained = async () => (await backlog()).pending === 0;
  const redisStock = async (voucherId: number) =>
    Number(await t.redis.get(RedisKeys.seckillStock(voucherId, 1)));

  it('answers GET with state pending until a writer has written the order, then created', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const orderId = (await order(voucherId, shopper.token).expect(202)).body.data as string;

    const pending = await getOrder(orderId, shopper.token).expect(200);
    expect(pending.body.data).toEqual({
      id: orderId,
      userId: shopper.id,
      voucherId,
      payType: 1,
      status: 1,
      createTime: expect.stringMatching(/Z$/),
      state: 'pending',
    });
    expect(await readOrders(t, voucherId)).toEqual([]);

    await startWriter();
    await until('the order to be written', drained);
    const created = await getOrder(orderId, shopper.token).expect(200);
    expect(created.body.data).toMatchObject({ id: orderId, state: 'created' });
    // The order's time is its admission's, not its write's.
    expect(created.body.data.createTime).toBe(pending.body.data.createTime);
    expect(await t.redis.exists(RedisKeys.asyncOrderState(orderId))).toBe(0);
  });

  it('counts accepted orders not yet in MySQL when it rebuilds the keys', async () => {
    const shoppers = await signInShoppers(t, 3);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    for (const s of shoppers) await order(voucherId, s.token).expect(202);
    await t.redis.del(RedisKeys.seckillStock(voucherId, 1), RedisKeys.seckillBuyers(voucherId, 1));

    const rebuild = await t.app.get(AsyncSeckillState).rebuildFromMysql(voucherId);

    expect(rebuild).toEqual({
      voucherId,
      mysqlStock: 10,
      mysqlOrders: 0,
      pendingOrders: 3,
      stock: 7,
      buyers: 3,
    });
    expect(await redisStock(voucherId)).toBe(7);
    expect((await t.redis.smembers(RedisKeys.seckillBuyers(voucherId, 1))).sort()).toEqual(
      shoppers.map((s) => String(s.id)).sort(),
    );
    await startWriter();
    await until('the orders to be written', drained);
    expect(await readStock(t, voucherId)).toBe(7);
  });

  it("claims a dead consumer's pending entries (XAUTOCLAIM) and writes each once", async () => {
    const shoppers = await signInShoppers(t, 5);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    const ids: string[] = [];
    for (const s of shoppers) ids.push((await order(voucherId, s.token).expect(202)).body.data);
    // A consumer reads them and dies before acknowledging.
    const read = (await t.redis.xreadgroup(
      'GROUP',
      RedisKeys.orderWriterGroup,
      'dead-consumer',
      'COUNT',
      100,
      'STREAMS',
      RedisKeys.orderStream(),
      '>',
    )) as [string, unknown[]][];
    expect(read[0][1]).toHaveLength(5);

    const w = await startWriter();
    await until('the orders to be written', drained);

    expect((await readOrders(t, voucherId)).map((row) => row.id).sort()).toEqual(ids.sort());
    expect(await readStock(t, voucherId)).toBe(5);
    const consumers = (await t.redis.xinfo(
      'CONSUMERS',
      RedisKeys.orderStream(),
      RedisKeys.orderWriterGroup,
    )) as unknown[][];
    const pendingOf = (name: string) =>
      Number(consumers.find((fields) => fields[1] === name)?.[3] ?? -1);
    expect(pendingOf('dead-consumer')).toBe(0);
    const reclaimed = await w.api.get('/metrics').expect(200);
    expect(reclaimed.text).toMatch(/^seckill_async_reclaimed_total 5$/m);
  });

  it('dead-letters an entry that fails ASYNC_MAX_DELIVERIES times, gives its unit back, state failed', async () => {
    const [poisoned, fine] = await signInShoppers(t, 2);
    const voucherId = await createSeckillVoucher(t.api, { stock: 2 });
    const poisonId = (await order(voucherId, poisoned.token).expect(202)).body.data as string;
    // MySQL has no unit for it (drifted from Redis): its write fails every time.
    await t.db.query('UPDATE tb_seckill_voucher SET stock = 0 WHERE voucher_id = ?', [voucherId]);
    expect(await redisStock(voucherId)).toBe(1);

    const started = Date.now();
    await startWriter();
    await until('the entry to be dead-lettered', async () => (await backlog()).deadLetters > 0);

    // First delivery, then a claim after each idle period: not before the last allowed one.
    expect(Date.now() - started).toBeGreaterThanOrEqual((MAX_DELIVERIES - 1) * CLAIM_IDLE_MS);
    const letters = await t.app.get(SeckillStockStore).deadLetters();
    expect(letters).toEqual([
      expect.objectContaining({
        orderId: poisonId,
        userId: String(poisoned.id),
        voucherId: String(voucherId),
        deliveries: String(MAX_DELIVERIES),
        streamId: expect.stringMatching(/^\d+-\d+$/),
        error: expect.stringContaining('fewer than 1 units'),
      }),
    ]);
    expect(await redisStock(voucherId)).toBe(2);
    expect(
      await t.redis.sismember(RedisKeys.seckillBuyers(voucherId, 1), String(poisoned.id)),
    ).toBe(0);
    expect((await getOrder(poisonId, poisoned.token).expect(200)).body.data).toMatchObject({
      id: poisonId,
      state: 'failed',
    });
    expect(await readOrders(t, voucherId)).toEqual([]);
    expect((await backlog()).pending).toBe(0);

    // The unit is for sale again, once MySQL has it too.
    await t.db.query('UPDATE tb_seckill_voucher SET stock = 2 WHERE voucher_id = ?', [voucherId]);
    await order(voucherId, fine.token).expect(202);
    await until('the next order to be written', drained);
    expect(await readStock(t, voucherId)).toBe(1);
  });

  it('trims the stream only below what the group has acknowledged', async () => {
    const shoppers = await signInShoppers(t, 4);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    const early: string[] = [];
    for (const s of shoppers.slice(0, 2)) {
      early.push((await order(voucherId, s.token).expect(202)).body.data as string);
    }
    // A consumer takes the first two and hangs: pending, not acknowledged.
    await t.redis.xreadgroup(
      'GROUP',
      RedisKeys.orderWriterGroup,
      'hung-consumer',
      'COUNT',
      100,
      'STREAMS',
      RedisKeys.orderStream(),
      '>',
    );
    // A writer that will not claim them for a long time writes the next two, and trims.
    await startWriter({ ASYNC_CLAIM_IDLE_MS: '600000' });
    for (const s of shoppers.slice(2)) await order(voucherId, s.token).expect(202);
    await until('the later orders to be written', async () => (await backlog()).pending === 2);
    await sleep(600);
    const kept = (await t.redis.xrange(RedisKeys.orderStream(), '-', '+')) as [string, string[]][];
    const keptOrders = kept.map(([, fields]) => fields[fields.indexOf('orderId') + 1]);
    expect(keptOrders).toEqual(expect.arrayContaining(early));
    await writer?.close();

    await startWriter();
    await until("the hung consumer's orders to be written and the stream trimmed", async () => {
      return (await drained()) && (await t.redis.xlen(RedisKeys.orderStream())) <= 1;
    });
    expect(await readOrders(t, voucherId)).toHaveLength(4);
  });
});
