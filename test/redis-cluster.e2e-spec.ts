import { Cluster } from 'ioredis';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { runFlashSale } from '../loadtest/flash-sale';
import { loadtestContextOf } from '../loadtest/loadtest.context';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeyPrefixes, RedisKeys, voucherShard } from '../src/redis/redis-keys';
import { RedisClusterProcess } from './support/redis-cluster';
import {
  createSeckillVoucher,
  loginShopper,
  ordersOf,
  overrideEnv,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

const ROOT = resolve(__dirname, '..');
const SHARDS = 4;
const GROUP = RedisKeys.orderWriterGroup;

/** `npm run reconcile -- ...args` against the cluster: a process of its own, the app's env. */
function reconcile(...args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [
        require.resolve('ts-node/dist/bin.js'),
        '--transpile-only',
        'src/reconcile/reconcile.cli.ts',
        '--settle-ms',
        '100',
        ...args,
      ],
      { cwd: ROOT, env: process.env, timeout: 60_000 },
      (error, stdout) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout });
      },
    );
  });
}

/**
 * The service on a local Redis Cluster of three masters (REDIS_CLUSTER_NODES):
 * sessions, logins, locks, both seckill modes, the sharded streams and their
 * writers, reconcile, and a master that dies.
 */
describe('Redis Cluster (e2e)', () => {
  let cluster: RedisClusterProcess;
  let redis: Cluster;
  let restoreEnv: () => void;

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
    restoreEnv = overrideEnv({
      REDIS_CLUSTER_NODES: cluster.nodesVariable,
      ASYNC_STREAM_SHARDS: String(SHARDS),
      ASYNC_BLOCK_MS: '50',
      ASYNC_TRIM_INTERVAL_MS: '200',
    });
    redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    await redis.ping();
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    restoreEnv?.();
    await cluster?.stop();
  });

  const order = (t: TestApp, voucherId: number, token: string) =>
    t.api.post(`/voucher-order/seckill/${voucherId}`).set('authorization', `Bearer ${token}`);

  /** The port of the master that serves `key`'s slot. */
  async function ownerOf(key: string): Promise<number> {
    const slot = await redis.cluster('KEYSLOT', key);
    const ranges = (await redis.cluster('SLOTS')) as unknown as [
      number,
      number,
      [string, number],
    ][];
    const range = ranges.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no master serves slot ${slot}`);
    return Number(range[2][1]);
  }

  describe('sync mode', () => {
    let t: TestApp;
    beforeAll(async () => {
      Object.assign(process.env, { SECKILL_MODE: 'sync' });
      t = await startTestApp();
    });
    afterAll(async () => {
      await t.close();
    });

    it('logs a shopper in (code, limiter, session) and answers /health with every master up', async () => {
      const token = await loginShopper(t.api);
      await t.api.get('/user/me').set('authorization', `Bearer ${token}`).expect(200);
      await t.api.get('/health').expect(200);
    });

    it('flash crowd: exactly the stock sold, nobody twice', async () => {
      const stock = 20;
      const shoppers = await signInShoppers(t, 120);
      const voucherId = await createSeckillVoucher(t.api, { stock });

      const answers = await Promise.all(shoppers.map((s) => order(t, voucherId, s.token)));

      expect(answers.filter((res) => res.status === 201)).toHaveLength(stock);
      const rows = await ordersOf(t, voucherId);
      expect(rows).toHaveLength(stock);
      expect(new Set(rows.map((row) => row.user_id)).size).toBe(stock);
      expect(await stockOf(t, voucherId)).toBe(0);
    });
  });

  describe('async mode', () => {
    const vouchers: number[] = [];
    const accepted = new Map<number, string[]>();

    it('admits a flash crowd on vouchers of every shard, each voucher in one slot', async () => {
      // Admission only: no writer in this process, the orders stay in the streams.
      Object.assign(process.env, { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'false' });
      const t = await startTestApp();
      try {
        const stock = 10;
        while (new Set(vouchers.map((id) => voucherShard(id, SHARDS))).size < SHARDS) {
          vouchers.push(await createSeckillVoucher(t.api, { stock }));
        }
        const shoppers = await signInShoppers(t, 40);
        for (const voucherId of vouchers) {
          const answers = await Promise.all(shoppers.map((s) => order(t, voucherId, s.token)));
          const ids = answers
            .filter((res) => res.status === 202)
            .map((res) => res.body.data as string);
          expect(ids).toHaveLength(stock);
          for (const res of answers.filter((r) => r.status !== 202)) {
            expect(res.body.code).toBe('STOCK_EXHAUSTED');
          }
          accepted.set(voucherId, ids);
        }

        for (const voucherId of vouchers) {
          const shard = voucherShard(voucherId, SHARDS);
          const [orderId] = accepted.get(voucherId)!;
          const keys = [
            RedisKeys.seckillStock(voucherId, SHARDS),
            RedisKeys.seckillBuyers(voucherId, SHARDS),
            RedisKeys.seckillWindow(voucherId, SHARDS),
            RedisKeys.orderStream(shard),
            RedisKeys.orderDeadLetters(shard),
            RedisKeys.orderIdSequence('2026:11:30', shard),
            RedisKeys.asyncOrderState(orderId),
            `${RedisKeyPrefixes.asyncOrderState(shard)}${orderId}`,
          ];
          const slots = await Promise.all(keys.map((key) => redis.cluster('KEYSLOT', key)));
          expect(new Set(slots).size).toBe(1);
          expect(await redis.exists(RedisKeys.asyncOrderState(orderId))).toBe(1);
          expect(await redis.get(RedisKeys.seckillStock(voucherId, SHARDS))).toBe('0');
        }
        // The shards are spread over the masters, not all on one.
        const owners = await Promise.all(
          Array.from({ length: SHARDS }, (_, shard) => ownerOf(RedisKeys.orderStream(shard))),
        );
        expect(new Set(owners).size).toBeGreaterThan(1);
      } finally {
        await t.close();
      }
    });

    it("a dead consumer's pending entries are claimed from every shard and written once", async () => {
      // A consumer that read every shard and died: its entries stay pending.
      let taken = 0;
      for (let shard = 0; shard < SHARDS; shard += 1) {
        const reply = (await redis.xreadgroup(
          'GROUP',
          GROUP,
          'dead-consumer',
          'COUNT',
          1000,
          'STREAMS',
          RedisKeys.orderStream(shard),
          '>',
        )) as [string, unknown[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        expect(entries.length).toBeGreaterThan(0);
        taken += entries.length;
      }
      expect(taken).toBe([...accepted.values()].flat().length);

      Object.assign(process.env, { ASYNC_WRITER_ENABLED: 'true', ASYNC_CLAIM_IDLE_MS: '300' });
      const t = await startTestApp();
      try {
        await until(
          'the backlog of every shard to drain',
          async () => (await t.app.get(AsyncSeckillState).backlog()).pending === 0,
          30_000,
        );
        for (const voucherId of vouchers) {
          const rows = await ordersOf(t, voucherId);
          expect(new Set(rows.map((row) => row.id))).toEqual(new Set(accepted.get(voucherId)));
          expect(rows).toHaveLength(accepted.get(voucherId)!.length);
          expect(await stockOf(t, voucherId)).toBe(0);
        }
        for (let shard = 0; shard < SHARDS; shard += 1) {
          const summary = (await redis.xpending(RedisKeys.orderStream(shard), GROUP)) as [number];
          expect(Number(summary[0])).toBe(0);
        }
      } finally {
        await t.close();
      }
    });

    it('npm run reconcile agrees with MySQL on the cluster, finds a tampered key and fixes it', async () => {
      const voucherId = vouchers[0];
      expect((await reconcile('--voucher', String(voucherId))).code).toBe(0);
      await redis.set(RedisKeys.seckillStock(voucherId, SHARDS), 5);
      const drift = await reconcile('--voucher', String(voucherId));
      expect(drift.code).toBe(1);
      expect((await reconcile('--voucher', String(voucherId), '--fix')).code).toBe(0);
      expect(await redis.get(RedisKeys.seckillStock(voucherId, SHARDS))).toBe('0');
    }, 90_000);
  });

  describe('the load test engine', () => {
    it('runs a small async sale on the cluster and passes every check of its verifier', async () => {
      Object.assign(process.env, { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'true' });
      const t = await startTestApp();
      try {
        const sale = await runFlashSale(loadtestContextOf(t.app), {
          url: t.baseUrl,
          users: 60,
          stock: 20,
          repeat: 2,
          connections: 40,
          mode: 'async',
        });
        expect(sale.verdict.checks.filter((check) => !check.passed)).toEqual([]);
        expect(sale.verdict.passed).toBe(true);
        expect(sale.drain).toMatchObject({ drained: true, accepted: 20, written: 20 });
      } finally {
        await t.close();
      }
    }, 90_000);
  });

  describe('a master dies (no replicas)', () => {
    it('answers 503 quickly, for /health and for an order whose keys were on it', async () => {
      Object.assign(process.env, { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'true' });
      const t = await startTestApp();
      try {
        const [shopper] = await signInShoppers(t, 1);
        const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
        await order(t, voucherId, shopper.token).expect(202);
        const victim = await ownerOf(RedisKeys.seckillStock(voucherId, SHARDS));
        const others = await signInShoppers(t, 10);

        await cluster.killNode(victim);

        const started = Date.now();
        const health = await t.api.get('/health');
        expect(health.status).toBe(503);
        // Every answer a quick 503: the shopper's session, the lock or the voucher's keys
        // are on the dead master, or on a live one and the voucher's keys are not.
        for (const s of others) {
          const begun = Date.now();
          const res = await order(t, voucherId, s.token);
          expect(res.status).toBe(503);
          expect(Date.now() - begun).toBeLessThan(5_000);
        }
        expect(Date.now() - started).toBeLessThan(30_000);
      } finally {
        await t.close();
      }
    }, 90_000);
  });
});
