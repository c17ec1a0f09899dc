import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { intFlag, logPhase, parseFlags, runCli, UsageError } from '../common/cli';
import { REDIS, RedisClient } from '../redis/redis.constants';
import { reconcileSeckill } from './reconciler';
import { formatReconcile } from './reconcile.report';
import { SeckillSnapshotReader } from './seckill-snapshot.reader';

const TOOL = 'reconcile';
const DEFAULT_SETTLE_MS = 1000;

/** Exit codes, in the usage and the README. */
export const RECONCILE_EXIT = {
  agree: 0,
  drift: 1,
  usage: 2,
  failed: 3,
} as const;

const USAGE = `usage: npm run reconcile -- [--voucher ID] [--fix] [--json] [--settle-ms ${DEFAULT_SETTLE_MS}]
       (production build: node dist/reconcile/reconcile.cli.js [flags])
Compares, per seckill voucher (all of them by default), what Redis holds for the async
seckill (seckill:stock:<id>, seckill:window:<id>, the buyer set seckill:order:<id>, and the
entries of stream.orders not yet acknowledged) with MySQL (stock, orders), and prints every
difference with the ids involved. A difference counts only if a second look SETTLE_MS later
finds it again (an order moving from Redis to MySQL is not drift).
  --voucher ID     only this voucher
  --fix            rebuild the keys of every drifting voucher from MySQL (the service's own
                   rebuild, under its rebuild lock, counting pending entries), then look again
  --json           print the report as JSON instead of text
  --settle-ms N    pause before the confirming look (default ${DEFAULT_SETTLE_MS})
Uses the service's DB_* and REDIS_URL: run it with the service's environment.
Exit codes: ${RECONCILE_EXIT.agree} Redis and MySQL agree (with --fix: after the repair); ${RECONCILE_EXIT.drift} drift found (with --fix: still there);
${RECONCILE_EXIT.usage} bad usage (unknown flag, bad value, a voucher that is not a seckill voucher);
${RECONCILE_EXIT.failed} could not finish (MySQL or Redis unreachable, bad config, a rebuild failed).`;

async function main(): Promise<number> {
  const values = parseFlags({
    voucher: { type: 'string' },
    fix: { type: 'boolean' },
    json: { type: 'boolean' },
    'settle-ms': { type: 'string' },
  });
  const voucher =
    values.voucher === undefined ? undefined : intFlag('voucher', values.voucher, undefined, 1);
  const settleMs = intFlag('settle-ms', values['settle-ms'], DEFAULT_SETTLE_MS, 0);
  const log = logPhase(TOOL);

  // Loaded only now: the config module reads process.env when it is imported.
  const { openToolContext, rebuilderOf, streamOf } = await import('./tool-context');
  const app = await openToolContext();
  try {
    const reader = new SeckillSnapshotReader(
      app.get<DataSource>(getDataSourceToken()),
      app.get<RedisClient>(REDIS),
      streamOf(app),
    );
    if (voucher !== undefined && !(await reader.isSeckillVoucher(voucher))) {
      throw new UsageError(`--voucher ${voucher} is not a seckill voucher`);
    }
    const voucherIds = voucher === undefined ? await reader.seckillVoucherIds() : [voucher];
    const report = await reconcileSeckill(reader, voucherIds, {
      settleMs,
      rebuild: values.fix ? rebuilderOf(app) : undefined,
      onPhase: log,
    });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReconcile(report));
    if (report.vouchers.some((v) => v.fixError !== undefined)) return RECONCILE_EXIT.failed;
    return report.drifting.length ? RECONCILE_EXIT.drift : RECONCILE_EXIT.agree;
  } finally {
    await app.close();
  }
}

runCli(TOOL, USAGE, main, { error: RECONCILE_EXIT.failed });
