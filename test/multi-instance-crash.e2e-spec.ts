import { setTimeout as sleep } from 'node:timers/promises';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { RedisKeys } from '../src/redis/redis-keys';
import { BuiltService } from './support/built-service';
import { Instance, startInstances, stopInstances } from './support/instances';
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

const SHOPPERS = 80;
const STOCK = 40;
const CLAIM_IDLE_MS = 1000;

/**
 * Two async instances, orders round robin, MySQL's order table locked so that
 * their writers hold what they read; the instance whose consumer holds the most
 * pending entries is killed with SIGKILL. The survivor claims them (XAUTOCLAIM
 * after ASYNC_CLAIM_IDLE_MS) and every accepted order is written exactly once,
 * with no restart and no operator action.
 */
describe('async mode: kill -9 of one of two instances with orders pending (e2e, real processes)', () => {
  let service: BuiltService;
  let t: TestApp;
  let restoreEnv: () => void;
  let instances: Instance[] = [];

  beforeAll(async () => {
    restoreEnv = overrideEnv({ SECKILL_MODE: 'sync', ASYNC_WRITER_ENABLED: 'false' });
    service = await BuiltService.build();
    t = await startTestApp();
    instances = await startInstances(service, 2, {
      SECKILL_MODE: 'async',
      ASYNC_BLOCK_MS: '50',
      ASYNC_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
    });
  }, 180_000);
  afterAll(async () => {
    await stopInstances(instances).catch(() => undefined);
    service?.dispose();
    await t?.close();
    restoreEnv?.();
  });

  /** Pending entries per consumer name. */
  const consumers = async () => {
    const rows = (await t.redis.xinfo(
      'CONSUMERS',
      RedisKeys.orderStream(0),
      RedisKeys.orderWriterGroup,
    )) as unknown[][];
    return rows.map((fields) => ({ name: String(fields[1]), pending: Number(fields[3]) }));
  };
  const pendingOf = async (pid: number | undefined) =>
    (await consumers())
      .filter((c) => c.name.includes(`-${pid}-`))
      .reduce((sum, c) => sum + c.pending, 0);

  it('the surviving instance writes every accepted order exactly once', async () => {
    const created = await instances[0].api
      .post('/voucher/seckill')
      .set('x-admin-token', ADMIN_TOKEN)
      .send(seckillVoucherBody({ stock: STOCK }))
      .expect(201);
    const voucherId = created.body.data as number;
    const shoppers = await signInShoppers(t, SHOPPERS);

    const blocker = t.db.createQueryRunner();
    await blocker.connect();
    let accepted: string[] = [];
    let victim: Instance;
    let survivor: Instance;
    let heldByVictim = 0;
    try {
      await blocker.query('LOCK TABLES tb_voucher_order WRITE');
      const answers = await Promise.all(
        shoppers.map((s, i) =>
          instances[i % 2].api
            .post(`/voucher-order/seckill/${voucherId}`)
            .set('authorization', `Bearer ${s.token}`),
        ),
      );
      accepted = answers.filter((res) => res.status === 202).map((res) => String(res.body.data));
      expect(accepted).toHaveLength(STOCK);
      // The writers read batches and retry them while the lock lasts.
      await until(
        'a writer to hold a batch',
        async () => (await pendingOf(instances[0].pid)) + (await pendingOf(instances[1].pid)) > 0,
        5000,
      );
      await sleep(500);
      const held = [await pendingOf(instances[0].pid), await pendingOf(instances[1].pid)];
      const v = held[0] >= held[1] ? 0 : 1;
      victim = instances[v];
      survivor = instances[1 - v];
      heldByVictim = held[v];
      expect(heldByVictim).toBeGreaterThan(0);

      victim.kill('SIGKILL');
      await victim.exited;
    } finally {
      await blocker.query('UNLOCK TABLES').catch(() => undefined);
      await blocker.release();
    }

    await until(
      'the survivor to claim and write every order',
      async () => (await t.app.get(AsyncSeckillState).backlog()).pending === 0,
      30_000,
    );
    const rows = await ordersOf(t, voucherId);
    expect(rows.map((row) => row.id).sort()).toEqual([...accepted].sort());
    expect(new Set(rows.map((row) => row.user_id)).size).toBe(STOCK);
    expect(await stockOf(t, voucherId)).toBe(0);
    // The dead consumer holds nothing any more: the survivor took it over.
    expect(await pendingOf(victim.pid)).toBe(0);
    // The survivor still serves.
    await survivor.api.get('/health').expect(200);
    instances = [survivor];
  });
});
