import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisDbOf, refusalOf, serviceVars, testSettings, Vars } from './test-settings';

describe(refusalOf.name, () => {
  const refusalFor = (vars: Vars) => refusalOf(testSettings(vars));

  it('lets the defaults run: seckill_test, Redis db 15 beside a service on db 0', () => {
    expect(refusalFor({})).toBeUndefined();
    expect(testSettings({})).toMatchObject({
      dbName: 'seckill_test',
      redisDb: 15,
      redisUrl: 'redis://127.0.0.1:6379/15',
    });
  });

  it("refuses the service's own Redis db, naming both and the fix", () => {
    const sut = refusalFor({ REDIS_URL: 'redis://127.0.0.1:6379/12', TEST_REDIS_DB: '12' });
    expect(sut).toContain('Redis db 12');
    expect(sut).toContain("the service's REDIS_URL (redis://127.0.0.1:6379/12)");
    expect(sut).toContain('TEST_REDIS_DB');
  });

  it('refuses db 15 when the service uses 15 and TEST_REDIS_DB is left to its default', () => {
    expect(refusalFor({ REDIS_URL: 'redis://127.0.0.1:6379/15' })).toContain('Redis db 15');
  });

  it('accepts another db than the service uses', () => {
    expect(
      refusalFor({ REDIS_URL: 'redis://127.0.0.1:6379/12', TEST_REDIS_DB: '11' }),
    ).toBeUndefined();
  });

  it('refuses db 0, and an index that is not one', () => {
    expect(refusalFor({ REDIS_URL: 'redis://127.0.0.1:6379/3', TEST_REDIS_DB: '0' })).toContain(
      'db 0',
    );
    expect(refusalFor({ TEST_REDIS_DB: 'x' })).toContain('TEST_REDIS_DB must be a Redis db index');
  });

  it('refuses a database whose name lacks "test"', () => {
    expect(refusalFor({ TEST_DB_NAME: 'seckill' })).toContain('its name must contain "test"');
  });

  it('keeps a password of REDIS_URL out of the message', () => {
    const sut = refusalFor({ REDIS_URL: 'redis://:s3cret@127.0.0.1:6379/15' });
    expect(sut).toContain('redis://:***@127.0.0.1:6379/15');
    expect(sut).not.toContain('s3cret');
  });
});

describe(testSettings.name, () => {
  it("uses the service's DB_* for MySQL, TEST_DB_* over them", () => {
    const vars = { DB_HOST: 'db.local', DB_PORT: '3307', DB_USER: 'app', DB_PASSWORD: 'pw' };
    expect(testSettings(vars).mysql).toEqual({
      host: 'db.local',
      port: 3307,
      user: 'app',
      password: 'pw',
    });
    expect(
      testSettings({ ...vars, TEST_DB_USER: 'tester', TEST_DB_PASSWORD: 'tpw' }).mysql,
    ).toEqual({
      host: 'db.local',
      port: 3307,
      user: 'tester',
      password: 'tpw',
    });
  });

  it('treats empty values as unset, as the service does', () => {
    expect(testSettings({ DB_HOST: '', REDIS_URL: '', TEST_REDIS_DB: '' })).toMatchObject({
      mysql: { host: '127.0.0.1', port: 3306, user: 'root', password: '' },
      redisUrl: 'redis://127.0.0.1:6379/15',
    });
  });

  it('puts the tests on the Redis server of REDIS_URL, on their own db', () => {
    expect(
      testSettings({ REDIS_URL: 'redis://:pw@cache:6380/2', TEST_REDIS_DB: '9' }).redisUrl,
    ).toBe('redis://:pw@cache:6380/9');
  });
});

describe(serviceVars.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'seckill-dotenv-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the .env file the service reads, the environment winning', () => {
    const file = join(dir, '.env');
    writeFileSync(file, 'REDIS_URL=redis://127.0.0.1:6379/15   # the service db\nDB_USER=app\n');
    const sut = serviceVars({ DB_USER: 'root' }, file);
    expect(sut).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379/15', DB_USER: 'root' });
    expect(refusalOf(testSettings(sut))).toContain('Redis db 15');
  });

  it('does without a .env file', () => {
    expect(serviceVars({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
  });
});

describe(redisDbOf.name, () => {
  it.each([
    ['redis://127.0.0.1:6379/4', 4],
    ['redis://127.0.0.1:6379', 0],
    ['redis://127.0.0.1:6379/', 0],
  ])('%s is db %d', (url, db) => {
    expect(redisDbOf(url)).toBe(db);
  });
});
