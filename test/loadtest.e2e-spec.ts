import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { createApp } from '../src/app.factory';
import { FlashSaleResult, runFlashSale } from '../loadtest/flash-sale';
import { loadtestContextOf } from '../loadtest/loadtest.context';
import { SALE_CHECKS } from '../loadtest/sale.verifier';

describe('loadtest engine (npm run loadtest) against the real service', () => {
  let app: NestFastifyApplication;
  let url: string;

  beforeAll(async () => {
    app = await createApp();
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app.close();
  });

  describe('a small sale: 60 shoppers, stock 20, 2 concurrent orders each', () => {
    let sale: FlashSaleResult;
    beforeAll(async () => {
      sale = await runFlashSale(loadtestContextOf(app), {
        url,
        users: 60,
        stock: 20,
        repeat: 2,
        connections: 40,
      });
    });

    it('passes every invariant check', () => {
      expect(sale.verdict.checks.map((check) => [check.check, check.passed])).toEqual(
        Object.keys(SALE_CHECKS).map((check) => [check, true]),
      );
      expect(sale.verdict.passed).toBe(true);
    });

    it('sends every request once and hears back from each', () => {
      expect(sale.stats.requests).toBe(120);
      expect(sale.stats.answered).toBe(120);
      expect(sale.stats.unanswered).toBe(0);
      expect(sale.stats.errors).toBe(0);
    });

    it('sells exactly the stock: 20 answers 201, the other 100 are 409 with a seckill code', () => {
      expect(sale.acknowledged).toBe(20);
      expect(sale.stats.statusCounts).toEqual({ '201': 20, '409': 100 });
      const codes = Object.keys(sale.stats.codeCounts);
      expect(
        codes.every((code) =>
          ['STOCK_EXHAUSTED', 'DUPLICATE_ORDER', 'ALREADY_PURCHASED'].includes(code),
        ),
      ).toBe(true);
      expect(Object.values(sale.stats.codeCounts).reduce((a, b) => a + b, 0)).toBe(100);
    });

    it('measures: latency percentiles in order, a histogram and a throughput series', () => {
      const { latencyMs, histogram, throughput } = sale.stats;
      expect(latencyMs.min).toBeGreaterThan(0);
      expect(latencyMs.p50).toBeLessThanOrEqual(latencyMs.p90);
      expect(latencyMs.p90).toBeLessThanOrEqual(latencyMs.p99);
      expect(latencyMs.p99).toBeLessThanOrEqual(latencyMs.max);
      expect(histogram.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(120);
      expect(throughput.length).toBeGreaterThan(0);
      expect(sale.stats.requestsPerSecond).toBeGreaterThan(0);
    });
  });

  it('one shopper sending 30 orders at once gets exactly one', async () => {
    const sale = await runFlashSale(loadtestContextOf(app), {
      url,
      users: 1,
      stock: 5,
      repeat: 30,
      connections: 30,
    });
    expect(sale.verdict.passed).toBe(true);
    expect(sale.acknowledged).toBe(1);
    expect(sale.stats.statusCounts).toEqual({ '201': 1, '409': 29 });
  });

  it('refuses to aim load anywhere but loopback', async () => {
    await expect(
      runFlashSale(loadtestContextOf(app), {
        url: 'http://10.0.0.1:8081',
        users: 1,
        stock: 1,
        repeat: 1,
        connections: 1,
      }),
    ).rejects.toThrow(/only http:\/\/127/);
  });
});
