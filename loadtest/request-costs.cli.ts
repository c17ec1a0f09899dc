import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { intFlag, logPhase, parseFlags, runCli, UsageError } from './cli';
import type { PlannedRequest } from './load-generator';

const TOOL = 'costs';
const DEFAULTS = { port: 18230, dbName: 'seckill_bench_costs', shoppers: 10_000 } as const;
const CONNECTIONS = 200;
const HOT_USER_ORDERS = 10_000;
/** Linux reports process CPU time in clock ticks of 1/100 s (USER_HZ). */
const MS_PER_TICK = 10;
const USAGE = `usage: npm run costs -- [--port ${DEFAULTS.port}] [--db-name ${DEFAULTS.dbName}] [--shoppers ${DEFAULTS.shoppers}]
What one request costs, measured, for sizing (README, Scaling): builds the production bundle,
starts a throw-away redis-server of its own (so that INFO commandstats counts this service's
commands only) and the service on 127.0.0.1:PORT against its own database (dropped first; the
name must contain "bench"), in each mode, and for the baseline (GET /user/me), a flash crowd
(SHOPPERS shoppers, stock 1,000), a sold-out crowd and a hot user (one shopper, 10,000 orders, as many as the baseline)
prints: requests/s, the service's CPU time per request (from /proc: user + system) and so the
requests/s one core serves, Redis commands per request, Redis CPU per request (the sum of
commandstats usec), and the admission script's own cost per call. 200 connections.`;

interface Scenario {
  name: string;
  /** The requests to fire, once the voucher of the sale (if any) exists. */
  plan: () => Promise<PlannedRequest[]>;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ": state is field 0, utime field 11, stime field 12.
  return (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK;
}

/** INFO commandstats: per command, calls and total usec. */
function commandStats(info: string): Map<string, { calls: number; usec: number }> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const [, name, calls, usec] of info.matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(name, { calls: Number(calls), usec: Number(usec) });
  }
  return stats;
}

async function main(): Promise<number> {
  const values = parseFlags({
    port: { type: 'string' },
    'db-name': { type: 'string' },
    shoppers: { type: 'string' },
  });
  const port = intFlag('port', values.port, DEFAULTS.port, 1024);
  const dbName = values['db-name'] ?? DEFAULTS.dbName;
  const shoppers = intFlag('shoppers', values.shoppers, DEFAULTS.shoppers, 1000);
  if (!/^\w*bench\w*$/.test(dbName)) {
    throw new UsageError(`--db-name must contain "bench" (it is dropped), not "${dbName}"`);
  }
  const log = logPhase(TOOL);
  const { RedisMasters } = await import('./redis-masters');
  log('starting a throw-away redis-server');
  const redisServer = await RedisMasters.start(1);
  const url = `http://127.0.0.1:${port}`;
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SECKILL_MODE: 'sync',
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_NAME: dbName,
    REDIS_URL: redisServer.urls[0],
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
  };
  Object.assign(process.env, env);
  const { resetStores } = await import('./bench-stores');
  const { buildProductionBundle, ServiceProcess, startProdNodeFlags } =
    await import('./service.process');
  const { openAppContext } = await import('./app-context');
  const { loadtestContextOf } = await import('./loadtest.context');
  const { prepareShoppers } = await import('./shoppers');
  const { createSaleVoucher, planOrders, shopperPaths } = await import('./flash-sale');
  const { fireRequests } = await import('./load-generator');
  const Table = (await import('cli-table3')).default;
  const { PLAIN_TABLE } = await import('./console.report');

  const rows: (string | number)[][] = [];
  log(`emptying database ${dbName}`);
  await resetStores(env);
  log('building the production bundle');
  const bundle = await buildProductionBundle();
  try {
    const app = await openAppContext();
    try {
      const context = loadtestContextOf(app);
      const sale = (users: number, stock: number, repeat: number) => async () => {
        const sessions = await prepareShoppers(context.users, users);
        const voucherId = await createSaleVoucher(url, context.adminToken, stock);
        return planOrders(sessions, voucherId, repeat);
      };
      const scenarios: Scenario[] = [
        {
          name: 'baseline (GET /user/me)',
          plan: async () =>
            (await prepareShoppers(context.users, shoppers)).map((s) => ({
              method: 'GET' as const,
              path: shopperPaths.me,
              shopperId: s.id,
              token: s.token,
            })),
        },
        { name: `flash crowd (${shoppers} shoppers, stock 1,000)`, plan: sale(shoppers, 1000, 1) },
        { name: `sold out (${shoppers} shoppers, stock 0)`, plan: sale(shoppers, 0, 1) },
        {
          name: `hot user (1 shopper, ${HOT_USER_ORDERS} orders)`,
          plan: sale(1, 100, HOT_USER_ORDERS),
        },
      ];
      for (const mode of ['sync', 'async'] as const) {
        log(`starting the service, SECKILL_MODE=${mode}`);
        const service = await ServiceProcess.start(
          bundle.mainPath,
          startProdNodeFlags(),
          { ...process.env, ...env, SECKILL_MODE: mode },
          url,
          `/tmp/${TOOL}-${mode}.log`,
        );
        try {
          // JIT first: a fresh process runs its first thousands of requests unoptimised.
          await fireRequests(url, await scenarios[0].plan(), { connections: CONNECTIONS });
          await fireRequests(url, await sale(2000, 200, 1)(), { connections: CONNECTIONS });
          for (const scenario of scenarios) {
            const planned = await scenario.plan();
            log(`${mode}: ${scenario.name}`);
            await sleep(500); // let the writer and the sign-in settle
            await context.redis.config('RESETSTAT');
            const cpuBefore = cpuMs(service.pid);
            const fire = await fireRequests(url, planned, { connections: CONNECTIONS });
            const cpu = cpuMs(service.pid) - cpuBefore;
            const stats = commandStats(await context.redis.info('commandstats'));
            // The commands of this measurement itself.
            for (const name of stats.keys()) if (/^(info|config)/.test(name)) stats.delete(name);
            let calls = 0;
            let usec = 0;
            for (const stat of stats.values()) {
              calls += stat.calls;
              usec += stat.usec;
            }
            const requests = fire.answers.length;
            const scripts = [...stats.entries()].filter(([name]) =>
              /^(evalsha|eval|fcall)/.test(name),
            );
            const scriptCalls = scripts.reduce((sum, [, s]) => sum + s.calls, 0);
            const scriptUsec = scripts.reduce((sum, [, s]) => sum + s.usec, 0);
            const top = [...stats.entries()]
              .sort((a, b) => b[1].calls - a[1].calls)
              .slice(0, 5)
              .map(([name, s]) => `${name} ${(s.calls / requests).toFixed(2)}`)
              .join(', ');
            rows.push([
              mode,
              scenario.name,
              requests,
              Math.round((requests * 1000) / fire.durationMs),
              (cpu / requests).toFixed(3),
              Math.round(requests / (cpu / 1000)),
              (calls / requests).toFixed(2),
              (usec / requests).toFixed(1),
              scriptCalls ? (scriptUsec / scriptCalls).toFixed(1) : '-',
              top,
            ]);
            if (mode === 'async') await sleep(1000); // the writer drains before the next case
          }
        } finally {
          await service.stop();
        }
      }
    } finally {
      await app.close();
    }
  } finally {
    bundle.remove();
    redisServer.stop();
  }
  const table = new Table({
    head: [
      'mode',
      'case',
      'requests',
      'req/s',
      'service CPU ms/req',
      'req/s per core',
      'Redis cmds/req',
      'Redis usec/req',
      'script usec/call',
      'commands per request (top 5)',
    ],
    style: PLAIN_TABLE,
  });
  table.push(...rows);
  console.log(table.toString());
  return 0;
}

runCli(TOOL, USAGE, main);
