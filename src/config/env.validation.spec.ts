import { envValidationSchema, minimumOrderLockLeaseMs, splitUrlList } from './env.validation';

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

  it('accepts a lease just long enough', () => {
    expect(
      validate({ DEPENDENCY_TIMEOUT_MS: '2000', ORDER_LOCK_LEASE_MS: '14001' }).error,
    ).toBeUndefined();
  });
});

describe('async seckill settings', () => {
  const validate = (env: Record<string, string>) => envValidationSchema.validate(env);

  it('defaults to the sync mode and the documented tunables', () => {
    const { error, value } = validate({});

    expect(error).toBeUndefined();
    expect(value).toMatchObject({
      SECKILL_MODE: 'sync',
      ASYNC_WRITER_ENABLED: 'true',
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
