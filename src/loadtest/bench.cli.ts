import Redis from 'ioredis';
import { createConnection } from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { envValidationSchema } from '../config/env.validation';
import { intFlag, logPhase, runCli, UsageError } from './cli';
import { DEFAULT_REPORT_DIR, reportBaseName, writeReportFiles } from './report.files';

const TOOL = 'bench';
const DEFAULTS = { port: 18095, dbName: 'seckill_bench', redisDb: 3 } as const;
const USAGE = `usage: npm run bench -- [--port ${DEFAULTS.port}] [--db-name ${DEFAULTS.dbName}] [--redis-db ${DEFAULTS.redisDb}] [--out ${DEFAULT_REPORT_DIR}/]
Builds the production bundle into a temporary directory, starts it on 127.0.0.1:PORT with
LOG_LEVEL=warn against its own database (dropped first; its name must contain "bench") and its
own Redis db (flushed first; never 0), runs every case, prints and writes the figures.
Exits 1 when a case breaks an invariant.`;

interface BenchSettings {
  port: number;
  dbName: string;
  redisDb: number;
  out: string;
}

function readSettings(): BenchSettings {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'db-name': { type: 'string' },
      'redis-db': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const settings = {
    port: intFlag('port', values.port, DEFAULTS.port, 1024),
    dbName: values['db-name'] ?? DEFAULTS.dbName,
    redisDb: intFlag('redis-db', values['redis-db'], DEFAULTS.redisDb, 1),
    out: values.out ?? DEFAULT_REPORT_DIR,
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
  };
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
  const { buildProductionBundle, ServiceProcess, memoryOf } = await import('./service.process');
  const { runBenchSuite, evaluateTargets } = await import('./bench.suite');
  const { openAppContext } = await import('./app-context');
  const { loadtestContextOf } = await import('./loadtest.context');
  const { describeMachine } = await import('./machine');
  const { renderHtmlReport } = await import('./html.report');
  const { statsRows } = await import('./console.report');

  log(`emptying database ${env.DB_NAME} and Redis ${env.REDIS_URL}`);
  await resetStores(env);
  log('building the production bundle (tsc -p tsconfig.build.json) into a temporary directory');
  const bundle = await buildProductionBundle();
  mkdirSync(settings.out, { recursive: true });
  const baseName = reportBaseName(TOOL);
  const url = `http://127.0.0.1:${settings.port}`;
  try {
    log(`starting ${bundle.mainPath} on ${url} (NODE_ENV=production, LOG_LEVEL=warn)`);
    const service = await ServiceProcess.start(
      bundle.mainPath,
      { ...process.env, ...env },
      url,
      join(settings.out, `${baseName}.service.log`),
    );
    const app = await openAppContext();
    try {
      const cases = await runBenchSuite(loadtestContextOf(app), url, service.pid, log);
      const peakRssMiB = Number((memoryOf(service.pid).peakKiB / 1024).toFixed(2));
      const targets = evaluateTargets(cases, peakRssMiB);

      const table = new Table({
        head: [
          'case',
          'requests',
          'req/s',
          'p50 ms',
          'p99 ms',
          'peak RSS MiB',
          'vs baseline',
          'invariants',
        ],
        style: { head: [], border: [] },
      });
      for (const c of cases) {
        table.push([
          c.name,
          c.requests,
          c.requestsPerSecond,
          c.p50Ms,
          c.p99Ms,
          c.peakRssMiB,
          c.ratioToBaseline,
          c.invariantsHold ? 'pass' : 'FAIL',
        ]);
      }
      console.log(table.toString());
      const targetTable = new Table({
        head: ['target', 'wanted', 'measured', ''],
        style: { head: [], border: [] },
      });
      for (const t of targets)
        targetTable.push([t.name, t.target, t.measured, t.met ? 'met' : 'MISSED']);
      console.log(targetTable.toString());

      const report = {
        kind: TOOL,
        createdAt: new Date().toISOString(),
        machine: describeMachine(),
        service: {
          bundle: 'tsc -p tsconfig.build.json (what nest build compiles), started with node',
          env: {
            NODE_ENV: env.NODE_ENV,
            LOG_LEVEL: env.LOG_LEVEL,
            DB_NAME: env.DB_NAME,
            REDIS_URL: env.REDIS_URL,
          },
          url,
          peakRssMiB,
        },
        targets,
        passed: cases.every((c) => c.invariantsHold),
        cases,
      };
      const html = renderHtmlReport(
        'Seckill bench',
        [
          ['run at', report.createdAt],
          [
            'machine',
            `${report.machine.cores} cores, ${report.machine.cpuModel}, node ${report.machine.node}`,
          ],
          ...targets.map((t): [string, string] => [
            t.name,
            `${t.measured} (wanted ${t.target}) ${t.met ? 'met' : 'MISSED'}`,
          ]),
        ],
        cases.map((c) => ({
          title: `${c.name}: ${c.description}`,
          rows: [
            ...statsRows(c.stats),
            ['peak RSS', `${c.peakRssMiB} MiB`],
            ['vs baseline', String(c.ratioToBaseline)],
          ],
          stats: c.stats,
          verdict: c.verdict,
        })),
      );
      const files = writeReportFiles(settings.out, baseName, report, html);
      console.log(`reports: ${files.join('  ')}`);
      for (const c of cases.filter((c) => !c.invariantsHold)) {
        for (const check of c.verdict.checks.filter((check) => !check.passed)) {
          console.error(`${TOOL}: ${c.name}: ${check.description}: ${check.detail}`);
        }
      }
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
