import { RedisKeys } from '../src/redis/redis-keys';
import { startTestApp, TestApp, uniquePhone } from './support/test-app';

describe('in production (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The configuration is read when the app is built, so this app runs as production.
    process.env.NODE_ENV = 'production';
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    process.env.NODE_ENV = 'test';
  });

  it('stores the login code but never hands it back', async () => {
    const phone = uniquePhone();
    const res = await t.api.post('/user/code').send({ phone }).expect(200);

    expect(res.body).toEqual({ success: true, data: null });
    expect(await t.redis.hget(RedisKeys.loginCode(phone), 'code')).toMatch(/^\d{6}$/);
  });

  it('answers GET /health 200 when MySQL and Redis answer', async () => {
    const res = await t.api.get('/health').expect(200);
    expect(res.body).toEqual({ success: true, data: { mysql: 'up', redis: 'up' } });
  });
});
