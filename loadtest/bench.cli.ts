import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { envValidationSchema } from '../src/config/env.validation';
import { intFlag, logPhase, parseFlags, runCli, UsageError } from './cli';
import { DEFAULT_REPORT_DIR, reportBaseName, writeReportFiles } from './report.files';
import type { BenchCase, BenchMode, BenchRun, BenchSuite, PeakRss } from './bench.suite';
import type { ProductionBundle, ServiceProcess as ServiceProcessType } from './service.process';
import { resetStores } from './bench-stores';

/** The bench process's own MySQL/Redis deadline (the services keep theirs). */
const TOOL_DEPENDENCY_TIMEOUT_MS = 20_000;
const TOOL = 'bench';
const DEFAULTS = {
  port: 18095,
  dbName: 'seckill_bench',
  redisDb: 3,
  rounds: 3,
  lockMasters: 3,
  modes: 'sync,async',
  drainShoppers: 100_000,
} as const;
const USAGE = `usage: npm run bench -- [--port ${DEFAULTS.port}] [--db-name ${DEFAULTS.dbName}] [--redis-db ${DEFAULTS.redisDb}] [--out ${DEFAULT_REPORT_DIR}/] [--rounds ${DEFAULTS.rounds}]
                          [--main path/to/main.js] [--service-node-options "--max-old-space-size=96"]
                          [--lock-masters ${DEFAULTS.lockMasters}] [--modes ${DEFAULTS.modes}] [--drain-shoppers ${DEFAULTS.drainShoppers}]
                          [--workers N]
Builds the production bundle into a temporary directory, starts it on 127.0.0.1:PORT with
LOG_LEVEL=warn against its own database (dropped first; its name must contain "bench") and its
own Redis db (flushed first; never 0), runs a warm-up and then every case ROUNDS times, each
between two baselines, and prints and writes the medians. Then it starts LOCK_MASTERS throw-away
redis-server processes, restarts the service with REDIS_LOCK_URLS naming them, and runs the cases
that take the lock again (--lock-masters 0 skips that part). Then (mode async) it restarts the
service with SECKILL_MODE=async and runs the cases again, each sale waiting for the stream to
drain; and for the drain rate it admits DRAIN_SHOPPERS orders with the service's writer off
(ASYNC_WRITER_ENABLED=false), restarts it with the writer on and times the writes
(--drain-shoppers 0 skips that part). --modes sync or --modes async runs one mode only.
--main benches an existing build instead (to compare a change); --service-node-options is
NODE_OPTIONS for the service alone. --workers N also runs, in each mode, the baseline, flash
crowd and hot user against the same build under npm run start:cluster (dist/cluster.js,
WORKERS=N) and prints each one's requests/s over the single process's (0, the default: skipped).
Exits 1 when a case breaks an invariant.`;

interface BenchSettings {
  port: number;
  dbName: string;
  redisDb: number;
  out: string;
  rounds: number;
  lockMasters: number;
  main?: string;
  serviceNodeOptions?: string;
  modes: BenchMode[];
  drainShoppers: number;
  workers: number;
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
    modes: { type: 'string' },
    'drain-shoppers': { type: 'string' },
    workers: { type: 'string' },
  });
  const modes = (values.modes ?? DEFAULTS.modes).split(',').map((mode) => mode.trim());
  if (modes.length === 0 || modes.some((mode) => mode !== 'sync' && mode !== 'async')) {
    throw new UsageError(`--modes must list sync and/or async, not "${values.modes}"`);
  }
  const settings = {
    port: intFlag('port', values.port, DEFAULTS.port, 1024),
    dbName: values['db-name'] ?? DEFAULTS.dbName,
    redisDb: intFlag('redis-db', values['redis-db'], DEFAULTS.redisDb, 1),
    out: values.out ?? DEFAULT_REPORT_DIR,
    rounds: intFlag('rounds', values.rounds, DEFAULTS.rounds, 1),
    lockMasters: intFlag('lock-masters', values['lock-masters'], DEFAULTS.lockMasters, 0),
    main: values.main && resolve(values.main),
    serviceNodeOptions: values['service-node-options'],
    modes: [...new Set(modes)] as BenchMode[],
    drainShoppers: intFlag('drain-shoppers', values['drain-shoppers'], DEFAULTS.drainShoppers, 0),
    workers: intFlag('workers', values.workers, 0, 0),
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
    // This process only signs shoppers in and reads the stores; each service gets its own mode.
    SECKILL_MODE: 'sync',
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

async function main(): Promise<number> {
  const settings = readSettings();
  const env = benchEnv(settings);
  Object.assign(process.env, env);
  // What the services inherit: the env as it is before this process's own settings.
  const inheritedEnv = { ...process.env };
  // This process verifies runs by reading whole buyer sets and 100,000-entry streams
  // on a machine the run keeps busy: a request's command budget (half of
  // DEPENDENCY_TIMEOUT_MS) is too short for that, and a timeout there lost a whole run.
  process.env.DEPENDENCY_TIMEOUT_MS = String(TOOL_DEPENDENCY_TIMEOUT_MS);
  const log = logPhase(TOOL);

  // Loaded only now, with the bench's env in place.
  const { buildProductionBundle, ServiceProcess, memoryOf, startProdNodeFlags } =
    await import('./service.process');
  const {
    runBenchSuite,
    evaluateTargets,
    modeSummaries,
    runDrainCase,
    drainCase,
    SINGLE_REDIS_SUITE,
    QUORUM_SUITE,
    ASYNC_SUITE,
    workersSuite,
    workersGain,
  } = await import('./bench.suite');
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
    formatModeTable,
    modeRows,
    formatTargets,
    formatWorkersGain,
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
  const serviceEnv = { ...inheritedEnv, ...env };
  if (settings.serviceNodeOptions) serviceEnv.NODE_OPTIONS = settings.serviceNodeOptions;
  const nodeFlags = startProdNodeFlags();
  const services = new Set<ServiceProcessType>();
  /** Starts the bundle as start:prod does; every service is stopped before the next starts. */
  const startService = async (
    extraEnv: NodeJS.ProcessEnv,
    logName: string,
    entry = bundle.mainPath,
  ) => {
    const described = Object.entries(extraEnv)
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    log(
      `starting ${['node', ...nodeFlags, entry].join(' ')} on ${url} (NODE_ENV=production, LOG_LEVEL=warn${described ? `, ${described}` : ''})`,
    );
    const service = await ServiceProcess.start(
      entry,
      nodeFlags,
      { ...serviceEnv, ...extraEnv },
      url,
      join(settings.out, `${baseName}.${logName}.log`),
    );
    services.add(service);
    return service;
  };
  const stopService = async (service: ServiceProcessType) => {
    const peakRssMiB = Number((memoryOf(service.pid).peakKiB / 1024).toFixed(2));
    await service.stop();
    services.delete(service);
    return peakRssMiB;
  };
  try {
    const app = await openAppContext();
    try {
      const context = loadtestContextOf(app);
      const stores = await storeVersions(context);
      const cases: BenchCase[] = [];
      const warmUps: { name: string; run: BenchRun }[] = [];
      const peakRssMiB: PeakRss = {};
      /**
       * One suite on a service of its own: its cases and warm-up join the run's;
       * answers the service's peak RSS. A failure leaves the service to the
       * cleanup below.
       */
      const benchService = async (
        suite: BenchSuite,
        warmUpName: string,
        extraEnv: NodeJS.ProcessEnv,
        logName: string,
        entry?: string,
      ): Promise<number> => {
        const service = await startService(extraEnv, logName, entry);
        const run = await runBenchSuite(context, url, service.pid, settings.rounds, log, suite);
        cases.push(...run.cases);
        warmUps.push({ name: warmUpName, run: run.warmUp });
        return stopService(service);
      };
      /**
       * --workers: the same build under start:cluster (its primary forks WORKERS
       * workers of main.js beside it), the workers suite in `mode`. Its peak RSS
       * would be the primary's only: the figure compared is requests/s.
       */
      const benchWorkers = async (mode: BenchMode, warmUpName: string) => {
        if (settings.workers === 0) return;
        await benchService(
          workersSuite(mode, settings.workers),
          warmUpName,
          { SECKILL_MODE: mode, WORKERS: String(settings.workers) },
          `service-${mode}-workers`,
          join(dirname(bundle.mainPath), 'cluster.js'),
        );
      };

      if (settings.modes.includes('sync')) {
        peakRssMiB.sync = await benchService(
          SINGLE_REDIS_SUITE,
          'warmUp',
          { SECKILL_MODE: 'sync' },
          'service',
        );
        await benchWorkers('sync', 'workersWarmUp');
      }

      // The same build again, the locks on a quorum of independent masters.
      let quorum: { masters: string[]; redis: string; peakRssMiB: number } | undefined;
      if (settings.modes.includes('sync') && settings.lockMasters > 0) {
        log(`starting ${settings.lockMasters} redis-server processes as lock masters`);
        const masters = await RedisMasters.start(settings.lockMasters);
        try {
          const quorumPeakRssMiB = await benchService(
            QUORUM_SUITE,
            'quorumWarmUp',
            { SECKILL_MODE: 'sync', REDIS_LOCK_URLS: masters.urls.join(',') },
            'service-quorum',
          );
          quorum = {
            masters: masters.urls,
            redis: await masters.version(),
            peakRssMiB: quorumPeakRssMiB,
          };
        } finally {
          masters.stop();
        }
      }

      // The same build with SECKILL_MODE=async: the cases again, then the drain.
      if (settings.modes.includes('async')) {
        peakRssMiB.async = await benchService(
          ASYNC_SUITE,
          'asyncWarmUp',
          { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'true' },
          'service-async',
        );
        await benchWorkers('async', 'asyncWorkersWarmUp');

        if (settings.drainShoppers > 0) {
          const admitting = await startService(
            { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'false' },
            'service-async-admit',
          );
          let writing: ServiceProcessType | undefined;
          try {
            const drain = await runDrainCase(
              context,
              url,
              settings.drainShoppers,
              async () => {
                await stopService(admitting);
                writing = await startService(
                  { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'true' },
                  'service-async-drain',
                );
                return writing.pid;
              },
              log,
            );
            cases.push(drainCase(drain));
            peakRssMiB.async = Math.max(peakRssMiB.async, drain.peakRssMiB);
          } finally {
            if (writing) await stopService(writing);
          }
        }
      }

      const targets = evaluateTargets(
        cases,
        warmUps.map((warmUp) => warmUp.run),
        peakRssMiB,
      );
      const modes = modeSummaries(cases, peakRssMiB);
      console.log(formatBenchTable(cases));
      console.log(formatModeTable(modes));
      console.log(formatTargets(targets));
      const gains = workersGain(cases);
      if (gains.length) {
        console.log(
          `${settings.workers} workers (npm run start:cluster) vs the single process, requests/s:`,
        );
        console.log(formatWorkersGain(gains));
      }

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
          peakRssMiB: peakRssMiB.sync,
        },
        rounds: settings.rounds,
        modes,
        targets,
        passed:
          warmUps.every((warmUp) => warmUp.run.invariantsHold) &&
          cases.every((c) => c.invariantsHold),
        cases: leanCases(cases),
        warmUps: Object.fromEntries(warmUps.map((warmUp) => [warmUp.name, leanRun(warmUp.run)])),
        quorum: quorum && {
          env: { REDIS_LOCK_URLS: quorum.masters.join(',') },
          lockMasters: quorum.masters.length,
          redis: quorum.redis,
          peakRssMiB: quorum.peakRssMiB,
        },
        workers: settings.workers > 0 ? { WORKERS: settings.workers, gains } : undefined,
        async: settings.modes.includes('async')
          ? {
              env: { SECKILL_MODE: 'async', ASYNC_WRITER_ENABLED: 'true' },
              drain:
                settings.drainShoppers > 0
                  ? `admitted with ASYNC_WRITER_ENABLED=false, then the service restarted with its writer on`
                  : 'skipped (--drain-shoppers 0)',
              peakRssMiB: peakRssMiB.async,
            }
          : undefined,
      };
      const html = renderHtmlReport(
        'Seckill bench',
        [...benchHeader(createdAt, machine, targets), ...modeRows(modes)],
        chartedCases(cases),
      );
      const files = writeReportFiles(settings.out, baseName, report, html);
      console.log(`reports: ${files.join('  ')}`);
      const runs = [
        ...warmUps.map((warmUp) => ({ ...warmUp.run, name: warmUp.name })),
        ...cases.flatMap((c) => c.runs.map((run) => ({ ...run, name: c.name }))),
      ];
      for (const line of brokenChecks(runs)) console.error(`${TOOL}: ${line}`);
      return report.passed ? 0 : 1;
    } finally {
      await app.close();
    }
  } finally {
    for (const service of services) await service.stop();
    bundle.remove();
  }
}

runCli(TOOL, USAGE, main);
