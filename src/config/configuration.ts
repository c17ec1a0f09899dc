import { ConfigType, registerAs } from '@nestjs/config';
import { splitUrlList } from './env.validation';

/**
 * Typed configuration, one namespace per concern. Values are already validated
 * and defaulted by envValidationSchema, so reading them here cannot fail.
 */
const env = (name: string): string => process.env[name] as string;
const int = (name: string): number => Number(process.env[name]);

export const appConfig = registerAs('app', () => ({
  nodeEnv: env('NODE_ENV'),
  isProduction: env('NODE_ENV') === 'production',
  port: int('PORT'),
  logLevel: env('LOG_LEVEL'),
  host: env('HOST'),
  adminToken: env('ADMIN_TOKEN'),
}));

export const databaseConfig = registerAs('database', () => ({
  host: env('DB_HOST'),
  port: int('DB_PORT'),
  user: env('DB_USER'),
  password: env('DB_PASSWORD'),
  name: env('DB_NAME'),
  poolSize: int('DB_POOL_SIZE'),
  timeoutMs: int('DEPENDENCY_TIMEOUT_MS'),
  settleTimeoutMs: int('ORDER_SETTLE_TIMEOUT_MS'),
}));

export const redisConfig = registerAs('redis', () => ({
  url: env('REDIS_URL'),
  timeoutMs: int('DEPENDENCY_TIMEOUT_MS'),
}));

export const lockConfig = registerAs('lock', () => ({
  /** Independent masters of the locks; empty: the locks live on REDIS_URL. */
  urls: splitUrlList(env('REDIS_LOCK_URLS')),
  timeoutMs: int('DEPENDENCY_TIMEOUT_MS'),
}));

export const authConfig = registerAs('auth', () => ({
  tokenTtlSeconds: int('TOKEN_TTL_SECONDS'),
  loginCodeTtlSeconds: int('LOGIN_CODE_TTL_SECONDS'),
}));

export const seckillConfig = registerAs('seckill', () => ({
  orderLockLeaseMs: int('ORDER_LOCK_LEASE_MS'),
  voucherCacheTtlMs: int('VOUCHER_CACHE_TTL_MS'),
}));

export const asyncSeckillConfig = registerAs('asyncSeckill', () => ({
  /** sync: the MySQL transaction answers (201); async: Redis admits (202), a stream writes. */
  mode: env('SECKILL_MODE') as 'sync' | 'async',
  /** Whether this process runs an order writer (a stream consumer); tools turn it off. */
  writerEnabled: env('ASYNC_WRITER_ENABLED') === 'true',
  maxDeliveries: int('ASYNC_MAX_DELIVERIES'),
  batchSize: int('ASYNC_BATCH_SIZE'),
  blockMs: int('ASYNC_BLOCK_MS'),
  claimIdleMs: int('ASYNC_CLAIM_IDLE_MS'),
  trimIntervalMs: int('ASYNC_TRIM_INTERVAL_MS'),
  orderStateTtlSeconds: int('ASYNC_ORDER_STATE_TTL_SECONDS'),
}));

export type AppConfig = ConfigType<typeof appConfig>;
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type LockConfig = ConfigType<typeof lockConfig>;
export type AuthConfig = ConfigType<typeof authConfig>;
export type SeckillConfig = ConfigType<typeof seckillConfig>;
export type AsyncSeckillConfig = ConfigType<typeof asyncSeckillConfig>;

export const allConfigs = [
  appConfig,
  databaseConfig,
  redisConfig,
  lockConfig,
  authConfig,
  seckillConfig,
  asyncSeckillConfig,
];
