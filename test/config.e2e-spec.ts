import { appConfig, AppConfig, seckillConfig, SeckillConfig } from '../src/config/configuration';
import { startTestApp, TestApp } from './support/test-app';

/** The app runs with the values the schema validated and defaulted, whatever process.env holds. */
describe('configuration (e2e)', () => {
  const names = ['VOUCHER_CACHE_TTL_MS', 'SHUTDOWN_TIMEOUT_MS', 'DOCS_ENABLED'] as const;
  const saved = names.map((name) => [name, process.env[name]] as const);
  let t: TestApp;

  beforeAll(async () => {
    // Set but empty (as `VOUCHER_CACHE_TTL_MS=` in a .env or compose file), unset,
    // and a boolean in a spelling only the schema converts.
    process.env.VOUCHER_CACHE_TTL_MS = '';
    delete process.env.SHUTDOWN_TIMEOUT_MS;
    process.env.DOCS_ENABLED = 'FALSE';
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.close();
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('uses a default only the schema supplies', () => {
    expect(t.app.get<SeckillConfig>(seckillConfig.KEY).voucherCacheTtlMs).toBe(1000);
    expect(t.app.get<AppConfig>(appConfig.KEY).shutdownTimeoutMs).toBe(10_000);
  });

  it('acts on the converted value: DOCS_ENABLED=FALSE serves no /docs', async () => {
    expect(t.app.get<AppConfig>(appConfig.KEY).docsEnabled).toBe(false);
    await t.api.get('/docs').expect(404);
    await t.api.get('/docs-json').expect(404);
  });
});
