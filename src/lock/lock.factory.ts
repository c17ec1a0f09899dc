import { Logger } from '@nestjs/common';
import type { RedisClient } from '../redis/redis.constants';
import Redlock from 'redlock';
import { LockConfig } from '../config/configuration';
import { createSingleClient } from '../redis/redis.factory';
import { SingleRedisRedlock } from './single-redis-redlock';

/** Where the locks live: the shared client, or clients of their own (closed on shutdown). */
export interface LockMasters {
  clients: RedisClient[];
  owned: boolean;
}

/**
 * One attempt per call (retryCount 0): LockService does its own waiting, and a
 * release or extension is never retried inside redlock. Redlock subtracts the
 * clock drift (1 % of the lease + 2 ms) from the validity of every lock.
 * On one Redis, SingleRedisRedlock: the same answers in fewer round trips.
 */
export function createRedlock(clients: RedisClient[]): Redlock {
  const redlock =
    clients.length === 1
      ? new SingleRedisRedlock(clients[0], { retryCount: 0 })
      : new Redlock(clients, { retryCount: 0 });
  // Every refused vote is also emitted here; LockService reads them from the result instead.
  redlock.on('error', () => undefined);
  return redlock;
}

/**
 * REDIS_LOCK_URLS set: one fail-fast client per master (no offline queue, no
 * retries per command, a command timeout), so a master that is down or hung is a
 * quick vote against, never a stall. A master that is down at boot does not stop
 * the start: its client keeps reconnecting, and a majority is enough meanwhile.
 */
export async function connectLockMasters(
  config: LockConfig,
  shared: RedisClient,
  logger = new Logger('LockMasters'),
): Promise<LockMasters> {
  if (config.urls.length === 0) return { clients: [shared], owned: false };
  const clients = config.urls.map((url) => {
    // No auto-pipelining: behind a hung master's stuck batch a command would wait one
    // more command timeout, and a lock attempt (acquire, then undo) must fit in one
    // DEPENDENCY_TIMEOUT_MS. A request sends one script per master, nothing to batch.
    const client = createSingleClient(
      { url, timeoutMs: config.timeoutMs },
      { autoPipelining: false },
    );
    // Outages surface as votes against; the listener keeps ioredis from printing every reconnect.
    client.on('error', () => undefined);
    return client;
  });
  const results = await Promise.allSettled(clients.map((client) => client.connect()));
  const down = config.urls.filter((_url, i) => results[i].status === 'rejected');
  if (down.length > 0) {
    logger.warn(
      { down: down.map(redactPassword) },
      `${down.length} of ${clients.length} lock masters unreachable at start; retrying in the background`,
    );
  }
  return { clients, owned: true };
}

export async function closeLockMasters(masters: LockMasters): Promise<void> {
  if (!masters.owned) return;
  await Promise.all(
    masters.clients.map((client) => client.quit().catch(() => client.disconnect())),
  );
}

function redactPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
