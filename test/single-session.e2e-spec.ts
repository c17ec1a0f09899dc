import { setTimeout as sleep } from 'node:timers/promises';
import { RedisKeys } from '../src/redis/redis-keys';
import { tokenDigest } from '../src/user/session.store';
import { UserService } from '../src/user/user.service';
import { loginShopper, startTestApp, TestApp, uniquePhone } from './support/test-app';

const ENV = {
  SINGLE_SESSION: 'true',
  LOGIN_LOCK_WAIT_MS: '3000',
  LOGIN_CODE_COOLDOWN_SECONDS: '1',
};

describe('one active session per user: SINGLE_SESSION=true (e2e)', () => {
  let t: TestApp;
  let users: UserService;
  const saved = Object.keys(ENV).map((name) => [name, process.env[name]] as const);

  beforeAll(async () => {
    Object.assign(process.env, ENV);
    t = await startTestApp();
    users = t.app.get(UserService);
  });
  afterAll(async () => {
    await t.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const me = (token: string) => t.api.get('/user/me').set('authorization', `Bearer ${token}`);
  const logout = (token: string) =>
    t.api.post('/user/logout').set('authorization', `Bearer ${token}`);
  const userIdOf = async (token: string) => (await me(token).expect(200)).body.data.id as number;
  const currentSession = (userId: number) => t.redis.get(RedisKeys.currentSession(userId));

  /** Takes lock:login:<userId> as another holder would, until the returned release. */
  async function holdLoginLock(userId: number): Promise<() => Promise<unknown>> {
    const key = RedisKeys.loginLock(userId);
    expect(await t.redis.set(key, 'another-holder', 'PX', 10_000, 'NX')).toBe('OK');
    return () => t.redis.del(key);
  }

  describe('a login', () => {
    it('revokes the user’s other session: its token answers 401 SESSION_REVOKED everywhere', async () => {
      const phone = uniquePhone();
      const old = await loginShopper(t.api, phone);
      await sleep(1_100); // the code cooldown
      const current = await loginShopper(t.api, phone);

      await me(current).expect(200);
      const refused = await me(old).expect(401);
      expect(refused.body).toEqual({
        success: false,
        code: 'SESSION_REVOKED',
        errorMsg: 'this session ended: you logged in elsewhere',
      });
      const order = await t.api.get('/voucher-order').set('authorization', old).expect(401);
      expect(order.body.code).toBe('SESSION_REVOKED');
    });

    it('keeps the revoked session’s lifetime, not more, and nothing of the shopper in it', async () => {
      const phone = uniquePhone();
      const old = await users.signIn(phone);
      const oldKey = RedisKeys.loginToken(tokenDigest(old));
      await t.redis.expire(oldKey, 1000); // as if it were logged in long ago
      await users.signIn(phone);

      expect(await t.redis.hgetall(oldKey)).toEqual({ revoked: '1' });
      const ttl = await t.redis.ttl(oldKey);
      expect(ttl).toBeGreaterThan(990);
      expect(ttl).toBeLessThanOrEqual(1000);
    });

    it('records the current session by its digest, never by the token', async () => {
      const token = await users.signIn(uniquePhone());
      const userId = await userIdOf(token);

      expect(await currentSession(userId)).toBe(tokenDigest(token));
      const ttl = await t.redis.ttl(RedisKeys.currentSession(userId));
      expect(ttl).toBeGreaterThan(7100);
      expect(ttl).toBeLessThanOrEqual(7200);
    });

    it('at the same moment as other logins of the user: all succeed, exactly one token stays valid', async () => {
      const phone = uniquePhone();
      const userId = await userIdOf(await users.signIn(phone));

      const tokens = await Promise.all([
        ...Array.from({ length: 12 }, () => users.signIn(phone)),
        ...Array.from({ length: 4 }, async () => (await users.signInMany([phone]))[0].token),
      ]);

      expect(new Set(tokens).size).toBe(16);
      const answers = await Promise.all(tokens.map((token) => me(token)));
      const valid = tokens.filter((_token, i) => answers[i].status === 200);
      expect(valid).toHaveLength(1);
      expect(
        answers.filter((res) => res.status === 401 && res.body.code === 'SESSION_REVOKED'),
      ).toHaveLength(15);
      expect(await currentSession(userId)).toBe(tokenDigest(valid[0]));
    });

    it('of one user never waits for another user’s: only the same user’s login waits for its lock', async () => {
      const waiting = uniquePhone();
      const waitingId = await userIdOf(await users.signIn(waiting));
      const others = Array.from({ length: 30 }, uniquePhone);
      await users.signInMany(others);
      const release = await holdLoginLock(waitingId);
      let waitingDone = false;
      const waitingLogin = users.signIn(waiting).finally(() => (waitingDone = true));

      const started = performance.now();
      const tokens = await Promise.all(others.map((phone) => users.signIn(phone)));
      const othersMs = performance.now() - started;

      // 30 logins of other users finished while the held lock kept this one waiting
      // (LOGIN_LOCK_WAIT_MS is 3 s here).
      expect(tokens).toHaveLength(30);
      expect(othersMs).toBeLessThan(1_500);
      expect(waitingDone).toBe(false);
      await release();
      const token = await waitingLogin;
      await me(token).expect(200);
    });

    it('gives up after LOGIN_LOCK_WAIT_MS with 409 LOCK_WAIT_TIMEOUT, leaving the current session alone', async () => {
      const phone = uniquePhone();
      const current = await users.signIn(phone);
      const release = await holdLoginLock(await userIdOf(current));
      try {
        const started = performance.now();
        await expect(users.signIn(phone)).rejects.toMatchObject({ code: 'LOCK_WAIT_TIMEOUT' });
        expect(performance.now() - started).toBeGreaterThanOrEqual(3_000 - 50);
      } finally {
        await release();
      }

      await me(current).expect(200);
    });
  });

  describe('POST /user/logout', () => {
    it('ends the session (401 UNAUTHORIZED afterwards) and clears the current-session record', async () => {
      const token = await users.signIn(uniquePhone());
      const userId = await userIdOf(token);

      await logout(token).expect(200, { success: true, data: null });

      expect((await me(token).expect(401)).body.code).toBe('UNAUTHORIZED');
      expect(await currentSession(userId)).toBeNull();
    });

    it('takes the user’s login lock', async () => {
      const token = await users.signIn(uniquePhone());
      const release = await holdLoginLock(await userIdOf(token));

      const started = performance.now();
      const loggingOut = logout(token).then((res) => res);
      await sleep(300);
      await release();
      const res = await loggingOut;

      expect(res.status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    });

    it('from an old device, late, never ends the session of the new one', async () => {
      const phone = uniquePhone();
      const old = await users.signIn(phone);
      const shopper = (await me(old).expect(200)).body.data as { id: number; nickName: string };
      const current = await users.signIn(phone);

      // Over HTTP the revoked token is refused before it reaches the service...
      expect((await logout(old).expect(401)).body.code).toBe('SESSION_REVOKED');
      // ...and a logout that was authenticated just before the new login, then ran after it:
      await users.logout({ ...shopper, icon: '' }, old);

      await me(current).expect(200);
      expect(await currentSession(shopper.id)).toBe(tokenDigest(current));
    });
  });

  describe('the bulk sign-in of the load tools', () => {
    it('revokes a login’s session, and a later login revokes its session', async () => {
      const phone = uniquePhone();
      const first = await users.signIn(phone);
      const [{ token: bulk }] = await users.signInMany([phone]);

      expect((await me(first).expect(401)).body.code).toBe('SESSION_REVOKED');
      await me(bulk).expect(200);
      const later = await users.signIn(phone);
      expect((await me(bulk).expect(401)).body.code).toBe('SESSION_REVOKED');
      await me(later).expect(200);
    });

    it('still signs many users in at once, each with a valid token', async () => {
      const sessions = await users.signInMany(Array.from({ length: 200 }, uniquePhone));

      const answers = await Promise.all(sessions.map(({ token }) => me(token)));
      expect(answers.every((res) => res.status === 200)).toBe(true);
    });
  });
});
