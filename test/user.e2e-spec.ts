import type { Response } from 'supertest';
import { RedisKeys } from '../src/redis/redis-keys';
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
    it('creates the user on first login only, and a code works once', async () => {
      const phone = uniquePhone();
      const first = await loginShopper(t.api, phone);
      const second = await loginShopper(t.api, phone);
      expect(first).not.toBe(second);
      expect(await countUsers(phone)).toBe(1);

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

    it('burns the code after five wrong guesses', async () => {
      const phone = uniquePhone();
      const code = (await t.api.post('/user/code').send({ phone })).body.data as string;
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) {
        await t.api.post('/user/login').send({ phone, code: wrong }).expect(401);
      }
      const res = await t.api.post('/user/login').send({ phone, code }).expect(401);
      expect(res.body.code).toBe('INVALID_CODE');
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
      await t.redis.pexpire(RedisKeys.loginToken(expiring), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await t.api.get('/user/me').set('authorization', expiring).expect(401);
    });

    it('gives a session the configured lifetime', async () => {
      const ttl = await t.redis.ttl(RedisKeys.loginToken(token));
      expect(ttl).toBeGreaterThan(7100);
      expect(ttl).toBeLessThanOrEqual(7200);
    });
  });
});
