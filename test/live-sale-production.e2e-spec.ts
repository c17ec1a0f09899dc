import type { SaleSnapshot } from '../src/sales/sale-snapshot';
import { BuiltService, productionEnv, waitUntilServing } from './support/built-service';
import { EventStreamClient } from './support/event-stream';
import { freePort } from './support/free-port';
import { ADMIN_TOKEN, seckillVoucherBody } from './support/test-app';
import { until } from './support/until';

/**
 * The live sale view in the built service, as production runs it: the page is
 * served although /docs is not, and an open event stream does not hold a
 * SIGTERM drain up.
 */
describe('live sale view in production (e2e, built service)', () => {
  let built: BuiltService | undefined;
  let client: EventStreamClient | undefined;

  beforeAll(async () => {
    built = await BuiltService.build();
  }, 120_000);
  afterAll(() => {
    client?.close();
    built?.dispose();
  });

  it('serves the page and ends its streams on SIGTERM, exiting 0 long before the deadline', async () => {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    // A deadline far away: exit 0 soon after the signal proves the stream did not hold the drain.
    const service = built!.start(productionEnv(port, { SHUTDOWN_TIMEOUT_MS: '60000' }));
    await waitUntilServing(service, baseUrl);

    const page = await fetch(`${baseUrl}/admin/sales`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('<script src="/admin/sales/sales.js"');
    const script = await fetch(`${baseUrl}/admin/sales/sales.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${baseUrl}/docs`)).status).toBe(404);

    const created = await fetch(`${baseUrl}/voucher/seckill`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-admin-token': ADMIN_TOKEN },
      body: JSON.stringify(seckillVoucherBody({ stock: 3 })),
    });
    const voucherId = ((await created.json()) as { data: number }).data;
    client = await EventStreamClient.open(`${baseUrl}/admin/sales/${voucherId}/events`, {
      'x-admin-token': ADMIN_TOKEN,
    });
    expect(client.status).toBe(200);
    await client.snapshotWhere<SaleSnapshot>('a snapshot', (s) => s.stockLeft === 3);

    const signalled = performance.now();
    service.kill('SIGTERM');
    const run = await service.exited;

    expect(run.code).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(30_000);
    await until('the stream to end', () => Promise.resolve(client!.isEnded), 5000);
  });
});
