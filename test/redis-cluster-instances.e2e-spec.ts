import { Cluster } from 'ioredis';
import { RedisKeys, voucherShard } from '../src/redis/redis-keys';
import { BuiltService } from './support/built-service';
import { Instance, startInstances } from './support/instances';
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

const SHARDS = 4;
const STOCK = 8;
const CLAIM_IDLE_MS = 300;

/**
 * Two built service instances on one local Redis Cluster, orders round robin
 * over them, and one killed (SIGKILL) while its writer holds entries of every
 * shard behind a locked order table: the other claims them and every accepted
 * order is written exactly once.
 */
describe('Redis Cluster, two instances (e2e)', () => {
  let cluster: RedisClusterProcess;
  let redis: Cluster;
  let built: BuiltService;
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    [cluster, built] = await Promise.all([RedisClusterProcess.start(), BuiltService.build()]);
    restoreEnv = overrideEnv({
      REDIS_CLUSTER_NODES: cluster.nodesVariable,
      ASYNC_STREAM_SHARDS: String(SHARDS),
      SECKILL_MODE: 'async',
      ASYNC_WRITER_ENABLED: 'false',
    });
    // In process, no writer: sessions for the shoppers, and MySQL to read back.
    t = await startTestApp();
    redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
  }, 90_000);
  afterAll(async () => {
    built?.dispose();
    redis?.disconnect();
    await t?.close();
    restoreEnv?.();
    await cluster?.stop();
  });

  /** Instances on the cluster; /health answered (it pings every master). */
  const startOnCluster = (count: number) =>
    startInstances(built, count, {
      REDIS_CLUSTER_NODES: cluster.nodesVariable,
      SECKILL_MODE: 'async',
      ASYNC_STREAM_SHARDS: String(SHARDS),
      ASYNC_BLOCK_MS: '50',
      ASYNC_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
    });

  /** Entries read and not acknowledged, per consumer, over every shard. */
  async function pendingByConsumer(): Promise<Map<string, number>> {
    const held = new Map<string, number>();
    for (let shard = 0; shard < SHARDS; shard += 1) {
      const [, , , consumers] = (await redis.xpending(
        RedisKeys.orderStream(shard),
        RedisKeys.orderWriterGroup,
      )) as [number, unknown, unknown, [string, string][] | null];
      for (const [name, count] of consumers ?? []) {
        held.set(name, (held.get(name) ?? 0) + Number(count));
      }
    }
    return held;
  }

  it('writes every order accepted by either instance exactly once after one is killed', async () => {
    const [a, b] = await startOnCluster(2);
    const vouchers: number[] = [];
    while (new Set(vouchers.map((id) => voucherShard(id, SHARDS))).size < SHARDS) {
      const created = await a.api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .send(seckillVoucherBody({ stock: STOCK }))
        .expect(201);
      vouchers.push(created.body.data as number);
    }
    const shoppers = await signInShoppers(t, 2 * STOCK);

    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    const accepted: string[] = [];
    let survivor = b;
    try {
      // The writers read the orders, and their INSERTs wait on the table lock.
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      // Voucher by voucher: the per-user lock is one per user, whatever the voucher.
      const answers = [];
      for (const voucherId of vouchers) {
        answers.push(
          ...(await Promise.all(
            shoppers.map((s, i) =>
              (i % 2 === 0 ? a : b).api
                .post(`/voucher-order/seckill/${voucherId}`)
                .set('authorization', `Bearer ${s.token}`),
            ),
          )),
        );
      }
      for (const res of answers) {
        if (res.status === 202) accepted.push(res.body.data as string);
        else expect(res.body.code).toBe('STOCK_EXHAUSTED');
      }
      expect(accepted).toHaveLength(STOCK * vouchers.length);
      // The consumer name is host-pid-random.
      const holds = (held: Map<string, number>, instance: Instance) =>
        [...held.keys()].some((name) => name.includes(`-${instance.pid}-`));
      // Each shard's loop of each instance reads a first batch and retries it while the
      // table is locked; the rest waits in the streams.
      await until(
        'both instances to hold entries',
        async () => {
          const held = await pendingByConsumer();
          return holds(held, a) && holds(held, b);
        },
        20_000,
      );
      const victim = a;
      victim.kill('SIGKILL');
      await victim.exited;
      survivor = victim === a ? b : a;
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }

    await until(
      'every accepted order in MySQL',
      async () => {
        let rows = 0;
        for (const voucherId of vouchers) rows += (await ordersOf(t, voucherId)).length;
        return rows === accepted.length;
      },
      40_000,
    );
    const written: string[] = [];
    for (const voucherId of vouchers) {
      const rows = await ordersOf(t, voucherId);
      expect(rows).toHaveLength(STOCK);
      expect(new Set(rows.map((row) => row.user_id)).size).toBe(STOCK);
      expect(await stockOf(t, voucherId)).toBe(0);
      written.push(...rows.map((row) => row.id));
    }
    expect(new Set(written)).toEqual(new Set(accepted));
    await until('nothing pending', async () => (await pendingByConsumer()).size === 0);
    survivor.kill('SIGTERM');
    await survivor.exited;
  }, 120_000);
});
