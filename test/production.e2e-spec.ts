import { RedisKeys } from '../src/redis/redis-keys';
import { SmsWebhook } from './support/sms-webhook';
import { startTestApp, TestApp, uniquePhone } from './support/test-app';

describe('in production (e2e)', () => {
  let t: TestApp;
  let sms: SmsWebhook;

  beforeAll(async () => {
    // The configuration is read when the app is built, so this app runs as production.
    // Production refuses to start without a way to deliver login codes.
    sms = await SmsWebhook.start();
    process.env.NODE_ENV = 'production';
    process.env.SMS_WEBHOOK_URL = sms.url;
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    await sms.close();
    process.env.NODE_ENV = 'test';
    delete process.env.SMS_WEBHOOK_URL;
  });

  it('sends the login code to the SMS webhook and never hands it back', async () => {
    const phone = uniquePhone();
    const res = await t.api.post('/user/code').send({ phone }).expect(200);

    expect(res.body).toEqual({ success: true, data: null });
    const code = sms.codeFor(phone);
    expect(code).toMatch(/^\d{6}$/);
    expect(await t.redis.hget(RedisKeys.loginCode(phone), 'code')).toBe(code);
    await t.api.post('/user/login').send({ phone, code }).expect(200);
  });

  it('answers GET /health 200 when MySQL and Redis answer', async () => {
    const res = await t.api.get('/health').expect(200);
    expect(res.body).toEqual({ success: true, data: { mysql: 'up', redis: 'up' } });
  });
});
