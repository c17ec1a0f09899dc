/**
 * How fast one order writer drains the stream: N accepted orders are queued
 * straight into `stream.orders` (as the admission script would), then a
 * service with a writer starts and the time until MySQL has them all is taken.
 *
 *   npx ts-node --transpile-only test/support/measure-drain.ts [orders] [batch size]
 *
 * Uses its own database `seckill_bench_async` (dropped first) and Redis db 7
 * (flushed first). Prints orders/s; not a test (no assertion on speed).
 */
import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';

const ORDERS = Number(process.argv[2] ?? 100_000);
const BATCH = process.argv[3] ?? '500';
const DB_NAME = 'seckill_bench_async';
const REDIS_DB = 7;
const CHUNK = 5_000;

Object.assign(process.env, {
  NODE_ENV: 'test',
  LOG_LEVEL: 'warn',
  DB_NAME,
  REDIS_URL: `redis://127.0.0.1:6379/${REDIS_DB}`,
  SECKILL_MODE: 'async',
  ASYNC_WRITER_ENABLED: 'false',
  ASYNC_BATCH_SIZE: BATCH,
});

async function main(): Promise<void> {
  const mysql = await createConnection({ host: '127.0.0.1', user: 'root' });
  await mysql.query(`DROP DATABASE IF EXISTS \`${DB_NAME}\``);
  const redis = new Redis({ db: REDIS_DB });
  await redis.flushdb();

  const { createApp } = await import('../../src/app.factory');
  const { VoucherService } = await import('../../src/voucher/voucher.service');
  const { AsyncSeckillState } = await import('../../src/order/async/async-seckill.state');
  const { RedisKeys } = await import('../../src/redis/redis-keys');

  // A voucher with as many units as orders, created without a writer running.
  const setup = await createApp();
  await setup.init();
  const voucherId = await setup.get(VoucherService).createSeckillVoucher({
    shopId: 1,
    title: 'drain',
    payValue: 1,
    actualValue: 2,
    stock: ORDERS,
    beginTime: new Date(Date.now() - 3_600_000).toISOString(),
    endTime: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await setup.close();

  const queued = performance.now();
  const firstId = 1_000_000_000_000n;
  for (let i = 0; i < ORDERS; i += CHUNK) {
    const pipeline = redis.pipeline();
    for (let j = i; j < Math.min(i + CHUNK, ORDERS); j += 1) {
      pipeline.xadd(
        RedisKeys.orderStream(),
        '*',
        'orderId',
        String(firstId + BigInt(j)),
        'userId',
        String(j + 1),
        'voucherId',
        String(voucherId),
      );
    }
    await pipeline.exec();
  }
  console.log(`queued ${ORDERS} orders in ${(performance.now() - queued).toFixed(0)} ms`);

  process.env.ASYNC_WRITER_ENABLED = 'true';
  const booting = performance.now();
  const writer = await createApp();
  await writer.init();
  const state = writer.get(AsyncSeckillState);
  // From here on: the writer runs (it started inside init()).
  const started = performance.now();
  const atStart = (await state.backlog()).pending;
  console.log(`writer up after ${(started - booting).toFixed(0)} ms, ${atStart} orders left`);
  let last = { at: started, left: atStart };
  for (;;) {
    const { pending } = await state.backlog();
    const now = performance.now();
    if (now - last.at >= 1000 || pending === 0) {
      console.log(
        `${((now - started) / 1000).toFixed(1)} s: ${pending} left, ${Math.round(((last.left - pending) * 1000) / (now - last.at))} orders/s`,
      );
      last = { at: now, left: pending };
    }
    if (pending === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const [[{ n }]] = (await mysql.query(
    `SELECT COUNT(*) AS n FROM \`${DB_NAME}\`.tb_voucher_order`,
  )) as unknown as [[{ n: number }]];
  const [[{ stock }]] = (await mysql.query(
    `SELECT stock FROM \`${DB_NAME}\`.tb_seckill_voucher WHERE voucher_id = ?`,
    [voucherId],
  )) as unknown as [[{ stock: number }]];
  console.log(
    `drained ${atStart} orders (batch ${BATCH}) in ${seconds.toFixed(2)} s: ${Math.round(atStart / seconds)} orders/s; MySQL: ${n} orders, stock ${stock}`,
  );
  await writer.close();
  await mysql.end();
  redis.disconnect();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
