import type { Page } from 'playwright-core';
import { HeadlessBrowser, launchBrowser } from './support/browser';
import {
  ADMIN_TOKEN,
  createSeckillVoucher,
  signInShoppers,
  startTestApp,
  TestApp,
} from './support/test-app';
import { until } from './support/until';

/** GET /admin/sales in a real headless chromium: the stock falls while orders are placed. */
describe('live sale view: the page in chromium (e2e)', () => {
  let t: TestApp;
  let browser: HeadlessBrowser;
  let page: Page;
  const problems: string[] = [];
  const requestedUrls: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    // A CSP violation or a script error shows up here.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('request', (request) => requestedUrls.push(request.url()));
  });
  afterAll(async () => {
    await browser?.close();
    await t.close();
  });

  const text = (id: string) => page.locator(`#${id}`).innerText();

  it('shows the stock falling and orders/s above 0 while shoppers order', async () => {
    const stock = 40;
    const voucherId = await createSeckillVoucher(t.api, { stock, title: 'live page voucher' });
    const shoppers = await signInShoppers(t, 30);

    const res = await page.goto(`${t.baseUrl}/admin/sales`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");

    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#token-form button[type=submit]');
    await page.locator(`#voucher option[value="${voucherId}"]`).waitFor({ state: 'attached' });
    await page.selectOption('#voucher', String(voucherId));
    await page.click('#watch');
    await until('the page to show the full stock', async () => (await text('stock-left')) === '40');
    expect(await text('stock-total')).toBe('40');

    // Orders in waves over a few seconds, so that a rate can be seen.
    let placed = 0;
    let sawRate = false;
    for (let wave = 0; wave < 6; wave += 1) {
      const batch = shoppers.slice(wave * 5, wave * 5 + 5);
      await Promise.all(
        batch.map((s) =>
          t.api
            .post(`/voucher-order/seckill/${voucherId}`)
            .set('authorization', `Bearer ${s.token}`)
            .expect(201),
        ),
      );
      placed += batch.length;
      await new Promise((resolve) => setTimeout(resolve, 400));
      if (Number(await text('orders-per-second')) > 0) sawRate = true;
    }

    await until(
      'the page to show the stock left',
      async () => (await text('stock-left')) === String(stock - placed),
      20_000,
    );
    expect(
      await page.$eval('#stock-gauge', (meter) => (meter as unknown as { value: number }).value),
    ).toBe(stock - placed);
    expect(await text('orders-created')).toBe(String(placed));
    if (!sawRate) {
      await until('orders/s above 0', async () => Number(await text('orders-per-second')) > 0);
    }
    expect(await text('p99')).toMatch(/ms$/);
    expect(await page.locator('#rate-chart').isVisible()).toBe(true);

    // The token went in a header, never in a URL (access logs); it lives in sessionStorage.
    expect(requestedUrls.some((url) => url.includes(ADMIN_TOKEN))).toBe(false);
    const stored = await page.evaluate<string | null>(
      'sessionStorage.getItem("seckill.adminToken")',
    );
    expect(stored).toBe(ADMIN_TOKEN);
    expect(problems).toEqual([]);
  });

  it('says so when the token is wrong', async () => {
    await page.goto(`${t.baseUrl}/admin/sales`);
    await page.click('#forget-token');
    await page.fill('#token', 'not-the-admin-token');
    await page.click('#token-form button[type=submit]');

    await until('the refusal', async () => (await text('status')).includes('403 FORBIDDEN'));
  });
});
