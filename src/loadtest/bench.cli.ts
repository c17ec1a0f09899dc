import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { envValidationSchema } from '../config/env.validation';
import { intFlag, logPhase, parseFlags, runCli, UsageError } from './cli';
import { DEFAULT_REPORT_DIR, reportBaseName, writeReportFiles } from './report.files';
import type { ProductionBundle } from './service.process';

const TOOL = 'bench';
const DEFAULTS = {
  port: 18095,
  dbName: 'seckill_bench',
  redisDb: 3,
  rounds: 3,
  lockMasters: 3,
} as const;
const USAGE = `usage: npm run bench -- [--port ${DEFAULTS.port}] [--db-name ${DEFAULTS.dbName}] [--redis-db ${DEFAULTS.redisDb}] [--out ${DEFAULT_REPORT_DIR}/] [--rounds ${DEFAULTS.rounds}]
                          [--main path/to/main.js] [--service-node-options "--max-old-space-size=96"]
                          [--lock-masters ${DEFAULTS.lockMasters}]
Builds the production bundle into a temporary directory, starts it on 127.0.0.1:PORT with
LOG_LEVEL=warn against its own database (dropped first; its name must contain "bench") and its
own Redis db (flushed first; never 0), runs a warm-up and then every case ROUNDS times, each between two baselines, and prints and writes
the medians. Then it starts LOCK_MASTERS throw-away redis-server processes, restarts the
service with REDIS_LOCK_URLS naming them, and runs the cases that take the lock again
(--lock-masters 0 skips that part).
--main benches an existing build instead (to compare a change); --service-node-options is
NODE_OPTIONS for the service alone. Exits 1 when a case breaks an invariant.`;

interface BenchSettings {
  port: number;
  dbName: string;
  redisDb: number;
  out: string;
  rounds: number;
  lockMasters: number;
  main?: string;
  serviceNodeOptions?: string;
}

function readSettings(): BenchSettings {
  const values = parseFlags({
    port: { type: 'string' },
    'db-name': { type: 'string' },
    'redis-db': { type: 'string' },
    out: { type: 'string' },
    main: { type: 'string' },
    'service-node-options': { type: 'string' },
    rounds: { type: 'string' },
    'lock-masters': { type: 'string' },
  });
  const settings = {
    port: intFlag('port', values.port, DEFAULTS.port, 1024),
    dbName: values['db-name'] ?? DEFAULTS.dbName,
    redisDb: intFlag('redis-db', values['redis-db'], DEFAULTS.redisDb, 1),
    out: values.out ?? DEFAULT_REPORT_DIR,
    rounds: intFlag('rounds', values.rounds, DEFAULTS.rounds, 1),
    lockMasters: intFlag('lock-masters', values['lock-masters'], DEFAULTS.lockMasters, 0),
    main: values.main && resolve(values.main),
    serviceNodeOptions: values['service-node-options'],
  };
  if (!/^\w*bench\w*$/.test(settings.dbName)) {
    throw new UsageError(
      `--db-name must contain "bench" (it is dropped), not "${settings.dbName}"`,
    );
  }
  return settings;
}

/**
 * The env both the service and this process run with. It is set before the app's
 * modules are loaded, since the config module validates process.env on import.
 */
function benchEnv(settings: BenchSettings): NodeJS.ProcessEnv {
  const { value } = envValidationSchema.validate(process.env, { allowUnknown: true }) as {
    value: { DB_HOST: string; REDIS_URL: string };
  };
  const redisUrl = new URL(value.REDIS_URL);
  redisUrl.pathname = `/${settings.redisDb}`;
  return {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    PORT: String(settings.port),
    DB_NAME: settings.dbName,
    REDIS_URL: redisUrl.toString(),
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    // Production will not start without a way to deliver login codes; the bench signs its
    // shoppers in without codes, so nothing is ever sent here (port 9 is "discard").
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
  };
}

/** Which MySQL and Redis served the run, as they say themselves. */
async function storeVersions(context: {
  dataSource: { query: (sql: string) => Promise<unknown> };
  redis: { info: (section: string) => Promise<string> };
}): Promise<{ mysql: string; redis: string }> {
  const [row] = (await context.dataSource.query('SELECT VERSION() AS version')) as {
    version: string;
  }[];
  const redisVersion = /redis_version:(\S+)/.exec(await context.redis.info('server'))?.[1];
  return { mysql: row.version, redis: redisVersion ?? 'unknown' };
}

/** Fresh data: the bench's own database and Redis db, emptied. */
async function resetStores(env: NodeJS.ProcessEnv): Promise<void> {
  const { value } = envValidationSchema.validate(
    { ...process.env, ...env },
    { allowUnknown: true },
  ) as {
    value: Record<string, string | number>;
  };
  const connection = await createConnection({
    host: String(value.DB_HOST),
    port: Number(value.DB_PORT),
    user: String(value.DB_USER),
    password: String(value.DB_PASSWORD),
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${String(value.DB_NAME)}\``);
  } finally {
    await connection.end();
  }
  const redis = new Redis(String(value.REDIS_URL), { lazyConnect: true });
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  const settings = readSettings();
  const env = benchEnv(settings);
  Object.assign(process.env, env);
  const log = logPhase(TOOL);

  // Loaded only now, with the bench's env in place.
  const { buildProductionBundle, ServiceProcess, memoryOf, startProdNodeFlags } =
    await import('./service.process');
  const { runBenchSuite, evaluateTargets, QUORUM_SUITE } = await import('./bench.suite');
  const { RedisMasters } = await import('./redis-masters');
  const { openAppContext } = await import('./app-context');
  const { loadtestContextOf } = await import('./loadtest.context');
  const { describeMachine } = await import('./machine');
  const { renderHtmlReport } = await import('./html.report');
  const {
    benchHeader,
    brokenChecks,
    chartedCases,
    formatBenchTable,
    formatTargets,
    leanCases,
    leanRun,
  } = await import('./bench.report');

  log(`emptying database ${env.DB_NAME} and Redis ${env.REDIS_URL}`);
  await resetStores(env);
  const loadAverage = loadavg().map((load) => Number(load.toFixed(2)));
  log(`load average before the run: ${loadAverage.join(' ')}`);
  let bundle: ProductionBundle = { mainPath: settings.main ?? '', remove: () => undefined };
  if (!settings.main) {
    log('building the production bundle (tsc -p tsconfig.build.json) into a temporary directory');
    bundle = await buildProductionBundle();
  }
  mkdirSync(settings.out, { recursive: true });
  const baseName = reportBaseName(TOOL);
  const url = `http://127.0.0.1:${settings.port}`;
  try {
    log(
      `starting ${['node', ...startProdNodeFlags(), bundle.mainPath].join(' ')} on ${url} (NODE_ENV=production, LOG_LEVEL=warn)`,
    );
    const serviceEnv = { ...process.env, ...env };
    if (settings.serviceNodeOptions) serviceEnv.NODE_OPTIONS = settings.serviceNodeOptions;
    const nodeFlags = startProdNodeFlags();
    const service = await ServiceProcess.start(
      bundle.mainPath,
      nodeFlags,
      serviceEnv,
      url,
      join(settings.out, `${baseName}.service.log`),
    );
    const app = await openAppContext();
    try {
      const stores = await storeVersions(loadtestContextOf(app));
      const { warmUp, cases } = await runBenchSuite(
        loadtestContextOf(app),
        url,
        service.pid,
        settings.rounds,
        log,
      );
      const peakRssMiB = Number((memoryOf(service.pid).peakKiB / 1024).toFixed(2));
      await service.stop();

      // The same build again, the locks on a quorum of independent masters.
      let quorum:
        { masters: string[]; redis: string; peakRssMiB: number; warmUp: typeof warmUp } | undefined;
      if (settings.lockMasters > 0) {
        log(`starting ${settings.lockMasters} redis-server processes as lock masters`);
        const masters = await RedisMasters.start(settings.lockMasters);
        try {
          const lockUrls = masters.urls.join(',');
          log(`restarting the service with REDIS_LOCK_URLS=${lockUrls}`);
          const quorumService = await ServiceProcess.start(
            bundle.mainPath,
            nodeFlags,
            { ...serviceEnv, REDIS_LOCK_URLS: lockUrls },
            url,
            join(settings.out, `${baseName}.service-quorum.log`),
          );
          try {
            const run = await runBenchSuite(
              loadtestContextOf(app),
              url,
              quorumService.pid,
              settings.rounds,
              log,
              QUORUM_SUITE,
            );
            cases.push(...run.cases);
            quorum = {
              masters: masters.urls,
              redis: await masters.version(),
              peakRssMiB: Number((memoryOf(quorumService.pid).peakKiB / 1024).toFixed(2)),
              warmUp: run.warmUp,
            };
          } finally {
            await quorumService.stop();
          }
        } finally {
          masters.stop();
        }
      }
      const targets = evaluateTargets(cases, warmUp, peakRssMiB);
      console.log(formatBenchTable(cases));
      console.log(formatTargets(targets));

      const createdAt = new Date().toISOString();
      const machine = describeMachine();
      const report = {
        kind: TOOL,
        createdAt,
        machine,
        stores,
        loadAverageBefore: loadAverage,
        loadAverageAfter: loadavg().map((load) => Number(load.toFixed(2))),
        service: {
          bundle: settings.main ?? 'tsc -p tsconfig.build.json (what nest build compiles)',
          startedAs: 'node [the flags of npm run start:prod] main.js',
          nodeFlags: nodeFlags.join(' '),
          nodeOptions: settings.serviceNodeOptions ?? '',
          env: {
            NODE_ENV: env.NODE_ENV,
            LOG_LEVEL: env.LOG_LEVEL,
            DB_NAME: env.DB_NAME,
            REDIS_URL: env.REDIS_URL,
          },
          url,
          peakRssMiB,
        },
        rounds: settings.rounds,
        targets,
        passed:
          warmUp.invariantsHold &&
          (quorum?.warmUp.invariantsHold ?? true) &&
          cases.every((c) => c.invariantsHold),
        cases: leanCases(cases),
        warmUp: leanRun(warmUp),
        quorum: quorum && {
          env: { REDIS_LOCK_URLS: quorum.masters.join(',') },
          lockMasters: quorum.masters.length,
          redis: quorum.redis,
          peakRssMiB: quorum.peakRssMiB,
          warmUp: leanRun(quorum.warmUp),
        },
      };
      const html = renderHtmlReport(
        'Seckill bench',
        benchHeader(createdAt, machine, targets),
        chartedCases(cases),
      );
      const files = writeReportFiles(settings.out, baseName, report, html);
      console.log(`reports: ${files.join('  ')}`);
      const runs = [
        { ...warmUp, name: 'warmUp' },
        ...(quorum ? [{ ...quorum.warmUp, name: 'quorumWarmUp' }] : []),
        ...cases.flatMap((c) => c.runs.map((run) => ({ ...run, name: c.name }))),
      ];
      for (const line of brokenChecks(runs)) console.error(`${TOOL}: ${line}`);
      return report.passed ? 0 : 1;
    } finally {
      await app.close();
      await service.stop();
    }
  } finally {
    bundle.remove();
  }
}

runCli(TOOL, USAGE, main);
