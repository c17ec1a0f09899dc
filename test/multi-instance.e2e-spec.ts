import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { BuiltService } from './support/built-service';
import { Instance, startInstances, stopInstances } from './support/instances';
import { RedisClusterProcess } from './support/redis-cluster';
import {
  ADMIN_TOKEN,
  ordersOf,
  overrideEnv,
  seckillVoucherBody,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

const INSTANCES = 3;
const CACHE_TTL_MS = 500;

/**
 * Three service processes that share only MySQL and Redis, orders spread
 * round robin over them, in each mode, on one Redis server and on a local Redis
 * Cluster of three masters (REDIS_CLUSTER_NODES, the stream shards' default of
 * 8). The in-process app (sync mode, no writer) only signs shoppers in and
 * reads the stores.
 */
describe.each([
  ['sync', 'one Redis'],
  ['async', 'one Redis'],
  ['sync', 'a Redis Cluster of 3 masters'],
  ['async', 'a Redis Cluster of 3 masters'],
] as const)('%s mode across 3 instances on %s (e2e, real processes)', (mode, topology) => {
  let service: BuiltService;
  let cluster: RedisClusterProcess | undefined;
  let t: TestApp;
  let restoreEnv: () => void;
  let instances: Instance[] = [];

  beforeAll(async () => {
    if (topology !== 'one Redis') cluster = await RedisClusterProcess.start();
    const redisEnv: Record<string, string> = cluster
      ? { REDIS_CLUSTER_NODES: cluster.nodesVariable }
      : {};
    restoreEnv = overrideEnv({
      SECKILL_MODE: 'sync',
      ASYNC_WRITER_ENABLED: 'false',
      ...redisEnv,
    });
    service = await BuiltService.build();
    t = await startTestApp();
    // A Cluster client opens its connection to each master on first use and has no
    // offline queue: /health pings every master, as a balancer's check does for the
    // instances, so the sign-ins below find every connection open.
    await until(
      'every Redis master to answer',
      async () => (await t.api.get('/health')).ok,
      20_000,
    );
    instances = await startInstances(service, INSTANCES, {
      SECKILL_MODE: mode,
      VOUCHER_CACHE_TTL_MS: String(CACHE_TTL_MS),
      ASYNC_BLOCK_MS: '50',
      ...redisEnv,
    });
  }, 180_000);
  afterAll(async () => {
    await stopInstances(instances).catch(() => undefined);
    service?.dispose();
    await t?.close();
    restoreEnv?.();
    await cluster?.stop();
  });

  const sold = mode === 'sync' ? 201 : 202;
  const at = (i: number) => instances[i % instances.length].api;
  const order = (i: number, voucherId: number, token: string) =>
    at(i).post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);
  const createVoucher = async (i: number, stock: number) => {
    const res = await at(i)
      .post('/voucher/seckill')
      .set('x-admin-token', ADMIN_TOKEN)
      .send(seckillVoucherBody({ stock }))
      .expect(201);
    return res.body.data as number;
  };
  const drained = async () =>
    mode === 'sync' || (await t.app.get(AsyncSeckillState).backlog()).pending === 0;

  it('flash crowd: exactly the stock sold, nobody twice, accepted ids = written orders', async () => {
    const stock = 30;
    const shoppers = await signInShoppers(t, 150);
    const voucherId = await createVoucher(0, stock);

    const answers = await Promise.all(shoppers.map((s, i) => order(i, voucherId, s.token)));

    const accepted = answers
      .filter((res) => res.status === sold)
      .map((res) => String(res.body.data));
    expect(accepted).toHaveLength(stock);
    expect(
      answers.filter((res) => res.status !== sold).map((res) => String(res.body.code)),
    ).toEqual(Array(shoppers.length - stock).fill('STOCK_EXHAUSTED'));
    await until('every accepted order to be written', drained, 20_000);
    const rows = await ordersOf(t, voucherId);
    expect(rows.map((row) => row.id).sort()).toEqual([...accepted].sort());
    expect(new Set(rows.map((row) => row.user_id)).size).toBe(stock);
    expect(await stockOf(t, voucherId)).toBe(0);
  });

  it('a hot user hammering every instance at once gets exactly one order', async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createVoucher(1, 10);

    const answers = await Promise.all(
      Array.from({ length: 90 }, (_, i) => order(i, voucherId, shopper.token)),
    );

    expect(answers.filter((res) => res.status === sold)).toHaveLength(1);
    const refusals = new Set(
      answers.filter((res) => res.status !== sold).map((res) => String(res.body.code)),
    );
    expect(
      [...refusals].every((code) => code === 'ALREADY_PURCHASED' || code === 'DUPLICATE_ORDER'),
    ).toBe(true);
    await until('the order to be written', drained, 20_000);
    expect(await ordersOf(t, voucherId)).toHaveLength(1);
    expect(await stockOf(t, voucherId)).toBe(9);
  });

  it('a voucher created on one instance is sold by another within the cache TTL, even after a 404 there', async () => {
    const [shopper] = await signInShoppers(t, 1);
    // The next voucher id, made known: the counter moved past any gap earlier specs left.
    const [{ top }] = await t.db.query<{ top: string }[]>(
      'SELECT COALESCE(MAX(id), 0) AS top FROM tb_voucher',
    );
    const next = Number(top) + 1000;
    await t.db.query(`ALTER TABLE tb_voucher AUTO_INCREMENT = ${next}`);
    // Instance 1 is asked for the next id before it exists: it caches "no such voucher".
    const unknown = await order(1, next, shopper.token).expect(404);
    expect(unknown.body.code).toBe('VOUCHER_NOT_FOUND');
    const voucherId = await createVoucher(0, 1);
    expect(voucherId).toBe(next); // nobody else creates vouchers in this database now

    await until(
      'instance 1 to find the new voucher',
      async () => (await order(1, voucherId, shopper.token)).status === sold,
      CACHE_TTL_MS + 5000,
    );
  });

  it('units added on one instance are sold by another within the cache TTL, even after its sold-out mark', async () => {
    const [first, second, third, fourth] = await signInShoppers(t, 4);
    const voucherId = await createVoucher(0, 1);
    // Instance 1 sells the unit, then refuses: its cached offer now says sold out.
    await order(1, voucherId, first.token).expect(sold);
    await order(1, voucherId, second.token).expect(409);
    await until('the order to be written', drained, 20_000);

    const raised = await at(0)
      .patch(`/voucher/seckill/${voucherId}`)
      .set('x-admin-token', ADMIN_TOKEN)
      .send({ units: 2 })
      .expect(200);
    expect(raised.body.data.stock).toBe(2);
    const raisedAt = Date.now();

    // Instance 1 sells them once its copy expires: within the TTL (plus this box's scheduling).
    let sellAfterMs = 0;
    await until(
      'instance 1 to sell an added unit',
      async () => {
        const res = await order(1, voucherId, second.token);
        sellAfterMs = Date.now() - raisedAt;
        return res.status === sold;
      },
      CACHE_TTL_MS + 5000,
    );
    expect(sellAfterMs).toBeLessThan(CACHE_TTL_MS + 5000);
    await order(2, voucherId, third.token).expect(sold);
    await order(1, voucherId, fourth.token).expect(409);
    await until('the orders to be written', drained, 20_000);
    expect(await ordersOf(t, voucherId)).toHaveLength(3);
    expect(await stockOf(t, voucherId)).toBe(0);
  });
});
