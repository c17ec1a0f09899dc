import { BODY_LIMIT_BYTES } from '../src/app.factory';
import { RawHttpConnection } from './support/raw-http';
import { startTestApp, TestApp } from './support/test-app';

/**
 * Failures answered before a controller runs, most by Fastify or Node itself:
 * each in the one envelope, with a code from the table. (The 503 of a drain is
 * in shutdown.e2e-spec.ts.)
 */
describe('HTTP-level failures (e2e)', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await startTestApp();
    port = Number(new URL(t.baseUrl).port);
  });
  afterAll(async () => {
    await t.close();
  });

  const json = { 'content-type': 'application/json' };

  it.each<[string, () => Promise<Response>, number, string, RegExp | string]>([
    [
      'a body that is not JSON',
      () => fetch(`${t.baseUrl}/user/code`, { method: 'POST', headers: json, body: '{"phone":' }),
      400,
      'VALIDATION_FAILED',
      /not valid JSON/,
    ],
    [
      'an empty JSON body',
      () => fetch(`${t.baseUrl}/user/code`, { method: 'POST', headers: json, body: '' }),
      400,
      'VALIDATION_FAILED',
      /cannot be empty/,
    ],
    [
      'a body over the limit',
      () =>
        fetch(`${t.baseUrl}/user/code`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify({ phone: 'x'.repeat(BODY_LIMIT_BYTES) }),
        }),
      413,
      'PAYLOAD_TOO_LARGE',
      'request body is too large',
    ],
    [
      'a body of another media type',
      () =>
        fetch(`${t.baseUrl}/user/code`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: '<phone/>',
        }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'request body must be application/json',
    ],
    ['an unknown route', () => fetch(`${t.baseUrl}/nope`), 404, 'NOT_FOUND', 'no such route'],
    [
      'a method a route does not have',
      () => fetch(`${t.baseUrl}/health`, { method: 'DELETE' }),
      404,
      'NOT_FOUND',
      'no such route',
    ],
    [
      'a URL that cannot be decoded',
      () => fetch(`${t.baseUrl}/voucher/list/%zz`),
      400,
      'VALIDATION_FAILED',
      /not a valid url/,
    ],
  ])('answers %s in the envelope', async (_case, request, status, code, errorMsg) => {
    const res = await request();

    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.json()).toEqual({
      success: false,
      code,
      errorMsg: typeof errorMsg === 'string' ? errorMsg : expect.stringMatching(errorMsg),
    });
  });

  it.each<[string, string, number, string, RegExp | string]>([
    ['no HTTP at all', 'HELLO\r\n\r\n', 400, 'VALIDATION_FAILED', /^malformed HTTP request/],
    [
      'a broken header line',
      'GET /health HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n',
      400,
      'VALIDATION_FAILED',
      /^malformed HTTP request/,
    ],
    [
      'headers over the limit',
      `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
      'request headers are too large',
    ],
  ])(
    'answers a request Node cannot parse (%s) in the envelope, then closes',
    async (_case, text, status, code, errorMsg) => {
      const connection = await RawHttpConnection.open(port);
      connection.write(text);

      const res = await connection.nextResponse();

      expect(res.status).toBe(status);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(res.body)).toEqual({
        success: false,
        code,
        errorMsg: typeof errorMsg === 'string' ? errorMsg : expect.stringMatching(errorMsg),
      });
      await connection.closed;
    },
  );

  it('sends security headers with successes and failures', async () => {
    for (const res of [
      await fetch(`${t.baseUrl}/health`),
      await fetch(`${t.baseUrl}/nope`),
      await fetch(`${t.baseUrl}/user/me`),
      await fetch(`${t.baseUrl}/user/code`, { method: 'POST', headers: json, body: '{' }),
    ]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });
});
