import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AddressInfo } from 'node:net';
import { createApp } from '../src/app.factory';
import { FlashSaleResult, runFlashSale } from '../loadtest/flash-sale';
import { LoadtestContext, loadtestContextOf } from '../loadtest/loadtest.context';
import {
  ASYNC_SALE_CHECKS,
  SALE_CHECKS,
  SaleCheck,
  SaleFacts,
  SaleVerdict,
  verifySale,
} from '../loadtest/sale.verifier';
import { RedisKeys } from '../src/redis/redis-keys';

function failedChecks(verdict: SaleVerdict): SaleCheck[] {
  return verdict.checks.filter((check) => !check.passed).map((check) => check.check);
}

describe('loadtest engine --mode async against the real service (SECKILL_MODE=async)', () => {
  let app: NestFastifyApplication;
  let context: LoadtestContext;
  let url: string;

  beforeAll(async () => {
    Object.assign(process.env, {
      SECKILL_MODE: 'async',
      ASYNC_WRITER_ENABLED: 'true',
      ASYNC_BLOCK_MS: '50',
    });
    app = await createApp();
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    url = `http://127.0.0.1:${port}`;
    context = loadtestContextOf(app);
  });
  afterAll(async () => {
    await app.close();
  });

  describe('a small sale: 60 shoppers, stock 20, 2 concurrent orders each', () => {
    let sale: FlashSaleResult;
    beforeAll(async () => {
      sale = await runFlashSale(context, {
        url,
        users: 60,
        stock: 20,
        repeat: 2,
        connections: 40,
        mode: 'async',
      });
    });

    it('passes every check, the async ones included', () => {
      expect(sale.verdict.checks.map((check) => [check.check, check.passed])).toEqual(
        [...Object.keys(SALE_CHECKS), ...Object.keys(ASYNC_SALE_CHECKS)].map((check) => [
          check,
          true,
        ]),
      );
      expect(sale.verdict.passed).toBe(true);
    });

    it('counts the 202 acceptances as acknowledgements: 20 accepted, 100 refused', () => {
      expect(sale.mode).toBe('async');
      expect(sale.acknowledged).toBe(20);
      expect(sale.stats.statusCounts).toEqual({ '202': 20, '409': 100 });
    });

    it('waited for the stream: all 20 written, with the drain timed', () => {
      const drain = sale.drain!;
      expect(drain).toMatchObject({ drained: true, accepted: 20, written: 20, deadLettered: 0 });
      expect(drain.lastAdmissionToDrainedMs).toBeGreaterThanOrEqual(0);
      expect(drain.admittedPerSecond).toBeGreaterThan(0);
      expect(drain.samples[drain.samples.length - 1].written).toBe(20);
    });

    it('reports a dead-lettered order, naming it', async () => {
      const letterId = await context.redis.xadd(
        RedisKeys.orderDeadLetters(),
        '*',
        'orderId',
        '123456789',
        'userId',
        '1',
        'voucherId',
        String(sale.voucherId),
        'error',
        'planted by the test',
        'deliveries',
        '5',
        'streamId',
        '1-0',
      );
      try {
        const verdict = await verifySale(
          context.dataSource,
          context.redis,
          await verifiedFacts(sale),
          { stream: context.asyncSeckill },
        );
        expect(failedChecks(verdict)).toEqual(['noDeadLetters']);
        const check = verdict.checks.find((c) => c.check === 'noDeadLetters')!;
        expect(check.offendingIds).toEqual(['123456789']);
        expect(check.detail).toContain('planted by the test');
      } finally {
        await context.redis.xdel(RedisKeys.orderDeadLetters(), letterId!);
      }
    });

    it('reports Redis stock that disagrees with MySQL', async () => {
      const key = RedisKeys.seckillStock(sale.voucherId, 1);
      const stock = await context.redis.get(key);
      await context.redis.set(key, '5');
      try {
        const verdict = await verifySale(
          context.dataSource,
          context.redis,
          await verifiedFacts(sale),
          { stream: context.asyncSeckill },
        );
        expect(failedChecks(verdict)).toEqual(['redisAgrees']);
        expect(verdict.checks.find((c) => c.check === 'redisAgrees')!.detail).toContain(
          'Redis stock 5, expected 0',
        );
      } finally {
        await context.redis.set(key, stock!);
      }
    });

    /**
     * The facts of the sale, rebuilt from MySQL: the checks above proved that its
     * orders are exactly the acknowledged ones.
     */
    async function verifiedFacts(result: FlashSaleResult): Promise<SaleFacts> {
      const orders = await context.dataSource.query<{ id: string; userId: string }[]>(
        'SELECT CAST(id AS CHAR) AS id, CAST(user_id AS CHAR) AS userId FROM tb_voucher_order WHERE voucher_id = ?',
        [result.voucherId],
      );
      const acknowledged = orders.map((o) => ({ orderId: o.id, userId: Number(o.userId) }));
      return {
        voucherId: result.voucherId,
        initialStock: result.stock,
        shopperIds: acknowledged.map((ack) => ack.userId),
        acknowledged,
        lockLeaseMs: context.orderLockLeaseMs,
        mode: 'async',
      };
    }
  });
});
