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
export function createRedisClient(
  config: RedisConfig,
  {
    autoPipelining = true,
    commandTimeoutMs = Math.ceil(config.timeoutMs / 2),
  }: { autoPipelining?: boolean; commandTimeoutMs?: number } = {},
): Redis {
  return new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableAutoPipelining: autoPipelining,
    connectTimeout: config.timeoutMs,
    // Half the budget: with auto-pipelining a command can wait behind a stuck
    // batch for one timeout before its own starts, and the total must stay near
    // DEPENDENCY_TIMEOUT_MS.
    commandTimeout: commandTimeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  });
}

export async function connectRedis(config: RedisConfig): Promise<Redis> {
  const client = createRedisClient(config);
  let lastError: Error | undefined;
  client.on('error', (error: Error) => {
    // Connection errors surface as failed commands (503) and in /health; the
    // listener keeps ioredis from printing each reconnect attempt, and keeps the
    // cause for the start-up message.
    lastError = error;
  });
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    const { hostname, port } = new URL(config.url);
    const cause = lastError ?? (error as Error);
    throw new StartupError(
      `cannot reach Redis at ${hostname}:${port || 6379} (${cause.message}): ${HOW_TO_START_DEPENDENCIES}`,
      { cause },
    );
  }
}
