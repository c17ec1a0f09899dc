import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { redisServerMissing } from './support/redis-server';
import { refusalOf, testSettings } from './support/test-settings';

/**
 * Once per test run: refuse a database or Redis db that is not the tests' own,
 * then start from an empty test database (so the schema is applied from sql/
 * exactly as on a fresh machine) and an empty Redis db.
 */
export default async function globalSetup(): Promise<void> {
  const settings = testSettings();
  const refusal = refusalOf(settings);
  if (refusal) throw new Error(refusal);

  const missing = redisServerMissing();
  if (missing)
    console.warn(`\n${missing}: the fault and lock specs that start their own will fail\n`);

  const { host, port, user } = settings.mysql;
  const connection = await createConnection(settings.mysql).catch((error: Error) => {
    throw new Error(
      `cannot reach MySQL at ${user}@${host}:${port} (${error.message}): set DB_HOST, DB_PORT, ` +
        'DB_USER, DB_PASSWORD (or TEST_DB_*) as for the service',
    );
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${settings.dbName}\``);
  } finally {
    await connection.end();
  }
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
