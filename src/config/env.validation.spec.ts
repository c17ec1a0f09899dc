import { Env, isLoopback, validateEnv } from './env.validation';

const PRODUCTION = { NODE_ENV: 'production', ADMIN_TOKEN: 'a-production-admin-token' };

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
      DEPENDENCY_TIMEOUT_MS: 1000,
      ADMIN_TOKEN: 'dev-admin-token-change-me',
      TOKEN_TTL_SECONDS: 7200,
      LOGIN_CODE_TTL_SECONDS: 120,
      ORDER_LOCK_LEASE_MS: 10_000,
      VOUCHER_CACHE_TTL_MS: 1000,
    });
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
