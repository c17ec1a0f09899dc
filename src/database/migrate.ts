import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';
import { Umzug, UmzugStorage } from 'umzug';

/** Where the schema lives: plain SQL files named `V<number>__<what>.sql`. */
export const SQL_DIR = join(__dirname, '..', '..', 'sql');
const MIGRATION_FILE = /^V(\d+)__[\w-]+\.sql$/;
const HISTORY_TABLE = 'schema_history';
/** Serialises migrations when several instances start at once. */
const MIGRATION_LOCK = 'seckill_schema_migration';

export function listMigrationFiles(dir = SQL_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort((a, b) => Number(MIGRATION_FILE.exec(a)![1]) - Number(MIGRATION_FILE.exec(b)![1]));
}

/** Flyway-style history of applied files, kept in the database it describes. */
function historyStorage(connection: Connection): UmzugStorage {
  return {
    async executed() {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
           name VARCHAR(255) NOT NULL PRIMARY KEY,
           applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
         ) ENGINE=InnoDB`,
      );
      const [rows] = await connection.query(`SELECT name FROM ${HISTORY_TABLE} ORDER BY name`);
      return (rows as { name: string }[]).map((row) => row.name);
    },
    async logMigration({ name }) {
      await connection.query(`INSERT INTO ${HISTORY_TABLE} (name) VALUES (?)`, [name]);
    },
    async unlogMigration({ name }) {
      await connection.query(`DELETE FROM ${HISTORY_TABLE} WHERE name = ?`, [name]);
    },
  };
}

/**
 * Applies the pending files of sql/ in version order and records each one.
 * The connection must allow multiple statements.
 */
export async function migrate(connection: Connection, dir = SQL_DIR): Promise<string[]> {
  const umzug = new Umzug({
    migrations: listMigrationFiles(dir).map((name) => ({
      name,
      up: async () => {
        await connection.query(readFileSync(join(dir, name), 'utf8'));
      },
    })),
    storage: historyStorage(connection),
    logger: undefined,
  });
  await connection.query('SELECT GET_LOCK(?, 60)', [MIGRATION_LOCK]);
  try {
    const applied = await umzug.up();
    return applied.map((migration) => migration.name);
  } finally {
    await connection.query('SELECT RELEASE_LOCK(?)', [MIGRATION_LOCK]);
  }
}
