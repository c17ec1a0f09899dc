import Redis from 'ioredis';
import { RedisConfig } from '../config/configuration';
import { HOW_TO_START_DEPENDENCIES, StartupError } from '../common/startup-error';

/**
 * A client that fails fast: no offline queue and no per-command retries, so
 * while Redis is down a command errors at once (503) instead of waiting in a
 * queue; the connection itself keeps retrying in the background.
 * Auto-pipelining batches the many small commands of concurrent requests into
 * few socket writes.
 */
export function createRedisClient(config: RedisConfig): Redis {
  return new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: true,
    connectTimeout: config.timeoutMs,
    commandTimeout: config.timeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}

export async function connectRedis(config: RedisConfig): Promise<Redis> {
  const client = createRedisClient(config);
  client.on('error', () => {
    // Connection errors surface as failed commands (503) and in /health; the
    // listener only keeps ioredis from printing each reconnect attempt.
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    const { hostname, port } = new URL(config.url);
    throw new StartupError(
      `cannot reach Redis at ${hostname}:${port || 6379} (${(error as Error).message}): ${HOW_TO_START_DEPENDENCIES}`,
      { cause: error },
    );
  }
}
