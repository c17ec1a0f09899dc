import { envValidationSchema, splitUrlList } from './env.validation';

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
