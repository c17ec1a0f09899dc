import { RedisKeys } from '../src/redis/redis-keys';
import { SmsWebhook } from './support/sms-webhook';
import { startTestApp, TestApp, uniquePhone } from './support/test-app';

const WEBHOOK_TOKEN = 'sms-bridge-secret-0123456789';
const TIMEOUT_MS = 1000; // DEPENDENCY_TIMEOUT_MS, the default

describe('login codes through the SMS webhook, in production (e2e)', () => {
  let sms: SmsWebhook;
  let t: TestApp;

  beforeAll(async () => {
    sms = await SmsWebhook.start();
    process.env.NODE_ENV = 'production';
    process.env.SMS_WEBHOOK_URL = sms.url;
    process.env.SMS_WEBHOOK_TOKEN = WEBHOOK_TOKEN;
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    await sms.close();
    process.env.NODE_ENV = 'test';
    delete process.env.SMS_WEBHOOK_URL;
    delete process.env.SMS_WEBHOOK_TOKEN;
  });
  beforeEach(() => {
    sms.behaviour = { answer: 'ok' };
  });

  const askCode = (phone: string) => t.api.post('/user/code').send({ phone });

  it('POSTs {phone, code, expiresAt} as JSON with the bearer token; the code logs in', async () => {
    const phone = uniquePhone();
    const before = Date.now();

    const res = await askCode(phone).expect(200);

    expect(res.body).toEqual({ success: true, data: null });
    const [sent] = sms.received.filter((received) => received.body.phone === phone);
    expect(sent.headers['content-type']).toBe('application/json');
    expect(sent.headers.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);
    expect(sent.body).toEqual({
      phone,
      code: expect.stringMatching(/^\d{6}$/),
      expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const expiresAt = Date.parse(sent.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 120_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 120_000);
    await t.api.post('/user/login').send({ phone, code: sent.body.code }).expect(200);
  });

  it.each<[string, SmsWebhook['behaviour']]>([
    ['answers 500', { answer: 'status', status: 500 }],
    ['answers 401', { answer: 'status', status: 401 }],
    ['redirects', { answer: 'status', status: 302 }],
  ])(
    'answers 503 CODE_NOT_SENT when the webhook %s, and leaves no usable code',
    async (_case, behaviour) => {
      const phone = uniquePhone();
      sms.behaviour = behaviour;

      const res = await askCode(phone).expect(503);

      expect(res.body).toEqual({
        success: false,
        code: 'CODE_NOT_SENT',
        errorMsg: 'the login code could not be sent, try again',
      });
      expect(await t.redis.exists(RedisKeys.loginCode(phone))).toBe(0);
      const unsent = sms.codeFor(phone)!;
      const login = await t.api.post('/user/login').send({ phone, code: unsent }).expect(401);
      expect(login.body.code).toBe('INVALID_CODE');
    },
  );

  it('answers 503 within about DEPENDENCY_TIMEOUT_MS when the webhook does not answer, and stores no code', async () => {
    const phone = uniquePhone();
    sms.behaviour = { answer: 'hang' };

    const started = performance.now();
    const res = await askCode(phone);
    const elapsedMs = performance.now() - started;

    expect(res.status).toBe(503);
    expect(res.body.code).toBe('CODE_NOT_SENT');
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + 700);
    expect(await t.redis.exists(RedisKeys.loginCode(phone))).toBe(0);
  });

  it('does not make the shopper wait out a cooldown after a failed send; the day still counts it', async () => {
    const phone = uniquePhone();
    sms.behaviour = { answer: 'status', status: 503 };
    await askCode(phone).expect(503);
    sms.behaviour = { answer: 'ok' };

    await askCode(phone).expect(200);

    const code = sms.codeFor(phone)!;
    await t.api.post('/user/login').send({ phone, code }).expect(200);
    expect(await t.redis.get(RedisKeys.loginCodesPerDay(phone))).toBe('2');
    // A successful send does start the cooldown.
    expect((await askCode(phone).expect(429)).body.code).toBe('TOO_MANY_REQUESTS');
  });
});
