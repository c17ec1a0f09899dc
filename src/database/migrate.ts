import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { Umzug, UmzugStorage } from 'umzug';
import { StartupError } from '../common/startup-error';

/** Where the schema lives: plain SQL files named `V<number>__<what>.sql`. */
export const SQL_DIR = join(__dirname, '..', '..', 'sql');
const MIGRATION_FILE = /^V(\d+)__[\w-]+\.sql$/;
const HISTORY_TABLE = 'schema_history';
/** How long an instance waits for another one's migrations to finish. */
const DEFAULT_LOCK_WAIT_SECONDS = 60;

export function listMigrationFiles(dir = SQL_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort((a, b) => Number(MIGRATION_FILE.exec(a)![1]) - Number(MIGRATION_FILE.exec(b)![1]));
}

/** SHA-256 of a file's bytes, hex: what schema_history keeps of each applied file. */
export function checksumOf(dir: string, name: string): string {
  return createHash('sha256')
    .update(readFileSync(join(dir, name)))
    .digest('hex');
}

/**
 * The GET_LOCK name serialising migrations of one database (GET_LOCK names are
 * server-wide, so two databases on one server must not share one). MySQL 8
 * allows 64 characters: a long database name is hashed.
 */
export function migrationLockName(database: string): string {
  const name = `seckill:migrate:${database}`;
  if (name.length <= 64) return name;
  return `seckill:migrate:${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
}

/**
 * Flyway-style history of applied files, kept in the database it describes,
 * with the checksum of each file as applied. A file that changed after it was
 * applied stops the start: the database no longer matches what sql/ says.
 */
function historyStorage(connection: Connection, dir: string): UmzugStorage {
  return {
    async executed() {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
           name VARCHAR(255) NOT NULL PRIMARY KEY,
           applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
           checksum CHAR(64) NULL COMMENT 'SHA-256 of the file as applied'
         ) ENGINE=InnoDB`,
      );
      // Installs from before checksums: add the column, then record the files as they are.
      const [columns] = await connection.query(
        `SELECT COUNT(*) AS n FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'checksum'`,
        [HISTORY_TABLE],
      );
      if (Number((columns as { n: number | string }[])[0].n) === 0) {
        await connection.query(
          `ALTER TABLE ${HISTORY_TABLE} ADD COLUMN checksum CHAR(64) NULL COMMENT 'SHA-256 of the file as applied'`,
        );
      }
      const [rows] = await connection.query(
        `SELECT name, checksum FROM ${HISTORY_TABLE} ORDER BY name`,
      );
      const known = new Set(listMigrationFiles(dir));
      for (const { name, checksum } of rows as { name: string; checksum: string | null }[]) {
        if (!known.has(name)) continue; // applied by a newer release: not ours to judge
        const actual = checksumOf(dir, name);
        if (checksum === null) {
          await connection.query(`UPDATE ${HISTORY_TABLE} SET checksum = ? WHERE name = ?`, [
            actual,
            name,
          ]);
        } else if (checksum !== actual) {
          throw new StartupError(
            `sql/${name} has changed since it was applied (checksum ${checksum.slice(0, 12)}... recorded, ${actual.slice(0, 12)}... now): an applied file must never be edited; put the change in a new V<n> file`,
          );
        }
      }
      return (rows as { name: string }[]).map((row) => row.name);
    },
    async logMigration({ name }) {
      await connection.query(`INSERT INTO ${HISTORY_TABLE} (name, checksum) VALUES (?, ?)`, [
        name,
        checksumOf(dir, name),
      ]);
    },
    async unlogMigration({ name }) {
      await connection.query(`DELETE FROM ${HISTORY_TABLE} WHERE name = ?`, [name]);
    },
  };
}

export interface MigrateOptions {
  dir?: string;
  /** How long to wait for another instance's migrations (GET_LOCK timeout). */
  lockWaitSeconds?: number;
}

/**
 * Applies the pending files of sql/ in version order and records each one with
 * its checksum, under a lock per database so that several instances can start
 * at once. The connection must have the database selected and allow multiple
 * statements.
 */
export async function migrate(
  connection: Connection,
  { dir = SQL_DIR, lockWaitSeconds = DEFAULT_LOCK_WAIT_SECONDS }: MigrateOptions = {},
): Promise<string[]> {
  const umzug = new Umzug({
    migrations: listMigrationFiles(dir).map((name) => ({
      name,
      up: async () => {
        await connection.query(readFileSync(join(dir, name), 'utf8'));
      },
    })),
    storage: historyStorage(connection, dir),
    logger: undefined,
  });
  const [[{ database }]] = (await connection.query(
    'SELECT DATABASE() AS `database`',
  )) as unknown as [{ database: string | null }[]];
  if (!database) throw new Error('migrate() needs a connection with a database selected');
  const lock = migrationLockName(database);
  const [[{ taken }]] = (await connection.query('SELECT GET_LOCK(?, ?) AS taken', [
    lock,
    lockWaitSeconds,
  ])) as unknown as [{ taken: number | string | null }[]];
  // 1: ours. 0: another instance held it for the whole wait. NULL: an error (killed, out of memory).
  if (taken === null || Number(taken) !== 1) {
    throw new StartupError(
      `cannot migrate ${database}: the migration lock "${lock}" was not granted within ${lockWaitSeconds} s (GET_LOCK answered ${String(taken)}); another instance may be migrating, or stuck holding it`,
    );
  }
  try {
    const applied = await umzug.up();
    return applied.map((migration) => migration.name);
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [lock]);
  }
}
