import { Env, splitUrlList } from './env.validation';

/**
 * Typed configuration, one namespace per concern, injected by its KEY. Each is
 * built once per application from the environment as validateEnv() converted
 * and defaulted it (config.module.ts), never from process.env: a default that
 * only the schema knows, or `DOCS_ENABLED=TRUE`, is what the service runs with.
 */
export interface ConfigSection<T> {
  readonly KEY: string;
  build(env: Env): T;
}

function section<T>(name: string, build: (env: Env) => T): ConfigSection<T> {
  return { KEY: `CONFIGURATION(${name})`, build };
}

export const appConfig = section('app', (env) => ({
  nodeEnv: env.NODE_ENV,
  isProduction: env.NODE_ENV === 'production',
  port: env.PORT,
  logLevel: env.LOG_LEVEL,
  host: env.HOST,
  adminToken: env.ADMIN_TOKEN,
  docsEnabled: env.DOCS_ENABLED,
  /** undefined: /metrics is open (as on a loopback-only development box). */
  metricsToken: env.METRICS_TOKEN,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
}));

export const databaseConfig = section('database', (env) => ({
  host: env.DB_HOST,
  port: env.DB_PORT,
  user: env.DB_USER,
  password: env.DB_PASSWORD,
  name: env.DB_NAME,
  poolSize: env.DB_POOL_SIZE,
  timeoutMs: env.DEPENDENCY_TIMEOUT_MS,
  settleTimeoutMs: env.ORDER_SETTLE_TIMEOUT_MS,
}));

export const redisConfig = section('redis', (env) => ({
  url: env.REDIS_URL,
  /** A Redis Cluster's seed nodes (host:port); empty: the one Redis at `url`. */
  clusterNodes: splitUrlList(env.REDIS_CLUSTER_NODES),
  timeoutMs: env.DEPENDENCY_TIMEOUT_MS,
}));

export const lockConfig = section('lock', (env) => ({
  /** Independent masters of the locks; empty: the locks live on REDIS_URL. */
  urls: splitUrlList(env.REDIS_LOCK_URLS),
  timeoutMs: env.DEPENDENCY_TIMEOUT_MS,
}));

export const authConfig = section('auth', (env) => ({
  tokenTtlSeconds: env.TOKEN_TTL_SECONDS,
  loginCodeTtlSeconds: env.LOGIN_CODE_TTL_SECONDS,
  loginMaxFailures: env.LOGIN_MAX_FAILURES,
  loginFailureWindowSeconds: env.LOGIN_FAILURE_WINDOW_SECONDS,
  loginCodeCooldownSeconds: env.LOGIN_CODE_COOLDOWN_SECONDS,
  loginCodesPerDay: env.LOGIN_CODES_PER_DAY,
  /** Where login codes are POSTed; undefined outside production: they go back in the response. */
  smsWebhookUrl: env.SMS_WEBHOOK_URL,
  smsWebhookToken: env.SMS_WEBHOOK_TOKEN,
  smsWebhookTimeoutMs: env.DEPENDENCY_TIMEOUT_MS,
  singleSession: env.SINGLE_SESSION,
  loginLockLeaseMs: env.LOGIN_LOCK_LEASE_MS,
  loginLockWaitMs: env.LOGIN_LOCK_WAIT_MS,
}));

export const seckillConfig = section('seckill', (env) => ({
  orderLockLeaseMs: env.ORDER_LOCK_LEASE_MS,
  voucherCacheTtlMs: env.VOUCHER_CACHE_TTL_MS,
}));

export const asyncSeckillConfig = section('asyncSeckill', (env) => ({
  /** sync: the MySQL transaction answers (201); async: Redis admits (202), a stream writes. */
  mode: env.SECKILL_MODE,
  /** Whether this process runs an order writer (a stream consumer); tools turn it off. */
  writerEnabled: env.ASYNC_WRITER_ENABLED,
  maxDeliveries: env.ASYNC_MAX_DELIVERIES,
  batchSize: env.ASYNC_BATCH_SIZE,
  blockMs: env.ASYNC_BLOCK_MS,
  batchLingerMs: env.ASYNC_BATCH_LINGER_MS,
  claimIdleMs: env.ASYNC_CLAIM_IDLE_MS,
  trimIntervalMs: env.ASYNC_TRIM_INTERVAL_MS,
  orderStateTtlSeconds: env.ASYNC_ORDER_STATE_TTL_SECONDS,
  /** Order stream shards: voucher v's keys and orders are in shard v mod streamShards. */
  streamShards: env.ASYNC_STREAM_SHARDS,
}));

/** `npm run start:cluster` (src/cluster.ts): the primary forks this many workers. */
export const clusterConfig = section('cluster', (env) => ({
  workers: env.WORKERS,
}));

type ConfigOf<S> = S extends ConfigSection<infer T> ? T : never;

export type AppConfig = ConfigOf<typeof appConfig>;
export type DatabaseConfig = ConfigOf<typeof databaseConfig>;
export type RedisConfig = ConfigOf<typeof redisConfig>;
export type LockConfig = ConfigOf<typeof lockConfig>;
export type AuthConfig = ConfigOf<typeof authConfig>;
export type SeckillConfig = ConfigOf<typeof seckillConfig>;
export type AsyncSeckillConfig = ConfigOf<typeof asyncSeckillConfig>;
export type ClusterConfig = ConfigOf<typeof clusterConfig>;

export const allConfigs: readonly ConfigSection<unknown>[] = [
  appConfig,
  databaseConfig,
  redisConfig,
  lockConfig,
  authConfig,
  seckillConfig,
  asyncSeckillConfig,
  clusterConfig,
];
