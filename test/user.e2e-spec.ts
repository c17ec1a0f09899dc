import type { Response } from 'supertest';
import { RedisKeys } from '../src/redis/redis-keys';
import { tokenDigest } from '../src/user/session.store';
import { UserService } from '../src/user/user.service';
import { redisCommandsDuring, touching } from './support/redis-monitor';
import { loginShopper, startTestApp, TestApp, uniquePhone } from './support/test-app';

describe('user (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const countUsers = async (phone: string) =>
    Number((await t.db.query('SELECT COUNT(*) AS n FROM tb_user WHERE phone = ?', [phone]))[0].n);

  describe('POST /user/code', () => {
    it('answers a second request within a minute with 429 TOO_MANY_REQUESTS and Retry-After, keeping the first code', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone }).expect(200)).body.data as string;

      const res = await t.api.post('/user/code').send({ phone }).expect(429);

      expect(res.body).toEqual({
        success: false,
        code: 'TOO_MANY_REQUESTS',
        errorMsg: 'too many code requests for this phone, try later',
      });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(55);
      expect(retryAfter).toBeLessThanOrEqual(60);
      await t.api.post('/user/login').send({ phone, code }).expect(200);
    });

    it('keeps the cooldown per phone', async () => {
      await t.api.post('/user/code').send({ phone: uniquePhone() }).expect(200);
      await t.api.post('/user/code').send({ phone: uniquePhone() }).expect(200);
    });

    it('stores a 6-digit code for two minutes and hands it back outside production', async () => {
      const phone = uniquePhone();
      const res = await t.api.post('/user/code').send({ phone }).expect(200);

      expect(res.body).toEqual({ success: true, data: expect.stringMatching(/^\d{6}$/) });
      const key = RedisKeys.loginCode(phone);
      expect(await t.redis.hget(key, 'code')).toBe(res.body.data);
      const ttl = await t.redis.ttl(key);
      expect(ttl).toBeGreaterThan(110);
      expect(ttl).toBeLessThanOrEqual(120);
    });

    it.each([
      ['a short number', { phone: '1380000000' }],
      ['a non-mobile prefix', { phone: '12800000000' }],
      ['letters', { phone: '1380000000a' }],
      ['a number type', { phone: 13800000000 }],
      ['no phone', {}],
    ])('refuses %s with 400 VALIDATION_FAILED naming phone', async (_case, body) => {
      const res = await t.api.post('/user/code').send(body).expect(400);
      expect(res.body).toEqual({
        success: false,
        code: 'VALIDATION_FAILED',
        errorMsg: expect.stringContaining('phone'),
      });
    });
  });

  describe('POST /user/login', () => {
    it('creates the user on first login only', async () => {
      const phone = uniquePhone();
      const first = await loginShopper(t.api, phone);
      expect(await countUsers(phone)).toBe(1);
      // A second login of the phone (the same path after the code check; a second code
      // would have to wait out the cooldown).
      const second = await t.app.get(UserService).signIn(phone);

      expect(second).not.toBe(first);
      expect(await countUsers(phone)).toBe(1);
      const me = async (token: string): Promise<number> =>
        (await t.api.get('/user/me').set('authorization', token).expect(200)).body.data
          .id as number;
      expect(await me(second)).toBe(await me(first));
    });

    it('takes a code once', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      await t.api.post('/user/login').send({ phone, code }).expect(200);
      const reuse = await t.api.post('/user/login').send({ phone, code }).expect(401);
      expect(reuse.body.code).toBe('INVALID_CODE');
    });

    it('answers 401 INVALID_CODE for a wrong code and creates no user', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      const wrong = code === '000000' ? '111111' : '000000';

      const res = await t.api.post('/user/login').send({ phone, code: wrong }).expect(401);

      expect(res.body).toEqual({
        success: false,
        code: 'INVALID_CODE',
        errorMsg: 'invalid or expired verification code',
      });
      expect(await countUsers(phone)).toBe(0);
    });

    it('answers 401 INVALID_CODE for an expired code', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      await t.redis.del(RedisKeys.loginCode(phone)); // what EXPIRE does after two minutes

      const res = await t.api.post('/user/login').send({ phone, code }).expect(401);
      expect(res.body.code).toBe('INVALID_CODE');
    });

    it('blocks the phone after five wrong codes for the rest of the 15-minute window, even for the right code', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        await t.api.post('/user/login').send({ phone, code: wrong }).expect(401);
      }

      const res = await t.api.post('/user/login').send({ phone, code }).expect(429);

      expect(res.body).toEqual({
        success: false,
        code: 'TOO_MANY_ATTEMPTS',
        errorMsg: 'too many wrong codes for this phone, try later',
      });
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(890);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(await countUsers(phone)).toBe(0);
    });

    it('counts wrong codes per phone: a blocked phone does not block another', async () => {
      const blocked = uniquePhone();
      await t.api.post('/user/code').send({ phone: blocked }).expect(200);
      for (let i = 0; i < 6; i++) {
        await t.api.post('/user/login').send({ phone: blocked, code: '000000' });
      }
      await t.api.post('/user/login').send({ phone: blocked, code: '000000' }).expect(429);

      await loginShopper(t.api);
    });

    it('does not count a right code: after four wrong codes and a login the count stays at four', async () => {
      const phone = uniquePhone();
      await t.api.post('/user/code').send({ phone }).expect(200);
      for (let i = 0; i < 4; i++) {
        await t.api.post('/user/login').send({ phone, code: '000000' }).expect(401);
      }
      await t.redis.del(RedisKeys.loginCodeCooldown(phone)); // a minute later
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      await t.api.post('/user/login').send({ phone, code }).expect(200);

      expect(await t.redis.get(RedisKeys.loginFailures(phone))).toBe('4');
    });
    it('refuses a malformed code with 400 before looking it up', async () => {
      const phone = uniquePhone();
      await t.api.post('/user/code').send({ phone }).expect(200);
      let res!: Response;

      const commands = await redisCommandsDuring(t.redis, async () => {
        res = await t.api.post('/user/login').send({ phone, code: '12345' }).expect(400);
      });

      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.errorMsg).toContain('code');
      // Nothing about the phone was read or counted: its live code keeps all its guesses.
      expect(touching(commands, phone)).toEqual([]);
    });
  });

  describe('GET /user/me', () => {
    let token: string;
    beforeAll(async () => {
      token = await loginShopper(t.api);
    });

    it.each([
      ['a bare token', (token: string) => token],
      ['a Bearer token', (token: string) => `Bearer ${token}`],
    ])('answers the shopper for %s', async (_case, header) => {
      const res = await t.api.get('/user/me').set('authorization', header(token)).expect(200);
      expect(res.body).toEqual({
        success: true,
        data: { id: expect.any(Number), nickName: expect.stringMatching(/^user_/), icon: '' },
      });
    });

    it.each([
      ['no token', undefined],
      ['an empty header', ''],
      ['a forged token', 'A'.repeat(43)],
      ['garbage', 'not a token at all'],
    ])('answers 401 UNAUTHORIZED for %s', async (_case, header) => {
      const req = t.api.get('/user/me');
      if (header !== undefined) void req.set('authorization', header);
      const res = await req.expect(401);
      expect(res.body).toEqual({ success: false, code: 'UNAUTHORIZED', errorMsg: 'please log in' });
    });

    it('answers 401 once the token has expired', async () => {
      const expiring = await loginShopper(t.api);
      await t.redis.pexpire(RedisKeys.loginToken(tokenDigest(expiring)), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await t.api.get('/user/me').set('authorization', expiring).expect(401);
    });

    it('gives a session the configured lifetime', async () => {
      const ttl = await t.redis.ttl(RedisKeys.loginToken(tokenDigest(token)));
      expect(ttl).toBeGreaterThan(7100);
      expect(ttl).toBeLessThanOrEqual(7200);
    });
  });

  describe('POST /user/logout', () => {
    it('ends the session: its token answers 401 UNAUTHORIZED, other sessions of the user go on', async () => {
      const phone = uniquePhone();
      const token = await loginShopper(t.api, phone);
      const other = await t.app.get(UserService).signIn(phone);

      const res = await t.api.post('/user/logout').set('authorization', `Bearer ${token}`);

      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true, data: null });
      const after = await t.api.get('/user/me').set('authorization', token).expect(401);
      expect(after.body.code).toBe('UNAUTHORIZED');
      await t.api.post('/user/logout').set('authorization', token).expect(401);
      await t.api.get('/user/me').set('authorization', other).expect(200);
    });

    it('answers 401 UNAUTHORIZED without a token', async () => {
      const res = await t.api.post('/user/logout').expect(401);
      expect(res.body.code).toBe('UNAUTHORIZED');
    });
  });

  describe('session tokens in Redis', () => {
    /** Every key of the test db and everything stored under it, as one string. */
    async function dumpRedis(): Promise<string> {
      const parts: string[] = [];
      for (const key of await t.redis.keys('*')) {
        const type = await t.redis.type(key);
        parts.push(key);
        if (type === 'string') parts.push((await t.redis.get(key)) ?? '');
        if (type === 'hash') parts.push(JSON.stringify(await t.redis.hgetall(key)));
      }
      return parts.join('\n');
    }

    it('keeps no raw token: the session is keyed by its SHA-256, and the dump holds no token', async () => {
      const phone = uniquePhone();
      const token = await loginShopper(t.api, phone);
      const [bulk] = await t.app.get(UserService).signInMany([uniquePhone()]);

      const dump = await dumpRedis();

      expect(dump).toContain(RedisKeys.loginToken(tokenDigest(token)));
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(bulk.token);
      expect(await t.redis.exists(RedisKeys.loginToken(token))).toBe(0);
    });

    it('sends no raw token to Redis: MONITOR sees only its digest through login, use and logout', async () => {
      let token = '';
      const commands = await redisCommandsDuring(t.redis, async () => {
        token = await loginShopper(t.api);
        await t.api.get('/user/me').set('authorization', token).expect(200);
        await t.api.post('/user/logout').set('authorization', token).expect(200);
        await t.api.get('/user/me').set('authorization', token).expect(401);
      });

      const seen = commands.map((args) => args.join(' ')).join('\n');
      expect(seen).toContain(tokenDigest(token));
      expect(seen).not.toContain(token);
    });
  });
});
