import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';

/**
 * Once per test run: start from an empty test database (so the schema is
 * applied from sql/ exactly as on a fresh machine) and an empty Redis db.
 */
export default async function globalSetup(): Promise<void> {
  const dbName = process.env.TEST_DB_NAME ?? 'seckill_test';
  const redisDb = Number(process.env.TEST_REDIS_DB ?? '15');
  if (!dbName.includes('test')) {
    throw new Error(`refusing to run e2e tests against "${dbName}": its name must contain "test"`);
  }
  if (!Number.isInteger(redisDb) || redisDb === 0) {
    throw new Error(
      'refusing to run e2e tests on Redis db 0: set TEST_REDIS_DB to a db of their own',
    );
  }
  const connection = await createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
  } finally {
    await connection.end();
  }
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: redisDb, lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
