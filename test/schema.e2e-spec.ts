import { createConnection } from 'mysql2/promise';
import { DatabaseConfig } from '../src/config/configuration';
import { listMigrationFiles } from '../src/database/migrate';
import { prepareDatabase } from '../src/database/prepare-database';
import { testMysql } from './support/test-settings';

const FRESH_DB = `${process.env.DB_NAME}_fresh`;

const config: DatabaseConfig = {
  ...testMysql(),
  name: FRESH_DB,
  poolSize: 1,
  timeoutMs: 1000,
  settleTimeoutMs: 500,
};

describe('schema from sql/ (e2e)', () => {
  let connection: Awaited<ReturnType<typeof createConnection>>;

  beforeAll(async () => {
    connection = await createConnection(testMysql());
    await connection.query(`DROP DATABASE IF EXISTS \`${FRESH_DB}\``);
  });
  afterAll(async () => {
    await connection.query(`DROP DATABASE IF EXISTS \`${FRESH_DB}\``);
    await connection.end();
  });

  it('creates a missing database, applies every file once and records it', async () => {
    await prepareDatabase(config);
    await prepareDatabase(config); // a second start applies nothing and fails on nothing

    const [history] = await connection.query(`SELECT name FROM \`${FRESH_DB}\`.schema_history`);
    expect((history as { name: string }[]).map((row) => row.name)).toEqual(listMigrationFiles());
    const [tables] = await connection.query(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY 1',
      [FRESH_DB],
    );
    expect((tables as { name: string }[]).map((row) => row.name)).toEqual([
      'schema_history',
      'tb_seckill_voucher',
      'tb_user',
      'tb_voucher',
      'tb_voucher_order',
    ]);
  });

  it('lets several instances start at once', async () => {
    await connection.query(`DROP DATABASE IF EXISTS \`${FRESH_DB}\``);
    await Promise.all([prepareDatabase(config), prepareDatabase(config), prepareDatabase(config)]);
    const [history] = await connection.query(
      `SELECT COUNT(*) AS n FROM \`${FRESH_DB}\`.schema_history`,
    );
    expect(Number((history as { n: number }[])[0].n)).toBe(listMigrationFiles().length);
  });

  describe('constraints the database itself enforces', () => {
    beforeAll(async () => {
      await connection.query(`USE \`${FRESH_DB}\``);
      await connection.query(
        "INSERT INTO tb_voucher (id, shop_id, title, pay_value, actual_value, type) VALUES (1, 1, 't', 1, 1, 1)",
      );
      await connection.query(
        "INSERT INTO tb_seckill_voucher (voucher_id, stock, begin_time, end_time) VALUES (1, 0, '2026-01-01', '2026-01-02')",
      );
    });

    it('never lets stock go below zero', async () => {
      await expect(
        connection.query('UPDATE tb_seckill_voucher SET stock = stock - 1 WHERE voucher_id = 1'),
      ).rejects.toThrow(/out of range|constraint/i);
    });

    it('refuses a second order of one user for one voucher', async () => {
      await connection.query(
        'INSERT INTO tb_voucher_order (id, user_id, voucher_id) VALUES (1, 7, 1)',
      );
      await expect(
        connection.query('INSERT INTO tb_voucher_order (id, user_id, voucher_id) VALUES (2, 7, 1)'),
      ).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    });

    it('refuses a window that ends before it begins', async () => {
      await connection.query(
        "INSERT INTO tb_voucher (id, shop_id, title, pay_value, actual_value, type) VALUES (2, 1, 't', 1, 1, 1)",
      );
      await expect(
        connection.query(
          "INSERT INTO tb_seckill_voucher (voucher_id, stock, begin_time, end_time) VALUES (2, 1, '2026-01-02', '2026-01-01')",
        ),
      ).rejects.toThrow(/constraint/i);
    });
  });
});
