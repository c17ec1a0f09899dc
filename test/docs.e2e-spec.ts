import type { Page } from 'playwright-core';
import { HeadlessBrowser, launchBrowser } from './support/browser';
import { loginShopper, startTestApp, TestApp } from './support/test-app';

interface Operation {
  operationId: string;
  security?: Record<string, string[]>[];
}
interface OpenApiDocument {
  components: { securitySchemes: Record<string, Record<string, string>> };
  paths: Record<string, Record<string, Operation>>;
}

/** The scheme names an operation references ([] for a public one). */
function schemesOf(operation: Operation): string[] {
  return (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
}

describe('/docs can call the API: security schemes and "Authorize"', () => {
  let t: TestApp;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    t = await startTestApp();
    doc = (await t.api.get('/docs-json').expect(200)).body as OpenApiDocument;
  });
  afterAll(async () => {
    await t.close();
  });

  it('declares a bearer scheme for shoppers and an x-admin-token API key for admins', () => {
    expect(doc.components.securitySchemes).toEqual({
      shopper: expect.objectContaining({ type: 'http', scheme: 'bearer' }) as unknown,
      admin: expect.objectContaining({
        type: 'apiKey',
        in: 'header',
        name: 'x-admin-token',
      }) as unknown,
    });
  });

  it('declares no authorization or x-admin-token header parameter (Swagger UI drops them)', () => {
    const headers = Object.values(doc.paths)
      .flatMap((methods) => Object.values(methods))
      .flatMap((op) => (op as { parameters?: { in: string; name: string }[] }).parameters ?? [])
      .filter((p) => p.in === 'header');
    expect(headers).toEqual([]);
  });

  it('names the scheme the guard really asks for, on every operation', async () => {
    // The guard is the truth: without credentials a shopper route answers 401
    // UNAUTHORIZED, an admin route 403 FORBIDDEN, a public one neither.
    const seen: [string, string[], string][] = [];
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const url = path.replace(/\{[^}]+\}/g, '1');
        const res = await t.api[method as 'get' | 'post'](url);
        const code = (res.body as { code?: string }).code;
        const guard =
          code === 'UNAUTHORIZED' ? 'shopper' : code === 'FORBIDDEN' ? 'admin' : 'public';
        seen.push([`${method.toUpperCase()} ${path}`, schemesOf(operation), guard]);
      }
    }
    const expected = seen.map(([op, , guard]) => [op, guard === 'public' ? [] : [guard]]);
    expect(seen.map(([op, schemes]) => [op, schemes])).toEqual(expected);
    // The ones the issue names, spelled out.
    const byOp = Object.fromEntries(seen.map(([op, schemes]) => [op, schemes]));
    expect(byOp['POST /user/code']).toEqual([]);
    expect(byOp['POST /user/login']).toEqual([]);
    expect(byOp['GET /user/me']).toEqual(['shopper']);
    expect(byOp['POST /voucher-order/seckill/{id}']).toEqual(['shopper']);
    expect(byOp['POST /voucher/seckill']).toEqual(['admin']);
  });

  describe('in a headless chromium', () => {
    let browser: HeadlessBrowser;
    let page: Page;
    const problems: string[] = [];

    beforeAll(async () => {
      browser = await launchBrowser();
    }, 60_000);
    beforeEach(async () => {
      page = await browser.context.newPage();
      page.on('console', (m) => {
        // The 401 of the unauthorized try is the answer under test, not a problem.
        if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) {
          problems.push(m.text());
        }
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${t.baseUrl}/docs`);
      await page.locator('#operations-user-UserController_me').waitFor({ timeout: 30_000 });
    }, 60_000);
    afterEach(async () => {
      await page.close();
    });
    afterAll(async () => {
      await browser.close();
    });

    /** Try it out, Execute on GET /user/me; the status code Swagger UI shows. */
    async function tryUserMe(): Promise<string> {
      const block = page.locator('#operations-user-UserController_me');
      await block.locator('.opblock-summary').first().click();
      await block.locator('button.try-out__btn').click();
      await block.locator('button.execute').click();
      const status = block.locator('.live-responses-table .response .response-col_status');
      await status.first().waitFor({ timeout: 30_000 });
      return (await status.first().innerText()).trim();
    }

    it('without authorizing, Try it out of GET /user/me shows 401', async () => {
      await expect(tryUserMe()).resolves.toMatch(/^401\b/);
    }, 60_000);

    it('after Authorize with a shopper token, Try it out of GET /user/me shows 200', async () => {
      const token = await loginShopper(t.api);
      await page.locator('button.authorize').first().click();
      const modal = page.locator('.modal-ux');
      const shopper = modal.locator('.auth-container', { hasText: 'shopper' });
      await shopper.locator('input').fill(token);
      await shopper.locator('button.authorize').click();
      await modal.locator('button.btn-done').first().click();
      await expect(tryUserMe()).resolves.toMatch(/^200\b/);
    }, 60_000);

    // The UI rendered the operations (beforeEach waits for them): its scripts ran.
    it('runs under the /docs CSP: no script or style refused, no page error', () => {
      expect(problems).toEqual([]);
    });
  });
});
