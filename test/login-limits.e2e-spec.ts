import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { RedisKeys } from '../src/redis/redis-keys';
import { RedisServerProcess } from './support/redis-server';
import { startTestApp, TestApp, uniquePhone } from './support/test-app';

/** Small limits, so that windows end within a test. */
const LIMITS = {
  LOGIN_MAX_FAILURES: '8',
  LOGIN_FAILURE_WINDOW_SECONDS: '6',
  LOGIN_CODE_COOLDOWN_SECONDS: '1',
  LOGIN_CODES_PER_DAY: '3',
};
const COOLDOWN_MS = 1_100;

/** Sets `env` for the apps built until the returned function restores what was there. */
function overrideEnv(env: Record<string, string>): () => void {
  const saved = Object.keys(env).map((name) => [name, process.env[name]] as const);
  Object.assign(process.env, env);
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

const retryAfter = (res: Response) => Number(res.headers['retry-after']);

describe('login abuse limits, with small windows (e2e)', () => {
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = overrideEnv(LIMITS);
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    restoreEnv();
  });

  const askCode = (phone: string) => t.api.post('/user/code').send({ phone });
  const login = (phone: string, code: string) => t.api.post('/user/login').send({ phone, code });
  const codeOf = async (phone: string) => (await askCode(phone).expect(200)).body.data as string;
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');

  describe('wrong codes', () => {
    it('keep counting when new codes are asked for: the guessing attack ends at the budget', async () => {
      const phone = uniquePhone();
      const first = await codeOf(phone);
      for (let i = 0; i < 5; i++) await login(phone, wrongFor(first)).expect(401);
      await sleep(COOLDOWN_MS);
      // Re-issuing the code used to reset the guesses: five per code, without end.
      const second = await codeOf(phone);
      for (let i = 0; i < 3; i++) await login(phone, wrongFor(second)).expect(401);

      const blocked = await login(phone, second).expect(429);
      expect(blocked.body.code).toBe('TOO_MANY_ATTEMPTS');
      expect(retryAfter(blocked)).toBeGreaterThanOrEqual(1);
      expect(retryAfter(blocked)).toBeLessThanOrEqual(6);

      await sleep(COOLDOWN_MS);
      const third = await codeOf(phone);
      expect((await login(phone, third).expect(429)).body.code).toBe('TOO_MANY_ATTEMPTS');
    });

    it('block the phone until the window ends, then the right code logs in', async () => {
      const phone = uniquePhone();
      const code = await codeOf(phone);
      const wrong = wrongFor(code);
      // The code is burnt after five wrong guesses; the budget goes on counting.
      for (let i = 0; i < 8; i++) await login(phone, wrong).expect(401);
      await sleep(COOLDOWN_MS);
      const fresh = await codeOf(phone);

      const blocked = await login(phone, fresh).expect(429);
      const blockedAt = Date.now();
      const waitSeconds = retryAfter(blocked);
      expect(waitSeconds).toBeGreaterThanOrEqual(1);
      expect(waitSeconds).toBeLessThanOrEqual(6);
      // About 1.5 s of the 6 went by, so still blocked half a second before Retry-After...
      if (waitSeconds >= 2) {
        await sleep(blockedAt + (waitSeconds - 1) * 1000 - 500 - Date.now());
        await login(phone, fresh).expect(429);
      }
      // ...and free once it has passed (the window ended before blockedAt + Retry-After).
      await sleep(blockedAt + waitSeconds * 1000 + 200 - Date.now());

      await login(phone, fresh).expect(200);
    });

    it('burn a code after five wrong guesses, although the budget has room left', async () => {
      const phone = uniquePhone();
      const code = await codeOf(phone);
      for (let i = 0; i < 5; i++) await login(phone, wrongFor(code)).expect(401);

      expect((await login(phone, code).expect(401)).body.code).toBe('INVALID_CODE');
    });

    it('cannot overrun the budget with guesses in flight at once', async () => {
      const phone = uniquePhone();
      const code = await codeOf(phone);

      const answers = await Promise.all(
        Array.from({ length: 20 }, () => login(phone, wrongFor(code))),
      );

      const statuses = answers.map((res) => res.status).sort();
      expect(statuses.filter((status) => status === 401)).toHaveLength(8);
      expect(statuses.filter((status) => status === 429)).toHaveLength(12);
    });
  });

  describe('code requests', () => {
    it('wait out the cooldown: Retry-After says when, and then a code is sent', async () => {
      const phone = uniquePhone();
      await askCode(phone).expect(200);

      const early = await askCode(phone).expect(429);
      expect(early.body.code).toBe('TOO_MANY_REQUESTS');
      expect(retryAfter(early)).toBe(1);

      await sleep(COOLDOWN_MS);
      await askCode(phone).expect(200);
    });

    it('are counted per day: past the count, 429 TOO_MANY_REQUESTS until the day window ends', async () => {
      const phone = uniquePhone();
      for (let i = 0; i < 3; i++) {
        await askCode(phone).expect(200);
        await sleep(COOLDOWN_MS);
      }

      const refused = await askCode(phone).expect(429);

      expect(refused.body.code).toBe('TOO_MANY_REQUESTS');
      expect(retryAfter(refused)).toBeGreaterThan(86_400 - 30);
      expect(retryAfter(refused)).toBeLessThanOrEqual(86_400);
      const ttl = await t.redis.ttl(RedisKeys.loginCodesPerDay(phone));
      expect(ttl).toBeGreaterThan(86_400 - 30);
    });
  });
});

describe('login abuse limits while Redis is down (e2e)', () => {
  let redis: RedisServerProcess;
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    restoreEnv = overrideEnv({ REDIS_URL: redis.url });
    t = await startTestApp();
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      await redis?.stop();
      restoreEnv();
    }
  });

  it('answers 503 naming redis for a code and for a login, and works again once it is back', async () => {
    const phone = uniquePhone();
    await redis.kill();

    for (const res of [
      await t.api.post('/user/code').send({ phone }),
      await t.api.post('/user/login').send({ phone, code: '123456' }),
    ]) {
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        success: false,
        code: 'SERVICE_UNAVAILABLE',
        errorMsg: 'redis unavailable',
      });
    }

    await redis.restart();
    const deadline = Date.now() + 10_000;
    let code: string | undefined;
    while (!code && Date.now() < deadline) {
      const res = await t.api.post('/user/code').send({ phone });
      if (res.status === 200) code = res.body.data as string;
      else await sleep(100);
    }
    await t.api.post('/user/login').send({ phone, code }).expect(200);
  });
});
