import Redis, { Cluster } from 'ioredis';
import { RedisConfig } from '../config/configuration';
import { HOW_TO_START_DEPENDENCIES, StartupError } from '../common/startup-error';
import { RedisClient } from './redis.constants';

interface ClientOptions {
  autoPipelining?: boolean;
  commandTimeoutMs?: number;
}

/**
 * A client that fails fast: no offline queue and no per-command retries, so
 * while Redis is down a command errors at once (503) instead of waiting in a
 * queue; the connection itself keeps retrying in the background.
 * Auto-pipelining batches the many small commands of concurrent requests into
 * few socket writes. With REDIS_CLUSTER_NODES, a Cluster with the same rules.
 */
export function createRedisClient(config: RedisConfig, options: ClientOptions = {}): RedisClient {
  return config.clusterNodes.length > 0
    ? createClusterClient(config, options)
    : createSingleClient(config, options);
}

/** One Redis at `config.url` (also what the lock masters of REDIS_LOCK_URLS use). */
export function createSingleClient(
  config: Pick<RedisConfig, 'url' | 'timeoutMs'>,
  { autoPipelining = true, commandTimeoutMs = Math.ceil(config.timeoutMs / 2) }: ClientOptions = {},
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

/**
 * A Redis Cluster client, fail-fast like the single one: no offline queue at
 * the cluster level nor on its node connections, no retries per command, the
 * same command timeout. A MOVED/ASK redirection is followed (that is the
 * cluster working, not a retry of a failure); a node that is down answers its
 * slots' commands with an error at once, and the slot map is refreshed in the
 * background until the node, or a replica promoted in its place, is back.
 */
export function createClusterClient(
  config: RedisConfig,
  { autoPipelining = true, commandTimeoutMs = Math.ceil(config.timeoutMs / 2) }: ClientOptions = {},
): Cluster {
  const nodes = config.clusterNodes.map((node) => {
    const colon = node.lastIndexOf(':');
    return {
      host: node.slice(0, colon).replace(/^\[|\]$/g, ''),
      port: Number(node.slice(colon + 1)),
    };
  });
  return new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: autoPipelining,
    // ioredis groups auto-pipelined commands by the slot of their first argument: for
    // these the first argument is a subcommand or option, not the key, and a batch of
    // them would go to one node and come back MOVED. They go one by one.
    autoPipeliningIgnoredCommands: ['xinfo', 'xgroup', 'xreadgroup', 'xread', 'cluster', 'time'],
    // Retrying a command on a node that went away would stall the request; a
    // refused command is a 503 and the client refreshes its slot map meanwhile.
    retryDelayOnClusterDown: 0,
    retryDelayOnFailover: 0,
    retryDelayOnTryAgain: 0,
    maxRedirections: 4,
    slotsRefreshTimeout: config.timeoutMs,
    slotsRefreshInterval: 5000,
    clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
    // Per node: the cluster's enableOfflineQueue applies to the node connections too.
    redisOptions: {
      maxRetriesPerRequest: 0,
      connectTimeout: config.timeoutMs,
      commandTimeout: commandTimeoutMs,
      // The URL's password and database have no cluster equivalent but the password.
      password: passwordOf(config.url),
    },
  });
}

function passwordOf(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** Where the client points, for messages. */
export function describeRedis(config: RedisConfig): string {
  if (config.clusterNodes.length > 0)
    return `the Redis Cluster at ${config.clusterNodes.join(',')}`;
  const { hostname, port } = new URL(config.url);
  return `Redis at ${hostname}:${port || 6379}`;
}

export async function connectRedis(config: RedisConfig): Promise<RedisClient> {
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
    const cause = lastError ?? (error as Error);
    throw new StartupError(
      `cannot reach ${describeRedis(config)} (${cause.message}): ${HOW_TO_START_DEPENDENCIES}`,
      { cause },
    );
  }
}

/** Every master of the client: the one Redis, or each master node of the cluster. */
export function mastersOf(client: RedisClient): Redis[] {
  return client instanceof Cluster ? client.nodes('master') : [client];
}
