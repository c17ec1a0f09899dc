import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import * as Joi from 'joi';
import { lockWaitSeconds } from '../database/session-settings';
import { MAX_STREAM_SHARDS } from '../redis/redis-keys';

/** `a, b,,c` -> ['a', 'b', 'c']. */
export function splitUrlList(value: string): string[] {
  return value
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url.length > 0);
}

/** `host:port`, the host a name, an IPv4 address or a bracketed IPv6 one. */
function isHostPort(value: string): boolean {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65_535;
}

function isRedisUrl(value: string): boolean {
  return !Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .validate(value).error;
}

export const DEFAULT_ADMIN_TOKEN = 'dev-admin-token-change-me';

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and `localhost`: nothing outside this machine can connect. */
export function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (address === 'localhost') return true;
  if (isIP(address) === 4) return address.startsWith('127.');
  if (isIP(address) === 6) return address === '::1' || /^::ffff:127\./.test(address);
  return false;
}

const loopbackOutsideProduction: Joi.CustomValidator<string> = (host, helpers) =>
  isLoopback(host)
    ? host
    : helpers.message({
        custom:
          `"HOST" ${host} is not a loopback address; outside production the service listens on ` +
          'loopback only (a development build hands out login codes and has a public default ' +
          'admin token): set NODE_ENV=production (and ADMIN_TOKEN) to listen on it',
      });

/**
 * Lock waits the seckill procedure can make, each bounded by the session's
 * lock wait timeouts: the order table's metadata lock (the SELECT), the stock
 * table's metadata lock and row lock (the UPDATE), the order table's metadata
 * lock for writing and its index locks (the INSERT).
 */
const ORDER_CALL_LOCK_WAITS = 5;

/**
 * The lease must outlive a call whose outcome was unknown (the lock is then
 * left to expire, see HeldLock.abandon): taken before the order id (a Redis
 * call) and the pool wait, each bounded by the deadline, plus the longest the
 * call can run on the server.
 */
export function minimumOrderLockLeaseMs(timeoutMs: number): number {
  return 2 * timeoutMs + ORDER_CALL_LOCK_WAITS * lockWaitSeconds(timeoutMs) * 1000;
}

/** 10 s, or the shortest lease the deadline allows rounded up to a second, whichever is longer. */
export function defaultOrderLockLeaseMs(timeoutMs: number): number {
  return Math.max(10_000, Math.ceil((minimumOrderLockLeaseMs(timeoutMs) + 1) / 1000) * 1000);
}

/**
 * Every environment variable the service reads, validated once at boot.
 * Defaults match a local machine and docker-compose.yml.
 */
export const envValidationSchema = Joi.object({
  NODE_ENV: Joi.string().valid('development', 'production', 'test').default('development'),
  PORT: Joi.number().port().default(8081),
  LOG_LEVEL: Joi.string()
    .valid('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent')
    .default('info'),
  HOST: Joi.string()
    .default('127.0.0.1')
    .when('NODE_ENV', {
      not: 'production',
      then: Joi.string().custom(loopbackOutsideProduction),
    }),
  /** The OpenAPI UI (/docs) and JSON (/docs-json): on outside production, off in it unless asked. */
  DOCS_ENABLED: Joi.boolean().when('NODE_ENV', {
    is: 'production',
    then: Joi.boolean().default(false),
    otherwise: Joi.boolean().default(true),
  }),
  /** When set, GET /metrics wants `authorization: Bearer <METRICS_TOKEN>`. */
  METRICS_TOKEN: Joi.string().min(16).optional(),
  /** How long SIGTERM waits for requests in flight before it cuts them and exits. */
  SHUTDOWN_TIMEOUT_MS: Joi.number().integer().min(100).max(600_000).default(10_000),

  DB_HOST: Joi.string().hostname().default('127.0.0.1'),
  DB_PORT: Joi.number().port().default(3306),
  DB_USER: Joi.string().default('root'),
  DB_PASSWORD: Joi.string().allow('').default(''),
  DB_NAME: Joi.string()
    .pattern(/^[A-Za-z0-9_]{1,64}$/)
    .default('seckill')
    .messages({ 'string.pattern.base': '"DB_NAME" may only hold letters, digits and _' }),
  DB_POOL_SIZE: Joi.number().integer().min(1).max(200).default(20),

  REDIS_URL: Joi.string()
    .uri({ scheme: ['redis', 'rediss'] })
    .default('redis://127.0.0.1:6379/0'),

  /**
   * Independent Redis masters that hold the locks (comma-separated); a lock is held when a
   * majority granted it. Empty: the locks live on REDIS_URL.
   */
  REDIS_LOCK_URLS: Joi.string()
    .allow('')
    .default('')
    .custom((value: string, helpers) => {
      const urls = splitUrlList(value);
      for (const url of urls) {
        if (!isRedisUrl(url))
          return helpers.message({ custom: `"REDIS_LOCK_URLS" holds a bad URL: ${url}` });
      }
      if (new Set(urls).size !== urls.length) {
        return helpers.message({ custom: '"REDIS_LOCK_URLS" names a master twice' });
      }
      return value;
    }),

  /**
   * A Redis Cluster (comma-separated host:port of some or all of its masters): when set, the
   * service's Redis (sessions, caches, ids, locks, the async path) is that cluster and REDIS_URL
   * is not used for it.
   */
  REDIS_CLUSTER_NODES: Joi.string()
    .allow('')
    .default('')
    .custom((value: string, helpers) => {
      const nodes = splitUrlList(value);
      for (const node of nodes) {
        if (!isHostPort(node)) {
          return helpers.message({
            custom: `"REDIS_CLUSTER_NODES" holds ${node}, not a host:port`,
          });
        }
      }
      if (new Set(nodes).size !== nodes.length) {
        return helpers.message({ custom: '"REDIS_CLUSTER_NODES" names a node twice' });
      }
      return value;
    }),

  /** How long a call to MySQL or Redis may take before the request answers 503. */
  DEPENDENCY_TIMEOUT_MS: Joi.number().integer().min(50).max(30_000).default(1000),
  /**
   * After an order's deadline: how long killing its call and looking its order
   * up may take before the answer is ORDER_OUTCOME_UNKNOWN (504).
   */
  ORDER_SETTLE_TIMEOUT_MS: Joi.number().integer().min(50).max(10_000).default(500),

  ADMIN_TOKEN: Joi.string()
    .min(16)
    .when('NODE_ENV', {
      is: 'production',
      then: Joi.required().invalid(DEFAULT_ADMIN_TOKEN),
      otherwise: Joi.optional().default(DEFAULT_ADMIN_TOKEN),
    }),
  TOKEN_TTL_SECONDS: Joi.number().integer().min(60).default(7200),
  LOGIN_CODE_TTL_SECONDS: Joi.number().integer().min(10).max(3600).default(120),

  /** Login abuse limits, counted per phone in Redis (shared by every instance). */
  LOGIN_MAX_FAILURES: Joi.number().integer().min(1).max(100).default(5),
  LOGIN_FAILURE_WINDOW_SECONDS: Joi.number().integer().min(1).max(86_400).default(900),
  LOGIN_CODE_COOLDOWN_SECONDS: Joi.number().integer().min(1).max(3600).default(60),
  LOGIN_CODES_PER_DAY: Joi.number().integer().min(1).max(1000).default(10),

  /** Production must be able to deliver login codes: without a webhook no shopper could log in. */
  SMS_WEBHOOK_URL: Joi.string()
    .uri({ scheme: ['http', 'https'] })
    .when('NODE_ENV', { is: 'production', then: Joi.required() })
    .messages({
      'any.required':
        '"SMS_WEBHOOK_URL" is required in production: login codes are POSTed to it (see README, Configuration)',
    }),
  SMS_WEBHOOK_TOKEN: Joi.string().min(1),

  /** One active session per user: a login revokes the user's other sessions. */
  SINGLE_SESSION: Joi.boolean().default(false),
  LOGIN_LOCK_LEASE_MS: Joi.number().integer().min(100).max(60_000).default(5000),
  LOGIN_LOCK_WAIT_MS: Joi.number().integer().min(0).max(60_000).default(2000),

  /** Unset: 10 s, or longer when DEPENDENCY_TIMEOUT_MS needs it (see minimumOrderLockLeaseMs). */
  ORDER_LOCK_LEASE_MS: Joi.number()
    .integer()
    .min(1000)
    .max(600_000)
    .default((env: { DEPENDENCY_TIMEOUT_MS?: unknown }) =>
      defaultOrderLockLeaseMs(Number(env.DEPENDENCY_TIMEOUT_MS ?? 1000)),
    ),
  VOUCHER_CACHE_TTL_MS: Joi.number().integer().min(0).max(60_000).default(1000),

  /** `npm run start:cluster`: worker processes behind the one port; unset: one per core. */
  WORKERS: Joi.number()
    .integer()
    .min(1)
    .max(256)
    .default(() => availableParallelism()),

  /** sync: MySQL decides and answers 201; async: Redis admits (202) and a stream feeds MySQL. */
  SECKILL_MODE: Joi.string().valid('sync', 'async').default('sync'),
  /** Whether this process consumes the order stream (async mode); a CLI sharing AppModule sets false. */
  ASYNC_WRITER_ENABLED: Joi.boolean().default(true),
  /** Deliveries of a stream entry that failed before it goes to the dead-letter stream. */
  ASYNC_MAX_DELIVERIES: Joi.number().integer().min(1).max(100).default(5),
  /** Stream entries a writer reads and writes in one MySQL transaction. */
  ASYNC_BATCH_SIZE: Joi.number().integer().min(1).max(2000).default(500),
  /** How long a writer's XREADGROUP blocks waiting for entries. */
  ASYNC_BLOCK_MS: Joi.number().integer().min(10).max(60_000).default(200),
  /** After a batch smaller than ASYNC_BATCH_SIZE, how long a writer lets orders gather (0: none). */
  ASYNC_BATCH_LINGER_MS: Joi.number().integer().min(0).max(1000).default(20),
  /** An entry pending this long (its consumer died, or its write failed) is claimed again. */
  ASYNC_CLAIM_IDLE_MS: Joi.number().integer().min(50).max(3_600_000).default(15_000),
  /** How often a writer trims the stream below what the group has acknowledged. */
  ASYNC_TRIM_INTERVAL_MS: Joi.number().integer().min(100).max(3_600_000).default(5000),
  /** How long GET /voucher-order/:id can answer pending / failed for an accepted order. */
  ASYNC_ORDER_STATE_TTL_SECONDS: Joi.number()
    .integer()
    .min(60)
    .default(7 * 24 * 3600),
  /**
   * Order stream shards (async mode): a voucher's keys and orders live in shard
   * voucherId mod N, each shard a hash tag of its own (see README, Redis Cluster).
   * Every instance must use the same N. Default: 1 on one Redis, 8 on a cluster.
   */
  ASYNC_STREAM_SHARDS: Joi.number()
    .integer()
    .min(1)
    .max(MAX_STREAM_SHARDS)
    .default((env: { REDIS_CLUSTER_NODES?: string }) => (env.REDIS_CLUSTER_NODES ? 8 : 1)),
}).custom((env: { DEPENDENCY_TIMEOUT_MS: number; ORDER_LOCK_LEASE_MS: number }, helpers) => {
  const minimum = minimumOrderLockLeaseMs(env.DEPENDENCY_TIMEOUT_MS);
  if (env.ORDER_LOCK_LEASE_MS <= minimum) {
    return helpers.message({
      custom: `"ORDER_LOCK_LEASE_MS" must be greater than ${minimum} with DEPENDENCY_TIMEOUT_MS=${env.DEPENDENCY_TIMEOUT_MS}: the user's lock must outlive any order call still running on the server`,
    });
  }
  return env;
});

/** The environment as envValidationSchema leaves it: converted, defaulted, checked. */
export interface Env {
  NODE_ENV: 'development' | 'production' | 'test';
  PORT: number;
  LOG_LEVEL: string;
  HOST: string;
  DOCS_ENABLED: boolean;
  METRICS_TOKEN?: string;
  SHUTDOWN_TIMEOUT_MS: number;
  DB_HOST: string;
  DB_PORT: number;
  DB_USER: string;
  DB_PASSWORD: string;
  DB_NAME: string;
  DB_POOL_SIZE: number;
  REDIS_URL: string;
  REDIS_LOCK_URLS: string;
  REDIS_CLUSTER_NODES: string;
  DEPENDENCY_TIMEOUT_MS: number;
  ORDER_SETTLE_TIMEOUT_MS: number;
  ADMIN_TOKEN: string;
  TOKEN_TTL_SECONDS: number;
  LOGIN_CODE_TTL_SECONDS: number;
  LOGIN_MAX_FAILURES: number;
  LOGIN_FAILURE_WINDOW_SECONDS: number;
  LOGIN_CODE_COOLDOWN_SECONDS: number;
  LOGIN_CODES_PER_DAY: number;
  SMS_WEBHOOK_URL?: string;
  SMS_WEBHOOK_TOKEN?: string;
  SINGLE_SESSION: boolean;
  LOGIN_LOCK_LEASE_MS: number;
  LOGIN_LOCK_WAIT_MS: number;
  ORDER_LOCK_LEASE_MS: number;
  VOUCHER_CACHE_TTL_MS: number;
  WORKERS: number;
  SECKILL_MODE: 'sync' | 'async';
  ASYNC_WRITER_ENABLED: boolean;
  ASYNC_MAX_DELIVERIES: number;
  ASYNC_BATCH_SIZE: number;
  ASYNC_BLOCK_MS: number;
  ASYNC_BATCH_LINGER_MS: number;
  ASYNC_CLAIM_IDLE_MS: number;
  ASYNC_TRIM_INTERVAL_MS: number;
  ASYNC_ORDER_STATE_TTL_SECONDS: number;
  ASYNC_STREAM_SHARDS: number;
}

/**
 * Validates `raw` (process.env at boot) and returns the values the service runs
 * with. A variable set to the empty string counts as unset, so `METRICS_TOKEN=`
 * in a .env file or a compose file means "no token", and a default applies.
 * Throws one "Config validation error: ..." naming every bad variable.
 */
export function validateEnv(raw: Record<string, string | undefined>): Env {
  const given = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const result: Joi.ValidationResult<Env> = envValidationSchema.validate(given, {
    abortEarly: false,
    allowUnknown: true,
    stripUnknown: true,
  });
  if (result.error) throw new Error(`Config validation error: ${result.error.message}`);
  return result.value;
}
