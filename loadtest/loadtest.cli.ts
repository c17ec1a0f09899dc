import { localServiceUrl, openAppContext } from './app-context';
import { intFlag, logPhase, parseFlags, progressBar, runCli, UsageError } from './cli';
import { formatSale, saleRows } from './console.report';
import { FlashSaleResult, runFlashSale } from './flash-sale';
import { renderHtmlReport } from './html.report';
import { loadtestContextOf } from './loadtest.context';
import { describeMachine, MachineInfo } from './machine';
import { DEFAULT_REPORT_DIR, reportBaseName, writeReportFiles } from './report.files';

const TOOL = 'loadtest';
const USAGE = `usage: npm run loadtest -- --users N --stock S [--repeat K] [--concurrency C] [--mode sync|async] [--url http://127.0.0.1:8081] [--out ${DEFAULT_REPORT_DIR}/]
  --users N        shoppers, each signed in with a fresh token
  --stock S        units of the new seckill voucher
  --repeat K       concurrent orders per shopper (default 1)
  --concurrency C  connections (default 200)
  --mode M         SECKILL_MODE the service runs (default sync); async: a 2xx is a 202
                   acceptance, the checks wait until the stream writers have put every accepted
                   order in MySQL (giving up after --drain-timeout seconds without progress), and
                   also check that nothing was dead-lettered and that Redis agrees with MySQL
  --drain-timeout S  async: seconds without a written order before giving up (default 30)
  --url URL        the running service (default http://HOST:PORT of this config); loopback only
  --out DIR        where the JSON and HTML reports go (default ${DEFAULT_REPORT_DIR}/)
MySQL and Redis are read with the service's own settings (DB_*, REDIS_URL): run both with the same env.`;

export interface LoadtestReport {
  kind: typeof TOOL;
  createdAt: string;
  machine: MachineInfo;
  url: string;
  sale: FlashSaleResult;
}

async function main(): Promise<number> {
  const values = parseFlags({
    users: { type: 'string' },
    stock: { type: 'string' },
    repeat: { type: 'string' },
    concurrency: { type: 'string' },
    mode: { type: 'string' },
    'drain-timeout': { type: 'string' },
    url: { type: 'string' },
    out: { type: 'string' },
  });
  const users = intFlag('users', values.users, undefined, 1);
  const stock = intFlag('stock', values.stock, undefined, 0);
  const repeat = intFlag('repeat', values.repeat, 1, 1);
  const connections = intFlag('concurrency', values.concurrency, 200, 1);
  const mode = values.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'async') {
    throw new UsageError(`--mode must be sync or async, not "${mode}"`);
  }
  const drainTimeoutSeconds = intFlag('drain-timeout', values['drain-timeout'], 30, 1);

  const app = await openAppContext();
  const bar = progressBar();
  const drainBar = progressBar('orders in MySQL');
  try {
    const url = values.url ?? localServiceUrl(app);
    const sale = await runFlashSale(loadtestContextOf(app), {
      url,
      users,
      stock,
      repeat,
      connections,
      mode,
      drainIdleTimeoutMs: drainTimeoutSeconds * 1000,
      onPhase: (phase) => {
        bar.stop();
        drainBar.stop();
        logPhase(TOOL)(phase);
      },
      onProgress: bar.update,
      onDrainProgress: drainBar.update,
    });
    bar.stop();
    drainBar.stop();
    console.log(formatSale(sale));

    const report: LoadtestReport = {
      kind: TOOL,
      createdAt: new Date().toISOString(),
      machine: describeMachine(),
      url,
      sale,
    };
    const title = `Flash sale (${mode}): ${users} shoppers, stock ${stock}, ${url}`;
    const html = renderHtmlReport(
      title,
      [['run at', report.createdAt]],
      [{ title: 'orders', rows: saleRows(sale), stats: sale.stats, verdict: sale.verdict }],
    );
    const files = writeReportFiles(
      values.out ?? DEFAULT_REPORT_DIR,
      reportBaseName(TOOL),
      report,
      html,
    );
    console.log(`reports: ${files.join('  ')}`);
    if (!sale.verdict.passed) {
      console.error(`${TOOL}: invariants broken (offending ids above and in the JSON report)`);
      return 1;
    }
    console.log('all invariants hold');
    return 0;
  } finally {
    bar.stop();
    drainBar.stop();
    await app.close();
  }
}

runCli(TOOL, USAGE, main);
