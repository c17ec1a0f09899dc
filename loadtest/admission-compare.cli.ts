import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { envValidationSchema } from '../src/config/env.validation';
import { intFlag, logPhase, parseFlags, runCli, UsageError } from './cli';
import { resetStores } from './bench-stores';

/**
 * Two (or more) builds of the service, benched in turn in one run, each round
 * on fresh stores: the seckill cases that the admission path decides, each
 * between two no-op baselines, as ratios. For comparing a change of the
 * admission path with the build before it on a shared, noisy machine.
 * The hot user here is --hot-orders (2,000) orders of one shopper over 200
 * connections (the bench's 200 single requests are mostly connection setup).
 */
const TOOL = 'admission-compare';
const USAGE = `usage: SECKILL_MODE=async npx ts-node --transpile-only loadtest/admission-compare.cli.ts
         --builds a/dist/main.js,b/dist/main.js [--rounds 2] [--port 18198] [--db-name seckill_bench_perf]
         [--redis-db 4] [--out /tmp/admission-compare] [--node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof"] [--hot-orders 2000]
Builds alternate within each round (a, b, a, b, ...). The database is dropped and the Redis db
flushed before every service start (its name must contain "bench"; the db is never 0).`;

const CROWD = 10_000;
const CONNECTIONS = 200;

async function main(): Promise<number> {
  const values = parseFlags({
    builds: { type: 'string' },
    rounds: { type: 'string' },
    port: { type: 'string' },
    'db-name': { type: 'string' },
    'redis-db': { type: 'string' },
    out: { type: 'string' },
    'node-flags': { type: 'string' },
    'hot-orders': { type: 'string' },
  });
  const builds = (values.builds ?? '')
    .split(',')
    .filter(Boolean)
    .map((path) => resolve(path));
  if (builds.length === 0) throw new UsageError('--builds names at least one main.js');
  const rounds = intFlag('rounds', values.rounds, 2, 1);
  const hotOrders = intFlag('hot-orders', values['hot-orders'], 2_000, 1);
  const port = intFlag('port', values.port, 18198, 1024);
  const redisDb = intFlag('redis-db', values['redis-db'], 4, 1);
  const dbName = values['db-name'] ?? 'seckill_bench_perf';
  if (!/^\w*bench\w*$/.test(dbName)) throw new UsageError('--db-name must contain "bench"');
  const out = values.out ?? '/tmp/admission-compare';
  mkdirSync(out, { recursive: true });

  const { value } = envValidationSchema.validate(process.env, { allowUnknown: true }) as {
    value: Record<string, string | number>;
  };
  const redisUrl = new URL(String(value.REDIS_URL));
  redisUrl.pathname = `/${redisDb}`;
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(port),
    DB_NAME: dbName,
    REDIS_URL: redisUrl.toString(),
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
    // The services write their orders; this process's app context sets it to false
    // (createAppContext), and the services started after it inherit process.env.
    ASYNC_WRITER_ENABLED: 'true',
  };
  Object.assign(process.env, env);
  const log = logPhase(TOOL);

  // Loaded only now, with the env in place (the config module reads it on import).
  const { ServiceProcess, startProdNodeFlags } = await import('./service.process');
  const { runBenchSuite, WARM_UP_ORDERS } = await import('./bench.suite');
  type Suite = import('./bench.suite').BenchSuite;
  const { openAppContext } = await import('./app-context');
  const { loadtestContextOf } = await import('./loadtest.context');
  const { runFlashSale, shopperPaths } = await import('./flash-sale');
  const { fireRequests } = await import('./load-generator');
  const { prepareShoppers } = await import('./shoppers');
  const { summarizeFire } = await import('./run-summary');

  type Case = Suite['baseline'];
  const sale =
    (users: number, stock: number, repeat: number): Case['run'] =>
    async (context, url, onPhase) => {
      const { stats, verdict, ...rest } = await runFlashSale(context, {
        url,
        users,
        stock,
        repeat,
        connections: CONNECTIONS,
        // The services run SECKILL_MODE of this process: async waits for the stream to drain.
        mode: value.SECKILL_MODE === 'async' ? 'async' : 'sync',
        onPhase,
      });
      return { stats, verdict, sale: rest };
    };
  const baselineRun: Case['run'] = async (context, url, onPhase) => {
    onPhase(`signing in ${CROWD} shoppers`);
    const sessions = await prepareShoppers(context.users, CROWD);
    const planned = sessions.map((session) => ({
      method: 'GET' as const,
      path: shopperPaths.me,
      shopperId: session.id,
      token: session.token,
    }));
    const fire = await fireRequests(url, planned, { connections: CONNECTIONS });
    const passed =
      fire.answers.length === planned.length && fire.answers.every((a) => a.status === 200);
    return {
      stats: summarizeFire(fire, planned.length),
      verdict: {
        passed,
        checks: [{ description: 'all 200', passed, detail: '', offendingIds: [] }],
      },
    };
  };
  const suite: Suite = {
    warmUp: {
      name: 'warmUp',
      description: 'warm-up',
      run: async (context, url, onPhase) => {
        await baselineRun(context, url, onPhase);
        return sale(2_000, WARM_UP_ORDERS, 1)(context, url, onPhase);
      },
    },
    baseline: { name: 'baseline', description: 'GET /user/me', run: baselineRun },
    cases: [
      { name: 'flashCrowd', description: '10k shoppers, stock 1000', run: sale(CROWD, 1_000, 1) },
      { name: 'soldOut', description: '10k shoppers, stock 0', run: sale(CROWD, 0, 1) },
      {
        name: 'hotUser',
        description: `one shopper, ${hotOrders} orders`,
        run: sale(1, 100, hotOrders),
      },
    ],
  };

  const rows: string[] = [];
  let broken = false;
  for (let round = 1; round <= rounds; round += 1) {
    for (const [index, main] of builds.entries()) {
      await resetStores(env);
      const url = `http://127.0.0.1:${port}`;
      log(`round ${round}: build ${index} (${main})`);
      const service = await ServiceProcess.start(
        main,
        [...startProdNodeFlags(), ...(values['node-flags'] ?? '').split(/\s+/).filter(Boolean)],
        { ...process.env, ...env },
        url,
        join(out, `service-${round}-${index}.log`),
      );
      const app = await openAppContext();
      try {
        const { cases } = await runBenchSuite(
          loadtestContextOf(app),
          url,
          service.pid,
          1,
          log,
          suite,
        );
        for (const c of cases) {
          broken ||= !c.invariantsHold;
          for (const check of c.runs.flatMap((run) => run.verdict.checks)) {
            if (!check.passed) log(`  ${c.name}: FAILED ${check.description}: ${check.detail}`);
          }
          rows.push(
            [
              `round ${round}`,
              `build ${index}`,
              c.name.padEnd(10),
              `${Math.round(c.requestsPerSecond)} req/s`.padStart(12),
              `ratio ${c.ratioToBaseline}`,
              c.ordersPerSecond ? `orders/s ${Math.round(c.ordersPerSecond)}` : '',
              `p99 ${c.p99Ms} ms`,
              c.invariantsHold ? 'ok' : 'INVARIANTS BROKEN',
              JSON.stringify(c.runs[0]?.stats.codeCounts ?? {}),
              `first answer ${c.runs[0]?.stats.firstAnswerAtMs} ms of ${c.runs[0]?.stats.durationMs} ms`,
            ].join('  '),
          );
        }
      } finally {
        await app.close();
        await service.stop();
      }
    }
  }
  builds.forEach((main, index) => console.log(`build ${index}: ${main}`));
  console.log(rows.join('\n'));
  return broken ? 1 : 0;
}

runCli(TOOL, USAGE, main);
