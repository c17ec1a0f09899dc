import type Redis from 'ioredis';
import { Cluster } from 'ioredis';

/** Injection token of the shared ioredis client. */
export const REDIS = Symbol('REDIS');

/**
 * The shared client: one Redis (REDIS_URL) or a Redis Cluster (REDIS_CLUSTER_NODES).
 * Both run the same commands and scripts; on a cluster a script, a MULTI or a
 * pipeline must touch keys of one slot (see RedisKeys' hash tags).
 */
export type RedisClient = Redis | Cluster;

/** Whether keys of different slots must go in separate commands (no MULTI or pipeline across them). */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}
