import { envValidationSchema, minimumOrderLockLeaseMs } from './env.validation';

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
