import { Dependency } from './domain-error';

/** mysql2 error codes that mean "the database could not be talked to", not "the query was wrong". */
const MYSQL_CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  // A deadlock victim's transaction is rolled back whole: nothing changed, try again.
  'ER_LOCK_DEADLOCK',
]);

/**
 * What ioredis says when a command cannot reach Redis (we run it with no offline queue),
 * and what a Redis Cluster (or ioredis' Cluster client) says while a slot has no master
 * or moves: a MOVED or ASK that reaches us is a redirection ioredis did not follow
 * (an auto-pipelined batch while the slot map is being refreshed), so the request
 * answers 503 and the next one goes to the right node.
 */
const REDIS_CONNECTION_MESSAGES =
  /Stream isn't writeable|Connection is closed|Command timed out|Reached the max retries per request|Cluster isn't ready|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes is available|^MOVED \d+ |^ASK \d+ /;

interface DriverErrorLike {
  code?: unknown;
  fatal?: unknown;
  driverError?: unknown;
  message?: unknown;
  name?: unknown;
}

/**
 * Names the dependency behind an unexpected error, or undefined when the error is
 * a bug of ours. The global filter answers the former with 503.
 */
export function dependencyBehind(error: unknown): Dependency | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const outer = error as DriverErrorLike;
  const driver = (outer.driverError ?? outer) as DriverErrorLike;
  if (outer.name === 'MaxRetriesPerRequestError') return 'redis';
  if (typeof driver.message === 'string' && REDIS_CONNECTION_MESSAGES.test(driver.message)) {
    return 'redis';
  }
  if (driver.fatal === true) return 'mysql';
  if (typeof driver.code === 'string' && MYSQL_CONNECTION_CODES.has(driver.code)) return 'mysql';
  if (
    typeof driver.message === 'string' &&
    /Pool is closed|connect ETIMEDOUT/.test(driver.message)
  ) {
    return 'mysql';
  }
  return undefined;
}
