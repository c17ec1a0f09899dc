import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { envValidationSchema } from '../src/config/env.validation';

/**
 * Drops the database and flushes the Redis db that a service started with `env`
 * would use, so that each bench service starts from nothing.
 */
export async function resetStores(env: NodeJS.ProcessEnv): Promise<void> {
  const { value } = envValidationSchema.validate(
    { ...process.env, ...env },
    { allowUnknown: true },
  ) as {
    value: Record<string, string | number>;
  };
  const connection = await createConnection({
    host: String(value.DB_HOST),
    port: Number(value.DB_PORT),
    user: String(value.DB_USER),
    password: String(value.DB_PASSWORD),
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${String(value.DB_NAME)}\``);
  } finally {
    await connection.end();
  }
  const redis = new Redis(String(value.REDIS_URL), { lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}
