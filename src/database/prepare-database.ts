import { Logger } from '@nestjs/common';
import { createConnection } from 'mysql2/promise';
import { DatabaseConfig } from '../config/configuration';
import { HOW_TO_START_DEPENDENCIES, StartupError } from '../common/startup-error';
import { migrate } from './migrate';
import { UTC_SESSION_SQL } from './session-settings';

/**
 * Runs before TypeORM connects: creates the database if it is missing and
 * applies the schema from sql/. TypeORM never synchronises the schema itself.
 */
export async function prepareDatabase(config: DatabaseConfig): Promise<void> {
  const logger = new Logger('Database');
  let connection;
  try {
    connection = await createConnection({
      host: config.host,
      port: config.port,
      user: config.user,
      password: config.password,
      connectTimeout: Math.max(config.timeoutMs, 2000),
      multipleStatements: true,
    });
  } catch (error) {
    throw new StartupError(
      `cannot reach MySQL at ${config.host}:${config.port} (${(error as Error).message}): ${HOW_TO_START_DEPENDENCIES}`,
      { cause: error },
    );
  }
  try {
    // UTC, but the service's short lock waits would fail a migration that waits
    // a moment for a table a long transaction is using.
    await connection.query(UTC_SESSION_SQL);
    // DB_NAME is validated to [A-Za-z0-9_], so quoting it is enough.
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${config.name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
    await connection.query(`USE \`${config.name}\``);
    const applied = await migrate(connection);
    if (applied.length > 0) logger.log(`applied ${applied.join(', ')} to ${config.name}`);
  } finally {
    await connection.end();
  }
}
