import Redis from 'ioredis';
import { RedisKeys } from '../src/redis/redis-keys';
import { BuiltService, productionEnv, waitUntilServing } from './support/built-service';
import { freePort } from './support/free-port';
import { SmsWebhook } from './support/sms-webhook';
import { uniquePhone } from './support/test-app';

const METRICS_TOKEN = 'test-metrics-token-0123456789';

/** What helmet adds to every response (a few of them, with the values that matter). */
function expectSecurityHeaders(headers: Headers): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
  expect(headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  expect(headers.get('x-powered-by')).toBeNull();
}

/** Each test here runs the service as `npm run start:prod` does: compiled, NODE_ENV=production. */
describe('in production (e2e, built service)', () => {
  let built: BuiltService | undefined;
  let redis: Redis;
  let sms: SmsWebhook;

  beforeAll(async () => {
    built = await BuiltService.build();
    redis = new Redis(process.env.REDIS_URL!);
    sms = await SmsWebhook.start();
  }, 120_000);

  afterAll(async () => {
    built?.dispose();
    await redis?.quit();
    await sms?.close();
  });

  async function serve(overrides: Record<string, string>) {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const service = built!.start(productionEnv(port, overrides));
    await waitUntilServing(service, baseUrl);
    return { service, port, baseUrl };
  }

  describe('started on 0.0.0.0 with METRICS_TOKEN, logging everything', () => {
    let instance: Awaited<ReturnType<typeof serve>>;

    beforeAll(async () => {
      instance = await serve({
        HOST: '0.0.0.0',
        LOG_LEVEL: 'trace',
        METRICS_TOKEN,
        SMS_WEBHOOK_URL: sms.url,
      });
    }, 60_000);

    afterAll(async () => {
      instance?.service.kill('SIGTERM');
      await instance?.service.exited;
    });

    const get = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${instance.baseUrl}${path}`, { headers });

    const askCode = (phone: string) =>
      fetch(`${instance.baseUrl}/user/code`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone }),
      });
    /** The code as a number of its own in the output, not a part of a timestamp. */
    const logged = (code: string) => new RegExp(`(?<!\\d)${code}(?!\\d)`);

    it('sends the login code to the SMS webhook, stores it, never hands it back nor logs it', async () => {
      const phone = uniquePhone();
      const res = await askCode(phone);

      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ success: true, data: null });
      const code = sms.codeFor(phone)!;
      expect(code).toMatch(/^\d{6}$/);
      expect(await redis.hget(RedisKeys.loginCode(phone), 'code')).toBe(code);
      // The request was logged (trace level logs everything), the code nowhere.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(instance.service.output()).toContain('/user/code');
      expect(instance.service.output()).not.toMatch(logged(code));
    });

    it('logs a failed send without its code, and stores none', async () => {
      const phone = uniquePhone();
      sms.behaviour = { answer: 'status', status: 500 };
      try {
        const res = await askCode(phone);

        expect(res.status).toBe(503);
        expect(((await res.json()) as { code: string }).code).toBe('CODE_NOT_SENT');
      } finally {
        sms.behaviour = { answer: 'ok' };
      }
      const code = sms.codeFor(phone)!;
      expect(code).toMatch(/^\d{6}$/);
      expect(await redis.exists(RedisKeys.loginCode(phone))).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(instance.service.output()).toContain('the SMS webhook failed');
      expect(instance.service.output()).not.toMatch(logged(code));
    });

    it.each(['/docs', '/docs/', '/docs-json'])('serves no %s', async (path) => {
      const res = await get(path);

      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        success: false,
        code: 'NOT_FOUND',
        errorMsg: 'no such route',
      });
    });

    it.each<[string, Record<string, string>]>([
      ['no authorization', {}],
      ['a wrong token', { authorization: 'Bearer not-the-metrics-token-at-all' }],
      ['the token without the Bearer scheme', { authorization: METRICS_TOKEN }],
      ['the token with a suffix', { authorization: `Bearer ${METRICS_TOKEN}x` }],
      ['the admin token', { 'x-admin-token': process.env.ADMIN_TOKEN! }],
    ])('answers /metrics 401 with %s', async (_case, headers) => {
      const res = await get('/metrics', headers);

      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        success: false,
        code: 'METRICS_TOKEN_REQUIRED',
        errorMsg: 'send METRICS_TOKEN as a bearer token',
      });
    });

    it('answers /metrics with METRICS_TOKEN as a bearer token', async () => {
      const res = await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}` });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toContain('seckill_orders_total');
    });

    it.each<[string, () => Promise<Response>, number]>([
      ['a success', () => get('/health'), 200],
      ['an unknown route', () => get('/no/such/route'), 404],
      ['a refused scrape', () => get('/metrics'), 401],
      ['a URL that cannot be decoded', () => get('/voucher/list/%zz'), 400],
    ])('sends security headers with %s', async (_case, request, status) => {
      const res = await request();

      expect(res.status).toBe(status);
      expectSecurityHeaders(res.headers);
    });
  });

  it('serves /docs with DOCS_ENABLED=true, under a CSP that lets the page load', async () => {
    const { service, baseUrl } = await serve({ DOCS_ENABLED: 'true' });
    try {
      const page = await fetch(`${baseUrl}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      const csp = parseCsp(page.headers.get('content-security-policy') ?? '');

      // Served over plain HTTP: a policy that upgrades to HTTPS would break every asset.
      expect(csp).not.toHaveProperty('upgrade-insecure-requests');
      // Every script and stylesheet comes from the page's origin, which the policy allows...
      const scripts = [...html.matchAll(/<script[^>]*\bsrc=["']([^"']+)["']/g)].map((m) => m[1]);
      const styles = [...html.matchAll(/<link[^>]*\bhref=["']([^"']+\.css)["']/g)].map((m) => m[1]);
      expect(scripts).toEqual(expect.arrayContaining([expect.stringContaining('swagger-ui')]));
      expect(csp['script-src']).toContain("'self'");
      expect(csp['style-src']).toContain("'self'");
      // ...and answers.
      for (const asset of [...scripts, ...styles]) {
        expect(asset).not.toMatch(/^(https?:)?\/\//);
        const res = await fetch(new URL(asset, page.url));
        await res.arrayBuffer();
        expect({ asset, status: res.status }).toEqual({ asset, status: 200 });
      }
      // Inline scripts would be blocked; inline styles need 'unsafe-inline'.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>\s*\S/);
      if (/<style[\s>]/.test(html)) expect(csp['style-src']).toContain("'unsafe-inline'");
      // The UI reads the document from the same origin (connect-src falls back to default-src).
      expect(csp['connect-src'] ?? csp['default-src']).toContain("'self'");
      const json = await fetch(`${baseUrl}/docs-json`);
      expect(json.status).toBe(200);
      expect(Object.keys(((await json.json()) as { paths: object }).paths)).toContain('/health');
      // Without METRICS_TOKEN, /metrics is open.
      expect((await fetch(`${baseUrl}/metrics`)).status).toBe(200);
    } finally {
      service.kill('SIGTERM');
      await service.exited;
    }
  });

  describe('refusing to start', () => {
    async function start(env: Record<string, string>) {
      const run = await built!.run(env, 15_000);
      const lines = run.output.split('\n').filter((text) => text.trim() !== '');
      return { ...run, lines };
    }

    it('without ADMIN_TOKEN', async () => {
      const env = productionEnv(await freePort());
      delete env.ADMIN_TOKEN;

      const run = await start(env);

      expect(run.code).toBe(1);
      expect(run.lines).toEqual([
        expect.stringMatching(/^seckill: cannot start: Config validation error: .*"ADMIN_TOKEN"/),
      ]);
    });

    it('without SMS_WEBHOOK_URL', async () => {
      const env = productionEnv(await freePort());
      delete env.SMS_WEBHOOK_URL;

      const run = await start(env);

      expect(run.code).toBe(1);
      expect(run.lines).toEqual([
        expect.stringMatching(
          /^seckill: cannot start: Config validation error: .*"SMS_WEBHOOK_URL" is required in production/,
        ),
      ]);
    });

    it.each<[string, Record<string, string>]>([
      ['development on 0.0.0.0', { NODE_ENV: 'development', HOST: '0.0.0.0' }],
      ['test on ::', { NODE_ENV: 'test', HOST: '::' }],
      ['the default NODE_ENV on a LAN address', { HOST: '192.168.1.20' }],
      ['development on a host name', { NODE_ENV: 'development', HOST: 'seckill.internal' }],
    ])('outside production: %s, saying to set NODE_ENV=production', async (_case, env) => {
      const base = productionEnv(await freePort());
      delete base.NODE_ENV;

      const run = await start({ ...base, ...env });

      expect(run.code).toBe(1);
      expect(run.lines).toEqual([
        expect.stringMatching(
          /^seckill: cannot start: .*"HOST" .* is not a loopback address.*set NODE_ENV=production/,
        ),
      ]);
    });
  });
});

function parseCsp(header: string): Record<string, string[]> {
  return Object.fromEntries(
    header
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name, values]),
  );
}
