import { availableParallelism } from 'node:os';
import {
  Env,
  envValidationSchema,
  isLoopback,
  defaultOrderLockLeaseMs,
  minimumOrderLockLeaseMs,
  splitUrlList,
  validateEnv,
} from './env.validation';

function validate(env: Record<string, string>) {
  return envValidationSchema.validate(env, { abortEarly: false });
}

describe('REDIS_LOCK_URLS', () => {
  it('defaults to empty: the locks live on REDIS_URL', () => {
    const { error, value } = validate({});

    expect(error).toBeUndefined();
    expect(splitUrlList(value.REDIS_LOCK_URLS as string)).toEqual([]);
  });

  it('accepts independent redis:// and rediss:// masters, spaces around commas allowed', () => {
    const urls = 'redis://10.0.0.1:6379, redis://10.0.0.2:6379/2 ,rediss://:pw@10.0.0.3:6380';

    const { error, value } = validate({ REDIS_LOCK_URLS: urls });

    expect(error).toBeUndefined();
    expect(splitUrlList(value.REDIS_LOCK_URLS as string)).toEqual([
      'redis://10.0.0.1:6379',
      'redis://10.0.0.2:6379/2',
      'rediss://:pw@10.0.0.3:6380',
    ]);
  });

  it.each(['http://10.0.0.2:6379', '10.0.0.2:6379', 'redis://'])(
    'refuses a bad URL and names it: %s',
    (bad) => {
      const { error } = validate({ REDIS_LOCK_URLS: `redis://10.0.0.1:6379,${bad}` });

      expect(error?.message).toContain('REDIS_LOCK_URLS');
      expect(error?.message).toContain(bad);
    },
  );

  it('refuses the same master twice (it would vote twice)', () => {
    const { error } = validate({
      REDIS_LOCK_URLS: 'redis://10.0.0.1:6379,redis://10.0.0.1:6379',
    });

    expect(error?.message).toContain('REDIS_LOCK_URLS');
  });
});

describe('envValidationSchema', () => {
  const validate = (env: Record<string, string>) => envValidationSchema.validate(env);

  it('accepts the defaults', () => {
    expect(validate({}).error).toBeUndefined();
  });

  it.each([
    // 2 deadlines (order id, pool wait) + 5 lock waits of ceil(deadline) seconds.
    [1000, 7000],
    [1500, 13_000],
    [50, 5100],
  ])(
    'wants the order lock lease to outlive a call (deadline %i ms: more than %i ms)',
    (timeout, minimum) => {
      expect(minimumOrderLockLeaseMs(timeout)).toBe(minimum);
    },
  );

  it('refuses a lease a call still running on the server could outlive', () => {
    const { error } = validate({ DEPENDENCY_TIMEOUT_MS: '2000', ORDER_LOCK_LEASE_MS: '10000' });

    expect(error?.message).toMatch(/"ORDER_LOCK_LEASE_MS" must be greater than 14000/);
  });

  it('defaults the lease to 10 s, or to what a longer deadline needs', () => {
    expect(validateEnv({}).ORDER_LOCK_LEASE_MS).toBe(10_000);
    expect(validateEnv({ DEPENDENCY_TIMEOUT_MS: '5000' }).ORDER_LOCK_LEASE_MS).toBe(36_000);
    expect(defaultOrderLockLeaseMs(5000)).toBeGreaterThan(minimumOrderLockLeaseMs(5000));
  });

  it('accepts a lease just long enough', () => {
    expect(
      validate({ DEPENDENCY_TIMEOUT_MS: '2000', ORDER_LOCK_LEASE_MS: '14001' }).error,
    ).toBeUndefined();
  });
});

const PRODUCTION = {
  NODE_ENV: 'production',
  ADMIN_TOKEN: 'a-production-admin-token',
  SMS_WEBHOOK_URL: 'https://sms-bridge.internal/send',
};

describe(validateEnv.name, () => {
  it('fills every default from the schema alone', () => {
    expect(validateEnv({})).toEqual<Env>({
      NODE_ENV: 'development',
      PORT: 8081,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      DOCS_ENABLED: true,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      DB_HOST: '127.0.0.1',
      DB_PORT: 3306,
      DB_USER: 'root',
      DB_PASSWORD: '',
      DB_NAME: 'seckill',
      DB_POOL_SIZE: 20,
      REDIS_URL: 'redis://127.0.0.1:6379/0',
      REDIS_CLUSTER_NODES: '',
      REDIS_LOCK_URLS: '',
      DEPENDENCY_TIMEOUT_MS: 1000,
      ORDER_SETTLE_TIMEOUT_MS: 500,
      ADMIN_TOKEN: 'dev-admin-token-change-me',
      TOKEN_TTL_SECONDS: 7200,
      LOGIN_CODE_TTL_SECONDS: 120,
      LOGIN_MAX_FAILURES: 5,
      LOGIN_FAILURE_WINDOW_SECONDS: 900,
      LOGIN_CODE_COOLDOWN_SECONDS: 60,
      LOGIN_CODES_PER_DAY: 10,
      SINGLE_SESSION: false,
      LOGIN_LOCK_LEASE_MS: 5000,
      LOGIN_LOCK_WAIT_MS: 2000,
      ORDER_LOCK_LEASE_MS: 10_000,
      VOUCHER_CACHE_TTL_MS: 1000,
      WORKERS: availableParallelism(),
      SECKILL_MODE: 'sync',
      ASYNC_WRITER_ENABLED: true,
      ASYNC_MAX_DELIVERIES: 5,
      ASYNC_BATCH_SIZE: 500,
      ASYNC_BLOCK_MS: 200,
      ASYNC_BATCH_LINGER_MS: 20,
      ASYNC_CLAIM_IDLE_MS: 15_000,
      ASYNC_TRIM_INTERVAL_MS: 5000,
      ASYNC_ORDER_STATE_TTL_SECONDS: 604_800,
      ASYNC_STREAM_SHARDS: 1,
    });
  });

  it('takes WORKERS from 1 to 256, one per core when unset', () => {
    expect(validateEnv({ WORKERS: '3' }).WORKERS).toBe(3);
    expect(() => validateEnv({ WORKERS: '0' })).toThrow(
      /"WORKERS" must be greater than or equal to 1/,
    );
    expect(() => validateEnv({ WORKERS: 'many' })).toThrow(/"WORKERS" must be a number/);
  });

  it('takes a Redis Cluster as host:port seeds, and 8 stream shards with it', () => {
    const env = validateEnv({ REDIS_CLUSTER_NODES: '127.0.0.1:7000, redis-a:7001,[::1]:7002' });

    expect(env.REDIS_CLUSTER_NODES).toBe('127.0.0.1:7000, redis-a:7001,[::1]:7002');
    expect(env.ASYNC_STREAM_SHARDS).toBe(8);
  });

  it.each([
    [
      'redis://127.0.0.1:7000',
      /"REDIS_CLUSTER_NODES" holds redis:\/\/127.0.0.1:7000, not a host:port/,
    ],
    ['127.0.0.1', /"REDIS_CLUSTER_NODES" holds 127.0.0.1, not a host:port/],
    ['127.0.0.1:70000', /not a host:port/],
    ['127.0.0.1:7000,127.0.0.1:7000', /"REDIS_CLUSTER_NODES" names a node twice/],
  ])('refuses REDIS_CLUSTER_NODES=%s', (value, message) => {
    expect(() => validateEnv({ REDIS_CLUSTER_NODES: value })).toThrow(message);
  });

  it('converts values and drops variables it does not know', () => {
    const env = validateEnv({ PORT: '9000', DOCS_ENABLED: 'FALSE', PATH: '/usr/bin' });

    expect(env.PORT).toBe(9000);
    expect(env.DOCS_ENABLED).toBe(false);
    expect(env).not.toHaveProperty('PATH');
  });

  it('takes an empty variable as unset, so its default applies', () => {
    const env = validateEnv({ VOUCHER_CACHE_TTL_MS: '', METRICS_TOKEN: '', HOST: '' });

    expect(env.VOUCHER_CACHE_TTL_MS).toBe(1000);
    expect(env.METRICS_TOKEN).toBeUndefined();
    expect(env.HOST).toBe('127.0.0.1');
  });

  it('turns /docs off in production unless DOCS_ENABLED says otherwise', () => {
    expect(validateEnv(PRODUCTION).DOCS_ENABLED).toBe(false);
    expect(validateEnv({ ...PRODUCTION, DOCS_ENABLED: 'true' }).DOCS_ENABLED).toBe(true);
    expect(validateEnv({ NODE_ENV: 'test', DOCS_ENABLED: 'false' }).DOCS_ENABLED).toBe(false);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['production without ADMIN_TOKEN', { NODE_ENV: 'production' }, /"ADMIN_TOKEN" is required/],
    [
      'production with the public default admin token',
      { NODE_ENV: 'production', ADMIN_TOKEN: 'dev-admin-token-change-me' },
      /"ADMIN_TOKEN"/,
    ],
    [
      'production without SMS_WEBHOOK_URL',
      { NODE_ENV: 'production', ADMIN_TOKEN: 'a-production-admin-token' },
      /"SMS_WEBHOOK_URL" is required in production/,
    ],
    ['an SMS_WEBHOOK_URL that is not http(s)', { SMS_WEBHOOK_URL: 'ftp://x/y' }, /SMS_WEBHOOK_URL/],
    ['SINGLE_SESSION that is no boolean', { SINGLE_SESSION: 'maybe' }, /"SINGLE_SESSION"/],
    ['a LOGIN_MAX_FAILURES of 0', { LOGIN_MAX_FAILURES: '0' }, /"LOGIN_MAX_FAILURES"/],
    ['a short METRICS_TOKEN', { METRICS_TOKEN: 'short' }, /"METRICS_TOKEN"/],
    ['a SHUTDOWN_TIMEOUT_MS that is no number', { SHUTDOWN_TIMEOUT_MS: 'soon' }, /SHUTDOWN/],
    ['DOCS_ENABLED that is no boolean', { DOCS_ENABLED: 'maybe' }, /"DOCS_ENABLED"/],
    [
      'a non-loopback HOST outside production',
      { NODE_ENV: 'development', HOST: '0.0.0.0' },
      /"HOST" 0\.0\.0\.0 is not a loopback address.*set NODE_ENV=production/,
    ],
  ])('refuses %s, naming it', (_case, raw, message) => {
    expect(() => validateEnv(raw)).toThrow(/^Config validation error: /);
    expect(() => validateEnv(raw)).toThrow(message);
  });

  it('lets production listen on any HOST', () => {
    expect(validateEnv({ ...PRODUCTION, HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });
});

describe(isLoopback.name, () => {
  it.each(['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])(
    'counts %s as loopback',
    (host) => {
      expect(isLoopback(host)).toBe(true);
    },
  );

  it.each([
    '0.0.0.0',
    '::',
    '192.168.1.20',
    '10.0.0.1',
    '128.0.0.1',
    'example.com',
    '::ffff:10.0.0.1',
  ])('does not count %s', (host) => {
    expect(isLoopback(host)).toBe(false);
  });
});

describe('async seckill settings', () => {
  const validate = (env: Record<string, string>) => envValidationSchema.validate(env);

  it('defaults to the sync mode and the documented tunables', () => {
    const { error, value } = validate({});

    expect(error).toBeUndefined();
    expect(value).toMatchObject({
      SECKILL_MODE: 'sync',
      ASYNC_WRITER_ENABLED: true,
      ASYNC_MAX_DELIVERIES: 5,
      ASYNC_BATCH_SIZE: 500,
      ASYNC_BLOCK_MS: 200,
      ASYNC_CLAIM_IDLE_MS: 15_000,
    });
  });

  it.each([
    ['SECKILL_MODE', 'queue'],
    ['ASYNC_MAX_DELIVERIES', '0'],
    ['ASYNC_BATCH_SIZE', '0'],
    ['ASYNC_WRITER_ENABLED', 'yes'],
  ])('refuses %s=%s, naming it', (name, bad) => {
    expect(validate({ [name]: bad }).error?.message).toContain(name);
  });
});
