import { ConfigType, registerAs } from '@nestjs/config';
import { splitUrlList } from './env.validation';

/**
 * Typed configuration, one namespace per concern. Values are already validated
 * and defaulted by envValidationSchema, so reading them here cannot fail.
 */
const env = (name: string): string => process.env[name] as string;
const int = (name: string): number => Number(process.env[name]);
const optional = (name: string): string | undefined => process.env[name] || undefined;

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
  loginMaxFailures: int('LOGIN_MAX_FAILURES'),
  loginFailureWindowSeconds: int('LOGIN_FAILURE_WINDOW_SECONDS'),
  loginCodeCooldownSeconds: int('LOGIN_CODE_COOLDOWN_SECONDS'),
  loginCodesPerDay: int('LOGIN_CODES_PER_DAY'),
  /** Where login codes are POSTed; undefined outside production means "answer them in the response". */
  smsWebhookUrl: optional('SMS_WEBHOOK_URL'),
  smsWebhookToken: optional('SMS_WEBHOOK_TOKEN'),
  smsWebhookTimeoutMs: int('DEPENDENCY_TIMEOUT_MS'),
  singleSession: env('SINGLE_SESSION') === 'true',
  loginLockLeaseMs: int('LOGIN_LOCK_LEASE_MS'),
  loginLockWaitMs: int('LOGIN_LOCK_WAIT_MS'),
}));

export const seckillConfig = registerAs('seckill', () => ({
  orderLockLeaseMs: int('ORDER_LOCK_LEASE_MS'),
  voucherCacheTtlMs: int('VOUCHER_CACHE_TTL_MS'),
}));

export type AppConfig = ConfigType<typeof appConfig>;
export type DatabaseConfig = ConfigType<typeof databaseConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type LockConfig = ConfigType<typeof lockConfig>;
export type AuthConfig = ConfigType<typeof authConfig>;
export type SeckillConfig = ConfigType<typeof seckillConfig>;

export const allConfigs = [
  appConfig,
  databaseConfig,
  redisConfig,
  lockConfig,
  authConfig,
  seckillConfig,
];
