import Table from 'cli-table3';
import { PLAIN_TABLE, statsRows } from './console.report';
import { BenchCase, BenchRun, BenchTarget, ModeSummary, WorkersGain } from './bench.suite';
import { ChartedRun } from './html.report';
import { MachineInfo } from './machine';

export function formatBenchTable(cases: readonly BenchCase[]): string {
  const table = new Table({
    head: [
      'case',
      'requests',
      'req/s (median)',
      'req/s range',
      'p50 ms',
      'p99 ms',
      'peak RSS MiB',
      'orders/s',
      'written/s',
      'drain ms',
      'vs baseline',
      'invariants',
    ],
    style: PLAIN_TABLE,
  });
  for (const c of cases) {
    table.push([
      c.name,
      c.requests,
      c.requestsPerSecond,
      c.requestsPerSecondRange.join('-'),
      c.p50Ms,
      c.p99Ms,
      c.peakRssMiB,
      c.ordersPerSecond ?? '',
      c.writesPerSecond ?? '',
      c.drainMs ?? '',
      c.ratioToBaseline,
      c.invariantsHold ? `pass x${c.rounds}` : 'FAIL',
    ]);
  }
  return table.toString();
}

const MODE_COLUMNS: [keyof ModeSummary, string][] = [
  ['flashCrowdRatio', 'flash crowd vs baseline'],
  ['soldOutRatio', 'sold out vs baseline'],
  ['hotUserRatio', 'hot user vs baseline'],
  ['admittedPerSecond', 'admitted orders/s (flash crowd)'],
  ['writtenPerSecond', 'orders written/s (async: drain)'],
  ['lastAdmissionToMysqlMs', 'last admission -> all in MySQL, ms'],
  ['peakRssMiB', 'peak RSS MiB'],
];

/** One column per mode: the figures the issue compares. */
export function formatModeTable(modes: readonly ModeSummary[]): string {
  const table = new Table({ head: ['', ...modes.map((m) => m.mode)], style: PLAIN_TABLE });
  for (const [key, label] of MODE_COLUMNS) {
    table.push([label, ...modes.map((m) => String(m[key] ?? '-'))]);
  }
  return table.toString();
}

export function modeRows(modes: readonly ModeSummary[]): [string, string][] {
  return MODE_COLUMNS.map(([key, label]): [string, string] => [
    label,
    modes.map((m) => `${m.mode} ${m[key] ?? '-'}`).join(', '),
  ]);
}

export function formatTargets(targets: readonly BenchTarget[]): string {
  const table = new Table({ head: ['target', 'wanted', 'measured', ''], style: PLAIN_TABLE });
  for (const t of targets) table.push([t.name, t.target, t.measured, t.met ? 'met' : 'MISSED']);
  return table.toString();
}

/** The run whose requests/s is the case's median, for the charts. */
function medianRun(c: BenchCase): BenchRun {
  return [...c.runs].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[
    Math.floor((c.runs.length - 1) / 2)
  ];
}

export function chartedCases(cases: readonly BenchCase[]): ChartedRun[] {
  return cases.map((c) => {
    const run = medianRun(c);
    return {
      title: `${c.name}: ${c.description} (charts: round ${run.round}, the median)`,
      rows: [
        ...statsRows(run.stats),
        ['req/s over the rounds', c.runs.map((r) => r.requestsPerSecond).join(', ')],
        ['vs baseline over the rounds', c.runs.map((r) => r.ratioToBaseline).join(', ')],
        ['peak RSS', `${c.peakRssMiB} MiB`],
      ],
      stats: run.stats,
      verdict: {
        passed: c.invariantsHold,
        checks: c.runs.flatMap((r) =>
          r.verdict.checks.map((check) => ({
            ...check,
            description: `round ${r.round}: ${check.description}`,
          })),
        ),
      },
    };
  });
}

export function benchHeader(
  createdAt: string,
  machine: MachineInfo,
  targets: readonly BenchTarget[],
): [string, string][] {
  return [
    ['run at', createdAt],
    ['machine', `${machine.cores} cores, ${machine.cpuModel}, node ${machine.node}`],
    ['load generator', machine.loadGenerator],
    ...targets.map((t): [string, string] => [
      t.name,
      `${t.measured} (wanted ${t.target}) ${t.met ? 'met' : 'MISSED'}`,
    ]),
  ];
}

/** Every failed check of every run, one line each, for stderr. */
export function brokenChecks(runs: readonly (BenchRun & { name: string })[]): string[] {
  return runs.flatMap((run) =>
    run.verdict.checks
      .filter((check) => !check.passed)
      .map(
        (check) =>
          `${run.name} round ${run.round}: ${check.description}: ${check.detail} (ids: ${check.offendingIds.join(', ')})`,
      ),
  );
}

/** A run without its chart series (histogram, throughput), unless it is the one charted. */
export function leanRun(run: BenchRun, keepCharts = false): unknown {
  // The drain's timeline of MySQL counts (a look every 10-50 ms) is not charted: left out.
  const sale = run.sale?.drain && {
    ...run.sale,
    drain: { ...run.sale.drain, samples: undefined },
  };
  const lean = { ...run, ...(sale ? { sale } : {}) };
  if (keepCharts) return lean;
  const figures: Partial<BenchRun['stats']> = { ...run.stats };
  delete figures.histogram;
  delete figures.throughput;
  return { ...lean, stats: figures };
}

/**
 * The JSON keeps every run's figures but the chart series of the median run
 * only, which keeps a committed reference file readable in a diff.
 */
export function leanCases(cases: readonly BenchCase[]): unknown[] {
  return cases.map((c) => {
    const median = medianRun(c);
    return { ...c, runs: c.runs.map((run) => leanRun(run, run === median)) };
  });
}

/** --workers: each case's requests/s, single process and N workers, and the gain. */
export function formatWorkersGain(gains: readonly WorkersGain[]): string {
  const table = new Table({
    head: ['mode', 'case', 'single process req/s', 'workers req/s', 'gain'],
    style: PLAIN_TABLE,
  });
  for (const g of gains) {
    table.push([
      g.mode,
      g.case,
      g.singleRequestsPerSecond,
      g.workersRequestsPerSecond,
      `${g.gain} x`,
    ]);
  }
  return table.toString();
}
