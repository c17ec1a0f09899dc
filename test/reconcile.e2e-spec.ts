import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeys } from '../src/redis/redis-keys';
import { ReconcileReport } from '../src/reconcile/reconciler';
import { createSeckillVoucher, signInShoppers, startTestApp, TestApp } from './support/test-app';

const ROOT = resolve(__dirname, '..');
const CLI_TIMEOUT_MS = 40_000;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run reconcile -- ...args` as an operator runs it: a process of its own, the app's env. */
function reconcile(...args: string[]): Promise<CliRun> {
  return new Promise((resolveRun) => {
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
      { cwd: ROOT, env: process.env, timeout: CLI_TIMEOUT_MS },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolveRun({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The reconcile command against the real service in async mode: a small sale,
 * written through the stream, then Redis tampered with behind its back.
 */
describe('npm run reconcile (e2e)', () => {
  let t: TestApp;
  let voucherId: number;
  let orders: { id: string; userId: number }[];
  const stockKey = () => RedisKeys.seckillStock(voucherId, 1);

  beforeAll(async () => {
    Object.assign(process.env, {
      SECKILL_MODE: 'async',
      ASYNC_WRITER_ENABLED: 'true',
      ASYNC_BLOCK_MS: '50',
    });
    t = await startTestApp();
    voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    const shoppers = await signInShoppers(t, 4);
    orders = [];
    for (const shopper of shoppers) {
      const res = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', `Bearer ${shopper.token}`)
        .expect(202);
      orders.push({ id: res.body.data as string, userId: shopper.id });
    }
    const state = t.app.get(AsyncSeckillState);
    const deadline = Date.now() + 10_000;
    while ((await state.backlog()).pending > 0) {
      if (Date.now() > deadline) throw new Error('the stream did not drain');
      await sleep(25);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  it('exits 0 when Redis and MySQL agree', async () => {
    const run = await reconcile('--voucher', String(voucherId));
    expect(run.stdout).toContain(
      `voucher ${voucherId}: agree (Redis stock 6, 4 buyers, 0 pending | MySQL stock 6, 4 orders)`,
    );
    expect(run.code).toBe(0);
  });

  it('finds a tampered stock key, exits 1 and leaves Redis alone', async () => {
    await t.redis.set(stockKey(), '42');
    const run = await reconcile('--voucher', String(voucherId));
    expect(run.stdout).toContain(
      'stockMismatch: Redis stock 42, expected 6 (MySQL stock 6 - 0 pending not yet written)',
    );
    expect(run.code).toBe(1);
    expect(await t.redis.get(stockKey())).toBe('42');
  });

  it('repairs it with --fix through the service rebuild, exits 0, and the next look is clean', async () => {
    const fixed = await reconcile('--voucher', String(voucherId), '--fix');
    expect(fixed.stdout).toContain(`voucher ${voucherId}: DRIFT, repaired`);
    expect(fixed.stdout).toContain('rebuilt from MySQL: stock 6 (MySQL 6 - 0 pending), 4 buyers');
    expect(fixed.code).toBe(0);
    expect(await t.redis.get(stockKey())).toBe('6');
    expect((await reconcile('--voucher', String(voucherId))).code).toBe(0);
  });

  it('names the order whose buyer left the set (in --json), and --fix puts the buyer back', async () => {
    const [victim] = orders;
    await t.redis.srem(RedisKeys.seckillBuyers(voucherId, 1), String(victim.userId));
    const run = await reconcile('--voucher', String(voucherId), '--json');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as ReconcileReport;
    expect(report.drifting).toEqual([voucherId]);
    expect(report.vouchers[0].drift).toEqual([
      expect.objectContaining({ kind: 'orderWithoutBuyer', ids: [victim.id], idsAre: 'orders' }),
    ]);

    expect((await reconcile('--voucher', String(voucherId), '--fix')).code).toBe(0);
    expect(
      await t.redis.sismember(RedisKeys.seckillBuyers(voucherId, 1), String(victim.userId)),
    ).toBe(1);
  });

  it('reports missing keys (a flushed Redis) and rebuilds them with --fix', async () => {
    await t.redis.del(stockKey(), RedisKeys.seckillWindow(voucherId, 1));
    const run = await reconcile('--voucher', String(voucherId));
    expect(run.stdout).toContain('keysMissing: no stock or window key');
    expect(run.code).toBe(1);
    expect((await reconcile('--voucher', String(voucherId), '--fix')).code).toBe(0);
    expect(await t.redis.get(stockKey())).toBe('6');
  });

  it('checks every seckill voucher without --voucher; after --fix they all agree', async () => {
    expect((await reconcile('--fix')).code).toBe(0);
    const run = await reconcile();
    expect(run.stdout).toMatch(/\d+ voucher\(s\): 0 drifting/);
    expect(run.stdout).toContain(`voucher ${voucherId}: agree`);
    expect(run.code).toBe(0);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--voucher', 'abc'], /--voucher must be an integer >= 1/],
    [['--voucher', '999999999'], /--voucher 999999999 is not a seckill voucher/],
  ])('exits 2 on bad usage: %j', async (args, message) => {
    const run = await reconcile(...args);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toContain('usage: npm run reconcile');
    expect(run.code).toBe(2);
  });

  it('exits 3 when it cannot finish (Redis unreachable)', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = 'redis://127.0.0.1:1/10';
    try {
      const run = await reconcile('--voucher', String(voucherId));
      expect(run.stderr).toMatch(/^reconcile: /m);
      expect(run.code).toBe(3);
    } finally {
      process.env.REDIS_URL = saved;
    }
  });
});
