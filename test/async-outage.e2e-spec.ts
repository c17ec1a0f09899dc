import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { AsyncSeckillState } from '../src/order/async/async-seckill.state';
import { TcpProxy } from './support/tcp-proxy';
import { createSeckillVoucher, signInShoppers, startTestApp, TestApp } from './support/test-app';
import { testMysql } from './support/test-settings';

const SHOPPERS = 5;
const CLAIM_IDLE_MS = 300;
const MAX_DELIVERIES = 2;
/** The promise for an outage: an answer within about a second (the offer load's deadline). */
const ANSWER_MS = 1500;

/**
 * MySQL down in async mode: Redis keeps admitting, the orders wait in the
 * stream (never dead-lettered: an outage is not the entry's fault), /health
 * stays 200 showing the backlog, and everything is written once MySQL is back.
 */
describe('async seckill: MySQL down (e2e)', () => {
  let mysql: TcpProxy;
  let t: TestApp;

  beforeAll(async () => {
    mysql = await TcpProxy.start({ host: testMysql().host, port: testMysql().port });
    Object.assign(process.env, {
      DB_PORT: String(mysql.port),
      SECKILL_MODE: 'async',
      ASYNC_BLOCK_MS: '50',
      ASYNC_CLAIM_IDLE_MS: String(CLAIM_IDLE_MS),
      ASYNC_MAX_DELIVERIES: String(MAX_DELIVERIES),
      // The offer cache goes cold during the outage: admission must not need it.
      VOUCHER_CACHE_TTL_MS: '100',
    });
    t = await startTestApp();
  });
  afterAll(async () => {
    await mysql.restore();
    await t.close();
    await mysql.close();
  });

  const backlog = () => t.app.get(AsyncSeckillState).backlog();
  /** Dead letters of earlier specs stay in the shared stream: count from here. */
  let deadBefore = 0;
  beforeEach(async () => {
    deadBefore = (await backlog()).deadLetters;
  });

  it('admits, keeps the orders, and writes them when MySQL is back', async () => {
    const shoppers = await signInShoppers(t, SHOPPERS);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });

    await mysql.cut();
    await sleep(200);
    const accepted: string[] = [];
    for (const s of shoppers) {
      const started = performance.now();
      const res = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', `Bearer ${s.token}`)
        .expect(202);
      expect(performance.now() - started).toBeLessThan(ANSWER_MS);
      accepted.push(res.body.data as string);
    }
    const health = await t.api.get('/health').expect(200);
    expect(health.body.data).toMatchObject({
      mysql: 'down',
      redis: 'up',
      orderBacklog: { pending: SHOPPERS, deadLetters: deadBefore },
    });

    // Many claim periods and more than ASYNC_MAX_DELIVERIES of them: nothing dead-lettered.
    await sleep(CLAIM_IDLE_MS * (MAX_DELIVERIES + 4));
    expect(await backlog()).toMatchObject({ pending: SHOPPERS, deadLetters: deadBefore });

    await mysql.restore();
    const deadline = Date.now() + 15_000;
    while ((await backlog()).pending > 0) {
      if (Date.now() > deadline)
        throw new Error('the backlog was not written after MySQL came back');
      await sleep(50);
    }
    expect((await backlog()).deadLetters).toBe(deadBefore);
    const direct = await createConnection({ ...testMysql(), database: process.env.DB_NAME });
    try {
      const [rows] = await direct.query(
        'SELECT CAST(id AS CHAR) AS id FROM tb_voucher_order WHERE voucher_id = ?',
        [voucherId],
      );
      expect((rows as { id: string }[]).map((row) => row.id).sort()).toEqual(accepted.sort());
      const [[sale]] = (await direct.query(
        'SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ?',
        [voucherId],
      )) as unknown as [[{ stock: number }]];
      expect(sale.stock).toBe(10 - SHOPPERS);
    } finally {
      await direct.end();
    }
  });

  it("keeps orders whose write waits for a held stock row: a lock wait is not the entry's fault", async () => {
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 10 });
    const holder = await createConnection({ ...testMysql(), database: process.env.DB_NAME });
    try {
      // Another transaction holds the stock row: every batch UPDATE times out
      // (innodb_lock_wait_timeout, 1 s here), while reads still answer.
      await holder.query('START TRANSACTION');
      await holder.query('SELECT stock FROM tb_seckill_voucher WHERE voucher_id = ? FOR UPDATE', [
        voucherId,
      ]);
      await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', `Bearer ${shopper.token}`)
        .expect(202);
      // Long enough for several failed attempts and claims (each attempt waits 1 s).
      await sleep(5000);
      expect(await backlog()).toMatchObject({ pending: 1, deadLetters: deadBefore });
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const deadline = Date.now() + 15_000;
    while ((await backlog()).pending > 0) {
      if (Date.now() > deadline)
        throw new Error('the orders were not written after the row was freed');
      await sleep(50);
    }
    expect((await backlog()).deadLetters).toBe(deadBefore);
  });
});
