import type * as mysql2 from 'mysql2';
import { createConnection } from 'mysql2/promise';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  ordersOf,
  overrideEnv,
  seckillVoucherBody,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';
import { testMysql } from './support/test-settings';

/** Issue 7, item 4: UTC whatever the server's or session's zone, and the window on the database's clock. */
const MINUTE_MS = 60_000;

describe('time is UTC everywhere (e2e)', () => {
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    // One pooled connection: every query below runs on the one the test controls.
    restoreEnv = overrideEnv({ DB_POOL_SIZE: '1', VOUCHER_CACHE_TTL_MS: '60000' });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    restoreEnv();
  });

  const createVoucher = (times: { beginTime: string; endTime: string }) =>
    t.api
      .post('/voucher/seckill')
      .set('x-admin-token', ADMIN_TOKEN)
      .send(seckillVoucherBody(times));

  const sessionZone = async () =>
    (await t.db.query<{ zone: string }[]>('SELECT @@session.time_zone AS zone'))[0].zone;

  /** Drops the pool's only connection, so the next query opens a new one. */
  async function dropPooledConnection(): Promise<void> {
    const pool = (t.db.driver as unknown as { pool: mysql2.Pool }).pool;
    await new Promise<void>((resolve, reject) =>
      pool.getConnection((error, connection) => {
        if (error) return reject(error);
        connection.destroy();
        resolve();
      }),
    );
  }

  it('runs the first connection TypeORM opened in UTC', async () => {
    expect(await sessionZone()).toBe('+00:00');
  });

  it('writes UTC times although the server runs at +05:00', async () => {
    const admin = await createConnection(testMysql());
    const [[{ zone }]] = (await admin.query('SELECT @@global.time_zone AS zone')) as unknown as [
      { zone: string }[],
    ];
    // The global zone is shared with other test runs on this server: set for as
    // long as it takes to open one connection, then put back.
    try {
      await admin.query("SET GLOBAL time_zone = '+05:00'");
      await dropPooledConnection();
      expect(await sessionZone()).toBe('+00:00');
    } finally {
      await admin.query('SET GLOBAL time_zone = ?', [zone]);
      await admin.end();
    }
    const [[{ serverDefault }]] = [
      await t.db.query<{ serverDefault: string }[]>('SELECT @@global.time_zone AS serverDefault'),
    ];
    expect(serverDefault).toBe(zone);

    // The connection opened at +05:00 serves everything below.
    const [shopper] = await signInShoppers(t, 1);
    const voucherId = await createSeckillVoucher(t.api, { stock: 3 });
    const res = await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', shopper.token)
      .expect(201);
    const order = await t.api
      .get(`/voucher-order/${res.body.data as string}`)
      .set('authorization', shopper.token)
      .expect(200);
    const [user] = await t.db.query<{ create_time: Date }[]>(
      'SELECT create_time FROM tb_user WHERE id = ?',
      [shopper.id],
    );

    expect(order.body.data.createTime).toMatch(/Z$/);
    expect(Math.abs(Date.parse(order.body.data.createTime as string) - Date.now())).toBeLessThan(
      MINUTE_MS,
    );
    expect(Math.abs(user.create_time.getTime() - Date.now())).toBeLessThan(MINUTE_MS);
  });

  describe('the admin API', () => {
    it.each([
      ['a time without an offset', '2026-12-01T10:00:00'],
      ['a date alone', '2026-12-01'],
    ])('refuses %s', async (_case, beginTime) => {
      const res = await createVoucher({ beginTime, endTime: '2030-01-01T00:00:00Z' }).expect(400);

      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errorMsg).toMatch(/beginTime must end with Z or an offset/);
    });

    it('accepts Z and +08:00, and answers in UTC', async () => {
      const created = await createVoucher({
        beginTime: '2026-12-01T10:00:00+08:00',
        endTime: '2030-01-01T00:00:00Z',
      }).expect(201);

      const res = await t.api
        .get(`/voucher/seckill/${created.body.data as number}`)
        .set('x-admin-token', ADMIN_TOKEN)
        .expect(200);
      expect(res.body.data.beginTime).toBe('2026-12-01T02:00:00.000Z');
      expect(res.body.data.endTime).toBe('2030-01-01T00:00:00.000Z');
    });
  });

  describe('the sale window, checked by the database', () => {
    /** A voucher the instance has cached as open; then its window moves in MySQL only. */
    async function cachedOpenVoucher(): Promise<number> {
      const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
      const [warmer] = await signInShoppers(t, 1);
      await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', warmer.token)
        .expect(201);
      return voucherId;
    }

    it('refuses SECKILL_ENDED when the window has ended in MySQL although the instance thinks it open', async () => {
      const voucherId = await cachedOpenVoucher();
      await t.db.query(
        'UPDATE tb_seckill_voucher SET end_time = UTC_TIMESTAMP(3) - INTERVAL 1 SECOND WHERE voucher_id = ?',
        [voucherId],
      );
      const [shopper] = await signInShoppers(t, 1);

      const res = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(409);

      expect(res.body.code).toBe('SECKILL_ENDED');
      expect(await stockOf(t, voucherId)).toBe(4);
      expect(await ordersOf(t, voucherId)).toHaveLength(1);
    });

    it('refuses SECKILL_NOT_STARTED when the window has not begun in MySQL', async () => {
      const voucherId = await cachedOpenVoucher();
      await t.db.query(
        `UPDATE tb_seckill_voucher
            SET begin_time = UTC_TIMESTAMP(3) + INTERVAL 1 HOUR,
                end_time = UTC_TIMESTAMP(3) + INTERVAL 2 HOUR
          WHERE voucher_id = ?`,
        [voucherId],
      );
      const [shopper] = await signInShoppers(t, 1);

      const res = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(409);

      expect(res.body.code).toBe('SECKILL_NOT_STARTED');
      expect(await stockOf(t, voucherId)).toBe(4);
    });
  });
});
