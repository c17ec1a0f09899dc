import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeys } from '../src/redis/redis-keys';
import { BuiltService } from './support/built-service';
import { freePort } from './support/free-port';
import {
  ADMIN_TOKEN,
  ordersOf,
  seckillVoucherBody,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

const SHOPPERS = 60;
const STOCK = 30;
const CLAIM_IDLE_MS = 1000;
const STARTUP_MS = 20_000;
const DRAIN_MS = 20_000;

/**
 * A real service process in async mode, killed with SIGKILL while accepted
 * orders are pending (its writer holds them, MySQL's order table is locked),
 * then started again: the new process (a new consumer) writes every accepted
 * order exactly once. The in-process app runs in sync mode: it only signs
 * shoppers in and reads MySQL and Redis.
 */
describe('async seckill: kill -9 with orders pending (e2e, real processes)', () => {
  let service: BuiltService;
  let t: TestApp;

  beforeAll(async () => {
    service = await BuiltService.build();
    t = await startTestApp();
  }, 120_000);
  afterAll(async () => {
    service?.dispose();
    await t?.close();
  });

  async function startService(port: number) {
    const run = service.start({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DB_HOST: '127.0.0.1',
      DB_NAME: process.env.DB_NAME!,
      REDIS_URL: process.env.REDIS_URL!,
      ADMIN_TOKEN,
      SECKILL_MODE: 'async',
      ASYNC_BLOCK_MS: '50',
      ASYNC_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
    });
    const api = request(`http://127.0.0.1:${port}`);
    await until(
      'the service to answer /health',
      async () => (await api.get('/health').catch(() => ({ status: 0 }))).status === 200,
      STARTUP_MS,
    );
    return { ...run, api };
  }

  const pendingInGroup = async () => {
    const summary = (await t.redis.xpending(
      RedisKeys.orderStream(),
      RedisKeys.orderWriterGroup,
    )) as [number, ...unknown[]];
    return Number(summary[0]);
  };

  it('writes every accepted order exactly once after a restart', async () => {
    const port = await freePort();
    const first = await startService(port);
    const created = await first.api
      .post('/voucher/seckill')
      .set('x-admin-token', ADMIN_TOKEN)
      .send(seckillVoucherBody({ stock: STOCK }))
      .expect(201);
    const voucherId = created.body.data as number;
    const shoppers = await signInShoppers(t, SHOPPERS);

    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    let accepted: string[] = [];
    let heldByDead = 0;
    try {
      // The writer reads the orders, and its INSERT waits on the table lock.
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      const answers = await Promise.all(
        shoppers.map((s) =>
          first.api
            .post(`/voucher-order/seckill/${voucherId}`)
            .set('authorization', `Bearer ${s.token}`),
        ),
      );
      accepted = answers.filter((res) => res.status === 202).map((res) => res.body.data as string);
      expect(accepted).toHaveLength(STOCK);
      expect(answers.filter((res) => res.status !== 202).map((res) => res.status)).toEqual(
        Array(SHOPPERS - STOCK).fill(409),
      );
      // The writer has taken a batch (the orders that had arrived when it read)
      // and retries it while the lock lasts; the rest wait, not yet delivered.
      await until('the writer to hold a batch', async () => (await pendingInGroup()) > 0, 5000);
      await sleep(1500);
      heldByDead = await pendingInGroup();

      first.kill('SIGKILL');
      await first.exited;
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }
    // Nothing was written by the dead process.
    expect(await ordersOf(t, voucherId)).toEqual([]);
    expect(await pendingInGroup()).toBe(heldByDead);
    expect((await t.app.get(AsyncSeckillState).backlog()).pending).toBe(STOCK);

    // dispose() kills it by PID if the test fails before it ends.
    const second = await startService(await freePort());
    {
      await until(
        'the new consumer to claim and write the orders',
        async () => (await t.app.get(AsyncSeckillState).backlog()).pending === 0,
        DRAIN_MS,
      );
      const rows = await ordersOf(t, voucherId);
      expect(rows.map((row) => row.id).sort()).toEqual([...accepted].sort());
      expect(new Set(rows.map((row) => row.user_id)).size).toBe(STOCK);
      expect(await stockOf(t, voucherId)).toBe(0);
      expect(Number(await t.redis.get(RedisKeys.seckillStock(voucherId, 1)))).toBe(0);
      // Two consumers, named per process: the dead one's entries went to the new one.
      const consumers = (await t.redis.xinfo(
        'CONSUMERS',
        RedisKeys.orderStream(),
        RedisKeys.orderWriterGroup,
      )) as unknown[][];
      const names = consumers.map((fields) => String(fields[1]));
      expect(names.some((name) => name.includes(`-${first.pid}-`))).toBe(true);
      expect(names.some((name) => name.includes(`-${second.pid}-`))).toBe(true);

      // A clean stop: on SIGTERM the writer stops, the service drains and closes
      // everything, then exits 0; nothing is logged as an error on the way.
      const stopping = performance.now();
      second.kill('SIGTERM');
      const exit = await second.exited;
      expect(exit.code).toBe(0);
      expect(performance.now() - stopping).toBeLessThan(5000);
      expect(exit.output).not.toMatch(/"level":(50|60)/);
    }
  });
});
