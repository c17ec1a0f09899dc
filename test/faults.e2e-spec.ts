import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import type { Dependency } from '../src/common/domain-error';
import { sequenceDay } from '../src/order/order-id.generator';
import { RedisKeys } from '../src/redis/redis-keys';
import { BuiltService } from './support/built-service';
import { freePort } from './support/free-port';
import { RedisServerProcess } from './support/redis-server';
import { TcpProxy } from './support/tcp-proxy';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  loginShopper,
  seckillVoucherBody,
  startTestApp,
  stockOf as readStock,
  TestApp,
  uniquePhone,
} from './support/test-app';
import { testMysql } from './support/test-settings';

/** The product's promise: an outage is answered with 503 "within about a second". */
const OUTAGE_ANSWER_MS = 1500;
/**
 * An order in flight whose outcome cannot be learned: the deadline (1 s), then
 * ORDER_SETTLE_TIMEOUT_MS (500 ms) to kill and look up, then the answer.
 */
const UNKNOWN_ANSWER_MS = 2000;
/** ORDER_LOCK_LEASE_MS here: the shortest allowed with the 1 s deadline (more than 7000). */
const LOCK_LEASE_MS = 7100;
/** Client-side cap, so a hanging request fails its test instead of stalling the file. */
const CLIENT_TIMEOUT_MS = 3000;
/** How long the service may take to notice by itself that a dependency is back. */
const RECOVERY_MS = 5000;
const SHOP_ID = 4242;
/** A refused start is one connection attempt; the rest is loading Node and Nest (slow on a busy machine). */
const START_FAILURE_MS = 8000;

interface Timed {
  res: Response;
  ms: number;
}

/** What the outages measured; printed at the end when FAULTS_TIMINGS is set. */
const timings: string[] = [];

async function timed(label: string, request: PromiseLike<Response>): Promise<Timed> {
  const started = performance.now();
  try {
    const res = await request;
    const ms = performance.now() - started;
    timings.push(`${label}: ${res.status} in ${ms.toFixed(0)} ms`);
    return { res, ms };
  } catch (error) {
    timings.push(`${label}: no answer (${(error as Error).message})`);
    throw error;
  }
}

function expectUnavailable({ res, ms }: Timed, down: Dependency): void {
  const up: Dependency = down === 'mysql' ? 'redis' : 'mysql';
  expect(res.status).toBe(503);
  expect(res.body).toEqual({
    success: false,
    code: 'SERVICE_UNAVAILABLE',
    errorMsg: expect.stringContaining(down),
  });
  expect(res.body.errorMsg).not.toContain(up);
  expect(ms).toBeLessThan(OUTAGE_ANSWER_MS);
}

describe('dependency outages while running', () => {
  let redis: RedisServerProcess | undefined;
  let mysql: TcpProxy | undefined;
  let t: TestApp;
  const overridden = [
    'REDIS_URL',
    'DB_PORT',
    'VOUCHER_CACHE_TTL_MS',
    'ORDER_LOCK_LEASE_MS',
  ] as const;
  const savedEnv = overridden.map((name) => [name, process.env[name]] as const);

  const order = (voucherId: number, token: string) =>
    t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', token)
      .timeout(CLIENT_TIMEOUT_MS);
  const me = (token: string) =>
    t.api.get('/user/me').set('authorization', token).timeout(CLIENT_TIMEOUT_MS);
  const health = () => t.api.get('/health').timeout(CLIENT_TIMEOUT_MS);
  const listVouchers = () => t.api.get(`/voucher/list/${SHOP_ID}`).timeout(CLIENT_TIMEOUT_MS);
  const createVoucher = () =>
    t.api
      .post('/voucher/seckill')
      .set('x-admin-token', ADMIN_TOKEN)
      .send(seckillVoucherBody({ shopId: SHOP_ID }))
      .timeout(CLIENT_TIMEOUT_MS);

  async function shopperId(token: string): Promise<number> {
    const res = await me(token).expect(200);
    return res.body.data.id as number;
  }

  const stockOf = (voucherId: number) => readStock(t, voucherId);

  async function ordersOf(userId: number, voucherId: number): Promise<number> {
    const rows: { n: string | number }[] = await t.db.query(
      'SELECT COUNT(*) AS n FROM tb_voucher_order WHERE user_id = ? AND voucher_id = ?',
      [userId, voucherId],
    );
    return Number(rows[0].n);
  }

  /** Polls GET /health until it answers 200; returns how long that took. */
  async function waitUntilHealthy(): Promise<number> {
    const started = performance.now();
    for (;;) {
      const res = await health();
      if (res.status === 200) return performance.now() - started;
      if (performance.now() - started > RECOVERY_MS) {
        throw new Error(`still unhealthy after ${RECOVERY_MS} ms: ${JSON.stringify(res.body)}`);
      }
      await sleep(100);
    }
  }

  /** Until the user's lock is gone: released, or (outcome unknown) expired after its lease. */
  async function waitUntilUnlocked(userId: number): Promise<void> {
    const started = performance.now();
    while ((await t.redis.exists(RedisKeys.orderLock(userId))) === 1) {
      if (performance.now() - started > LOCK_LEASE_MS + RECOVERY_MS) {
        throw new Error('order lock still held');
      }
      await sleep(50);
    }
  }

  beforeAll(async () => {
    // The app talks to a Redis of its own and to MySQL through a proxy, so both
    // can fail for it alone. test/env.ts has pointed it at the shared servers;
    // createApp() validates process.env again and builds the config from it.
    redis = await RedisServerProcess.start();
    mysql = await TcpProxy.start({ host: testMysql().host, port: testMysql().port });
    process.env.REDIS_URL = redis.url;
    process.env.DB_PORT = String(mysql.port);
    // A warm offer cache lets an order get past the voucher load into the lock
    // and the transaction while MySQL is down (the default 1 s TTL is too short
    // to rely on).
    process.env.VOUCHER_CACHE_TTL_MS = '60000';
    process.env.ORDER_LOCK_LEASE_MS = String(LOCK_LEASE_MS);
    t = await startTestApp();
  });

  afterAll(async () => {
    try {
      redis?.resume();
      await mysql?.restore();
      await t?.close();
    } finally {
      await mysql?.close();
      await redis?.stop();
      for (const [name, value] of savedEnv) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      if (process.env.FAULTS_TIMINGS) process.stdout.write(`\n${timings.join('\n')}\n`);
    }
  });

  it('runs on the private Redis and behind the MySQL proxy', async () => {
    await health().expect(200, { success: true, data: { mysql: 'up', redis: 'up' } });
    expect(t.redis.options.port).toBe(redis!.port);
    expect(mysql!.openSockets).toBeGreaterThan(0);
  });

  it('answers 503 naming redis while Redis is down, changes nothing, and recovers by itself', async () => {
    const phone = uniquePhone();
    const token = await loginShopper(t.api, phone);
    const userId = await shopperId(token);
    const voucherId = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });

    await redis!.kill();

    expectUnavailable(await timed('redis killed: POST order', order(voucherId, token)), 'redis');
    expectUnavailable(await timed('redis killed: GET /user/me', me(token)), 'redis');
    expectUnavailable(await timed('redis killed: GET /health', health()), 'redis');
    expect(await ordersOf(userId, voucherId)).toBe(0);
    expect(await stockOf(voucherId)).toBe(5);

    await redis!.restart();
    const recoveryMs = await waitUntilHealthy();
    timings.push(`redis restarted: /health 200 after ${recoveryMs.toFixed(0)} ms`);

    // The killed server took the sessions with it: the old token is unknown now.
    await me(token).expect(401);
    const newToken = await loginShopper(t.api, phone);
    expect(await shopperId(newToken)).toBe(userId);
    await order(voucherId, newToken).expect(201);
    expect(await ordersOf(userId, voucherId)).toBe(1);
    expect(await stockOf(voucherId)).toBe(4);
  });

  describe('when Redis hangs (SIGSTOP: connections stay open, nothing is answered)', () => {
    let token: string;
    let userId: number;
    let voucherId: number;

    beforeAll(async () => {
      token = await loginShopper(t.api);
      userId = await shopperId(token);
      voucherId = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });
    });

    afterAll(() => redis!.resume());

    it('answers each request 503 naming redis in time', async () => {
      redis!.pause();
      try {
        expectUnavailable(await timed('redis hung: POST order', order(voucherId, token)), 'redis');
        expectUnavailable(await timed('redis hung: GET /user/me', me(token)), 'redis');
        expectUnavailable(await timed('redis hung: GET /health', health()), 'redis');
      } finally {
        redis!.resume();
      }
    });

    // With auto-pipelining a command issued during a hung one first waits for that
    // one's timeout, then for its own; the client's timeout is half the budget for it.
    it('answers requests that overlap a hung command 503 in time', async () => {
      redis!.pause();
      try {
        const first = timed('redis hung: POST order (first)', order(voucherId, token));
        await sleep(200);
        const answers = await Promise.all([
          first,
          timed('redis hung: GET /user/me (overlapping)', me(token)),
          timed('redis hung: GET /health (overlapping)', health()),
        ]);
        for (const answer of answers) expectUnavailable(answer, 'redis');
      } finally {
        redis!.resume();
      }
    });

    it('carries on when Redis answers again, having changed nothing', async () => {
      await waitUntilHealthy();
      expect(await ordersOf(userId, voucherId)).toBe(0);
      expect(await stockOf(voucherId)).toBe(5);
      await order(voucherId, token).expect(201);
      expect(await stockOf(voucherId)).toBe(4);
    });
  });

  it('answers 503 naming mysql while MySQL is unreachable, leaves no lock, and recovers', async () => {
    const token = await loginShopper(t.api);
    const userId = await shopperId(token);
    const lockKey = RedisKeys.orderLock(userId);
    const warm = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });
    const cold = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });
    // Another shopper's order puts `warm` in the offer cache.
    await order(warm, await loginShopper(t.api)).expect(201);
    const sequenceKey = RedisKeys.orderIdSequence(sequenceDay(new Date()));
    const sequenceBefore = Number(await t.redis.get(sequenceKey));

    await mysql!.cut();

    expectUnavailable(await timed('mysql cut: POST /voucher/seckill', createVoucher()), 'mysql');
    expectUnavailable(await timed('mysql cut: GET /voucher/list', listVouchers()), 'mysql');
    // Offer from the cache: the order takes the lock and an id, then fails in the transaction.
    expectUnavailable(
      await timed('mysql cut: POST order (offer cached)', order(warm, token)),
      'mysql',
    );
    expect(Number(await t.redis.get(sequenceKey))).toBe(sequenceBefore + 1);
    expect(await t.redis.exists(lockKey)).toBe(0);
    // Offer not cached: the order fails while loading it, before any lock.
    expectUnavailable(
      await timed('mysql cut: POST order (offer load)', order(cold, token)),
      'mysql',
    );
    expect(await t.redis.exists(lockKey)).toBe(0);
    expectUnavailable(await timed('mysql cut: GET /health', health()), 'mysql');

    await mysql!.restore();
    await waitUntilHealthy();

    expect(await ordersOf(userId, warm)).toBe(0);
    expect(await ordersOf(userId, cold)).toBe(0);
    expect(await stockOf(warm)).toBe(4);
    expect(await stockOf(cold)).toBe(5);
    await order(warm, token).expect(201);
    expect(await ordersOf(userId, warm)).toBe(1);
    expect(await stockOf(warm)).toBe(3);
    expect(await t.redis.exists(lockKey)).toBe(0);
  });

  describe('when MySQL hangs (connections stay open, nothing is answered)', () => {
    let token: string;
    let userId: number;
    let warm: number;
    let cold: number;

    beforeAll(async () => {
      token = await loginShopper(t.api);
      userId = await shopperId(token);
      warm = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });
      cold = await createSeckillVoucher(t.api, { shopId: SHOP_ID, stock: 5 });
      await order(warm, await loginShopper(t.api)).expect(201);
      // Idle pooled connections, as in any running service: the queries below go
      // to them, not to new connections (which connectTimeout would bound).
      await Promise.all(Array.from({ length: 8 }, () => listVouchers().expect(200)));
      mysql!.blackhole();
    });

    afterAll(async () => {
      await mysql!.restore();
    });

    it('GET /health answers 503 naming mysql in time', async () => {
      expectUnavailable(await timed('mysql hung: GET /health', health()), 'mysql');
    });

    // Every query has a deadline and a connection whose query missed it is dropped,
    // so a hung database answers like a down one. The order whose CALL was sent
    // cannot be stopped or looked up in a hung database: it says so (504), it
    // does not claim "no order" (503).
    it('data routes answer 503 naming mysql in time; the order in flight answers "unknown"', async () => {
      const answers = await Promise.allSettled([
        timed('mysql hung: GET /voucher/list', listVouchers()),
        timed('mysql hung: POST order (offer cached)', order(warm, token)),
        timed('mysql hung: POST order (offer load)', order(cold, token)),
        timed('mysql hung: POST /voucher/seckill', createVoucher()),
      ]);
      const [list, inFlight, offerLoad, create] = answers.map((answer) => {
        if (answer.status === 'rejected') throw answer.reason;
        return answer.value;
      });
      expectUnavailable(list, 'mysql');
      expectUnavailable(offerLoad, 'mysql');
      expectUnavailable(create, 'mysql');
      expect(inFlight.res.status).toBe(504);
      expect(inFlight.res.body).toMatchObject({ success: false, code: 'ORDER_OUTCOME_UNKNOWN' });
      expect(inFlight.ms).toBeLessThan(UNKNOWN_ANSWER_MS);
      // The outcome is unknown, so the user's lock stays until its lease runs out.
      expect(await t.redis.pttl(RedisKeys.orderLock(userId))).toBeGreaterThan(0);
    });

    it('recovers when MySQL answers again, and the truth holds: no lie either way', async () => {
      await mysql!.restore();
      await waitUntilHealthy();
      await waitUntilUnlocked(userId);

      expect(await ordersOf(userId, cold)).toBe(0);
      expect(await stockOf(cold)).toBe(5);
      // Whatever became of the order answered "unknown", stock and orders agree,
      // and the user's retry says which it was.
      const placed = await ordersOf(userId, warm);
      expect(await stockOf(warm)).toBe(4 - placed);
      const retry = await order(warm, token);
      if (placed === 1) {
        expect(retry.status).toBe(409);
        expect(retry.body.code).toBe('ALREADY_PURCHASED');
      } else {
        expect(retry.status).toBe(201);
        expect(await stockOf(warm)).toBe(3);
      }
      expect(await ordersOf(userId, warm)).toBe(1);
    });
  });
});

describe('missing dependency or bad setting at start', () => {
  let service: BuiltService | undefined;
  let redis: RedisServerProcess | undefined;

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    service = await BuiltService.build();
  }, 120_000);

  afterAll(async () => {
    service?.dispose();
    await redis?.stop();
  });

  async function start(env: Record<string, string>) {
    return service!.run(
      {
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        DB_HOST: process.env.DB_HOST ?? '',
        DB_PORT: process.env.DB_PORT ?? '',
        DB_USER: process.env.DB_USER ?? '',
        DB_PASSWORD: process.env.DB_PASSWORD ?? '',
        DB_NAME: process.env.TEST_DB_NAME ?? 'seckill_test',
        REDIS_URL: redis!.url,
        ...env,
      },
      10_000,
    );
  }

  function expectOneLineExit(run: { code: number | null; output: string }, line: RegExp): void {
    const lines = run.output.split('\n').filter((text) => text.trim() !== '');
    expect(lines).toEqual([expect.stringMatching(line)]);
    expect(run.output).not.toContain('    at ');
    expect(run.code).toBe(1);
  }

  it('exits 1 with one line when MySQL cannot be reached', async () => {
    const port = await freePort();
    const run = await start({ DB_PORT: String(port) });
    expectOneLineExit(
      run,
      new RegExp(
        `^seckill: cannot start: cannot reach MySQL at 127\\.0\\.0\\.1:${port} \\(.*docker compose up -d`,
      ),
    );
    expect(run.elapsedMs).toBeLessThan(START_FAILURE_MS);
  });

  it('exits 1 with one line when Redis cannot be reached', async () => {
    const port = await freePort();
    const run = await start({ REDIS_URL: `redis://127.0.0.1:${port}/0` });
    expectOneLineExit(
      run,
      new RegExp(
        `^seckill: cannot start: cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(.*docker compose up -d`,
      ),
    );
    expect(run.elapsedMs).toBeLessThan(START_FAILURE_MS);
  });

  it('exits 1 with one line naming a bad setting', async () => {
    const run = await start({ PORT: 'abc' });
    expectOneLineExit(run, /^seckill: cannot start: Config validation error: .*"PORT"/);
    expect(run.elapsedMs).toBeLessThan(START_FAILURE_MS);
  });

  it('exits 1 with one line naming a bad lock master URL', async () => {
    const run = await start({ REDIS_LOCK_URLS: `${redis!.url},http://127.0.0.1:6379` });
    expectOneLineExit(
      run,
      /^seckill: cannot start: Config validation error: .*REDIS_LOCK_URLS.*http:\/\/127\.0\.0\.1:6379/,
    );
  });
});
