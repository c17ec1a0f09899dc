import type { FastifyInstance } from 'fastify';
import { RedisKeys } from '../src/redis/redis-keys';
import { SaleEventStreams } from '../src/sales/sale-event-streams';
import type { SaleSnapshot } from '../src/sales/sale-snapshot';
import { EventStreamClient } from './support/event-stream';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  overrideEnv,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { redisCommandsDuring, touching } from './support/redis-monitor';
import { until } from './support/until';

const ADMIN: Record<string, string> = { 'x-admin-token': ADMIN_TOKEN };

const rejectionTotal = (s: SaleSnapshot) =>
  Object.values(s.rejections).reduce((sum, count) => sum + count, 0);

/** GET /admin/sales/:voucherId/events: fleet-wide figures of a sale, streamed. */
describe('live sale view: the event stream (e2e)', () => {
  let t: TestApp;
  const clients: EventStreamClient[] = [];

  const watch = async (app: TestApp, voucherId: number | string, headers = ADMIN) => {
    const client = await EventStreamClient.open(
      `${app.baseUrl}/admin/sales/${voucherId}/events`,
      headers,
    );
    clients.push(client);
    return client;
  };
  const order = (app: TestApp, voucherId: number, token: string) =>
    app.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('refusals, before any stream starts', () => {
    it.each<[string, Record<string, string>]>([
      ['no admin token', {}],
      ['a wrong admin token', { 'x-admin-token': 'not-the-admin-token' }],
    ])('%s: 403 FORBIDDEN in the envelope', async (_case, headers) => {
      const voucherId = await createSeckillVoucher(t.api);
      const client = await watch(t, voucherId, headers);

      expect(client.status).toBe(403);
      expect(client.response.headers['content-type']).toMatch(/^application\/json/);
      expect(await client.json()).toMatchObject({ success: false, code: 'FORBIDDEN' });
    });

    it('an unknown voucher: 404 VOUCHER_NOT_FOUND', async () => {
      const client = await watch(t, 987654321);

      expect(client.status).toBe(404);
      expect(await client.json()).toMatchObject({ success: false, code: 'VOUCHER_NOT_FOUND' });
    });

    it.each(['0', 'abc', '1.5'])('a bad id %p: 400 VALIDATION_FAILED', async (id) => {
      const client = await watch(t, id);

      expect(client.status).toBe(400);
      expect(await client.json()).toMatchObject({ success: false, code: 'VALIDATION_FAILED' });
    });
  });

  it('streams snapshots, at least one a second, with the headers a proxy must not buffer', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 7 });
    const client = await watch(t, voucherId);

    expect(client.status).toBe(200);
    expect(client.response.headers).toMatchObject({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      // The app's security headers survive the hand-over to the raw stream.
      'x-content-type-options': 'nosniff',
      'content-security-policy': expect.stringContaining("default-src 'none'"),
    });
    await until('4 snapshots', () => Promise.resolve(client.snapshots().length >= 4), 15_000);
    const gaps = client.events
      .slice(1)
      .map((event, i) => event.receivedAt - client.events[i].receivedAt);
    // One a second; a loaded machine may delay a tick, but never skip to a rate below one a second on average.
    const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
    expect(mean).toBeLessThan(1600);
    expect(client.snapshots<SaleSnapshot>()[0]).toEqual({
      voucherId,
      at: expect.any(String),
      mode: 'sync',
      stockLeft: 7,
      stockTotal: 7,
      ordersCreated: 0,
      ordersAccepted: 0,
      ordersPerSecond: 0,
      rejections: {},
      rejectionsPerSecond: 0,
      p99Ms: null,
      instances: 0,
    });
  });

  it('counts N orders and M rejections by code, and a rate of orders while they come in', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const shoppers = await signInShoppers(t, 6);
    const client = await watch(t, voucherId);

    // 3 orders, one of them again (ALREADY_PURCHASED), then 3 more shoppers for 2 units.
    for (const s of shoppers.slice(0, 3)) await order(t, voucherId, s.token).expect(201);
    await order(t, voucherId, shoppers[0].token).expect(409);
    const last = await Promise.all(shoppers.slice(3).map((s) => order(t, voucherId, s.token)));
    expect(last.map((res) => res.status).sort()).toEqual([201, 201, 409]);

    const final = await client.snapshotWhere<SaleSnapshot>(
      'every answer counted',
      (s) => s.ordersAccepted === 5 && rejectionTotal(s) === 2,
    );
    expect(final).toMatchObject({
      stockLeft: 0,
      stockTotal: 5,
      ordersCreated: 5,
      ordersAccepted: 5,
      rejections: { ALREADY_PURCHASED: 1, STOCK_EXHAUSTED: 1 },
      instances: 1,
    });
    expect(final.p99Ms).toBeGreaterThan(0);
    expect(client.snapshots<SaleSnapshot>().some((s) => s.ordersPerSecond > 0)).toBe(true);
    expect(await stockOf(t, voucherId)).toBe(0);
  });

  it('costs an order no Redis call: each instance publishes its counters in batches', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 30 });
    const shoppers = await signInShoppers(t, 40);
    const key = RedisKeys.saleStats(voucherId);

    const commands = await redisCommandsDuring(t.redis, async () => {
      await Promise.all(shoppers.map((s) => order(t, voucherId, s.token)));
      await until('the counters published', async () => (await t.redis.hlen(key)) === 1);
    });

    const publishes = touching(commands, key).filter(([name]) => name.toLowerCase() === 'hset');
    expect(publishes.length).toBeGreaterThanOrEqual(1);
    // One every 500 ms at most, however many orders: far fewer than the 40 orders.
    expect(publishes.length).toBeLessThan(15);
  });

  it('stops its timer when the client goes', async () => {
    const streams = t.app.get(SaleEventStreams);
    const voucherId = await createSeckillVoucher(t.api);
    const before = streams.size;
    const client = await watch(t, voucherId);
    await client.snapshotWhere('a snapshot', () => true);
    expect(streams.size).toBe(before + 1);

    client.close();

    await until('the stream to end on the server', () => Promise.resolve(streams.size === before));
  });

  describe('a fleet of two instances sharing MySQL and Redis', () => {
    let other: TestApp;

    beforeAll(async () => {
      other = await startTestApp();
    });
    afterAll(async () => {
      await other.close();
    });

    it('the stream one instance serves shows both instances’ answers', async () => {
      const voucherId = await createSeckillVoucher(t.api, { stock: 4 });
      const shoppers = await signInShoppers(t, 6);
      const client = await watch(t, voucherId);

      // 2 orders on each instance, then each instance refuses one shopper (sold out).
      await order(t, voucherId, shoppers[0].token).expect(201);
      await order(other, voucherId, shoppers[1].token).expect(201);
      await order(other, voucherId, shoppers[2].token).expect(201);
      await order(t, voucherId, shoppers[3].token).expect(201);
      await order(other, voucherId, shoppers[4].token).expect(409);
      await order(t, voucherId, shoppers[5].token).expect(409);

      const final = await client.snapshotWhere<SaleSnapshot>(
        'both instances counted',
        (s) => s.ordersAccepted === 4 && rejectionTotal(s) === 2,
      );
      expect(final).toMatchObject({
        stockLeft: 0,
        ordersCreated: 4,
        rejections: { STOCK_EXHAUSTED: 2 },
        instances: 2,
      });
    });

    it('a closing HTTP server ends its streams instead of waiting for them (SIGTERM drain)', async () => {
      const voucherId = await createSeckillVoucher(t.api);
      const client = await watch(other, voucherId);
      await client.snapshotWhere('a snapshot', () => true);

      // What main.ts does first on SIGTERM.
      const fastify: FastifyInstance = other.app.getHttpAdapter().getInstance();
      const closing = fastify.close();

      await until('the stream to end', () => Promise.resolve(client.isEnded), 5000);
      await closing;
      expect(other.app.get(SaleEventStreams).size).toBe(0);
    });
  });

  describe('async mode', () => {
    let admitter: TestApp;
    let restoreEnv: () => void;

    beforeAll(async () => {
      // No writer: the accepted orders stay in the stream, as a backlog.
      restoreEnv = overrideEnv({ SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'false' });
      admitter = await startTestApp();
      // The backlog is the whole stream's (one shard by default): start from an empty one, whatever earlier
      // specs left in this Redis db (a poison entry's dead letter, say).
      await admitter.redis.del(RedisKeys.orderStream(), RedisKeys.orderDeadLetters());
      await admitter.redis.xgroup(
        'CREATE',
        RedisKeys.orderStream(),
        RedisKeys.orderWriterGroup,
        '0',
        'MKSTREAM',
      );
    });
    afterAll(async () => {
      await admitter.close();
      restoreEnv();
    });

    it('shows Redis stock, accepted orders and the backlog; the backlog drains when a writer runs', async () => {
      const voucherId = await createSeckillVoucher(admitter.api, { stock: 5 });
      const shoppers = await signInShoppers(admitter, 7);
      const client = await watch(admitter, voucherId);

      const answers = await Promise.all(shoppers.map((s) => order(admitter, voucherId, s.token)));
      expect(answers.filter((res) => res.status === 202)).toHaveLength(5);

      const queued = await client.snapshotWhere<SaleSnapshot>(
        'the accepted orders and the backlog',
        (s) => s.ordersAccepted === 5 && rejectionTotal(s) === 2 && s.backlog?.pending === 5,
      );
      expect(queued).toMatchObject({
        mode: 'async',
        stockLeft: 0,
        stockTotal: 5,
        ordersCreated: 0,
        rejections: { STOCK_EXHAUSTED: 2 },
        backlog: { pending: 5, deadLetters: 0 },
      });
      expect(queued.backlog!.oldestAgeMs).toBeGreaterThanOrEqual(0);

      const restore = overrideEnv({ ASYNC_WRITER_ENABLED: 'true', ASYNC_BLOCK_MS: '50' });
      const writer = await startTestApp();
      restore();
      try {
        const written = await client.snapshotWhere<SaleSnapshot>(
          'the backlog written',
          (s) => s.backlog?.pending === 0 && s.ordersCreated === 5,
        );
        expect(written).toMatchObject({ stockLeft: 0, stockTotal: 5, ordersAccepted: 5 });
      } finally {
        await writer.close();
      }
    });
  });
});
