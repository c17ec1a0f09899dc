import { copyFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, Connection } from 'mysql2/promise';
import { StartupError } from '../src/common/startup-error';
import { DatabaseConfig } from '../src/config/configuration';
import {
  checksumOf,
  listMigrationFiles,
  migrate,
  migrationLockName,
  SQL_DIR,
} from '../src/database/migrate';
import { prepareDatabase } from '../src/database/prepare-database';
import { testMysql } from './support/test-settings';

const DB = `${process.env.DB_NAME}_migrations`;

const config: DatabaseConfig = {
  ...testMysql(),
  name: DB,
  poolSize: 1,
  timeoutMs: 1000,
  settleTimeoutMs: 500,
};

/** A copy of sql/ holding the first `count` files (all by default), to edit freely. */
function sqlCopy(count = listMigrationFiles().length): string {
  const dir = mkdtempSync(join(tmpdir(), 'seckill-sql-'));
  for (const name of listMigrationFiles().slice(0, count)) {
    copyFileSync(join(SQL_DIR, name), join(dir, name));
  }
  return dir;
}

describe('migrations that guard themselves (e2e)', () => {
  let admin: Connection;
  let db: Connection;
  const dirs: string[] = [];

  const copy = (count?: number) => {
    const dir = sqlCopy(count);
    dirs.push(dir);
    return dir;
  };

  async function freshDatabase(): Promise<void> {
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
    await admin.query(`CREATE DATABASE \`${DB}\``);
    db = await createConnection({ ...testMysql(), database: DB, multipleStatements: true });
  }

  beforeAll(async () => {
    admin = await createConnection(testMysql());
  });
  beforeEach(freshDatabase);
  afterAll(async () => {
    await db?.end();
    await admin.query(`DROP DATABASE IF EXISTS \`${DB}\``);
    await admin.end();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  const history = async () =>
    (await db.query(`SELECT name, checksum FROM schema_history ORDER BY name`))[0] as {
      name: string;
      checksum: string | null;
    }[];

  it('records the SHA-256 of every applied file', async () => {
    await prepareDatabase(config);

    expect(await history()).toEqual(
      listMigrationFiles().map((name) => ({ name, checksum: checksumOf(SQL_DIR, name) })),
    );
  });

  it('refuses to start when an applied file has changed, naming the file', async () => {
    const dir = copy();
    await migrate(db, { dir });
    appendFileSync(join(dir, 'V1__init.sql'), '\n-- an innocent-looking edit\n');

    const run = migrate(db, { dir });
    await expect(run).rejects.toThrow(/sql\/V1__init\.sql has changed/);
    // A StartupError: main.ts prints it as one line and exits 1.
    await expect(run).rejects.toBeInstanceOf(StartupError);
  });

  it('records the checksums of an install from before checksums on its first run', async () => {
    const dir = copy(2);
    await migrate(db, { dir });
    await db.query('ALTER TABLE schema_history DROP COLUMN checksum');

    await expect(migrate(db)).resolves.toEqual(listMigrationFiles().slice(2));

    expect(await history()).toEqual(
      listMigrationFiles().map((name) => ({ name, checksum: checksumOf(SQL_DIR, name) })),
    );
  });

  it('fails clearly when the migration lock cannot be had, and locks per database', async () => {
    const holder = await createConnection(testMysql());
    try {
      await holder.query('SELECT GET_LOCK(?, 0)', [migrationLockName(DB)]);
      const run = migrate(db, { lockWaitSeconds: 1 });
      await expect(run).rejects.toThrow(
        /migration lock "seckill:migrate:.*" was not granted within 1 s/,
      );
      await expect(run).rejects.toBeInstanceOf(StartupError);
      await holder.query('SELECT RELEASE_LOCK(?)', [migrationLockName(DB)]);

      // Another database's migrations do not wait for this one's.
      await holder.query('SELECT GET_LOCK(?, 0)', [migrationLockName(`${DB}_other`)]);
      await expect(migrate(db, { lockWaitSeconds: 1 })).resolves.toEqual(listMigrationFiles());
    } finally {
      await holder.end();
    }
  });

  it('keeps lock names within the 64 characters MySQL 8 allows', () => {
    expect(migrationLockName('x'.repeat(64)).length).toBeLessThanOrEqual(64);
    expect(migrationLockName('x'.repeat(64))).not.toBe(migrationLockName(`${'x'.repeat(63)}y`));
  });

  it('creates the procedures with SQL SECURITY INVOKER', async () => {
    await migrate(db);

    const [routines] = await db.query(
      `SELECT ROUTINE_NAME AS name, SECURITY_TYPE AS security FROM information_schema.ROUTINES
        WHERE ROUTINE_SCHEMA = ? ORDER BY 1`,
      [DB],
    );
    expect(routines).toEqual([
      { name: 'seckill_place_order', security: 'INVOKER' },
      { name: 'seckill_place_order_v3', security: 'INVOKER' },
    ]);
  });

  it('leaves no moment in which instances of the previous release find their procedure missing', async () => {
    await migrate(db, { dir: copy(2) });
    const previousRelease = await createConnection({ ...testMysql(), database: DB });
    let upgrading = true;
    const failures: unknown[] = [];
    let calls = 0;
    const calling = (async () => {
      while (upgrading) {
        try {
          await previousRelease.query('CALL seckill_place_order(?, ?, ?)', [calls + 1, 1, 999]);
        } catch (error) {
          failures.push(error);
        }
        calls += 1;
      }
    })();
    try {
      await migrate(db);
    } finally {
      upgrading = false;
      await calling;
      await previousRelease.end();
    }

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(0);
  });
});
