import { FlashSaleOptions, FlashSaleResult, runFlashSale, shopperPaths } from './flash-sale';
import { fireRequests, PlannedRequest } from './load-generator';
import { LoadtestContext } from './loadtest.context';
import { RssSampler } from './service.process';
import { parseEnvelope, RunStats, summarizeFire } from './run-summary';
import { Verdict } from './sale.verifier';
import { prepareShoppers } from './shoppers';

export const BENCH_CONNECTIONS = 200;
const CROWD = 10_000;
const KiB_PER_MiB = 1024;

/** The targets for this machine. */
export const BENCH_TARGETS = {
  soldOutRatio: 0.8,
  flashCrowdRatio: 0.5,
  peakRssMiB: 250,
} as const;

export type BenchCaseName =
  'warmUp' | 'baseline' | 'flashCrowd' | 'hotUser' | 'soldOut' | 'baselineAgain';

export interface BenchCase {
  name: BenchCaseName;
  description: string;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  /** This case's requests/s over the baseline's. */
  ratioToBaseline: number;
  invariantsHold: boolean;
  verdict: Verdict;
  sale?: Omit<FlashSaleResult, 'stats' | 'verdict'>;
  stats: RunStats;
}

export interface BenchTarget {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

interface CaseRun {
  stats: RunStats;
  verdict: Verdict;
  sale?: Omit<FlashSaleResult, 'stats' | 'verdict'>;
}

/**
 * The ceiling: an authenticated endpoint that orders nothing, one request per
 * shopper token. Its check: every answer is 200 and names the token's shopper.
 */
async function runBaseline(
  context: LoadtestContext,
  url: string,
  shoppers: number,
  onPhase: (phase: string) => void,
): Promise<CaseRun> {
  onPhase(`signing in ${shoppers} shoppers`);
  const sessions = await prepareShoppers(context.users, shoppers);
  const planned: PlannedRequest[] = sessions.map((session) => ({
    method: 'GET',
    path: shopperPaths.me,
    shopperId: session.id,
    token: session.token,
  }));
  onPhase(`sending ${planned.length} GET ${shopperPaths.me}`);
  const fire = await fireRequests(url, planned, { connections: BENCH_CONNECTIONS });
  const wrong = fire.answers.filter(
    (answer) =>
      answer.status !== 200 ||
      (parseEnvelope(answer.body).data as { id?: number } | undefined)?.id !==
        answer.request.shopperId,
  );
  const unanswered = planned.length - fire.answers.length;
  const check = {
    description: `every request answered 200 with its own shopper`,
    passed: wrong.length === 0 && unanswered === 0,
    detail: `${wrong.length} wrong answers, ${unanswered} unanswered`,
    offendingIds: wrong.map((answer) => String(answer.request.shopperId)),
  };
  return {
    stats: summarizeFire(fire, planned.length),
    verdict: { passed: check.passed, checks: [check] },
  };
}

async function runSale(context: LoadtestContext, options: FlashSaleOptions): Promise<CaseRun> {
  const { stats, verdict, ...sale } = await runFlashSale(context, options);
  return { stats, verdict, sale };
}

interface CaseDefinition {
  name: BenchCaseName;
  description: string;
  run: (
    context: LoadtestContext,
    url: string,
    onPhase: (phase: string) => void,
  ) => Promise<CaseRun>;
}

const sale =
  (users: number, stock: number, repeat: number) =>
  (context: LoadtestContext, url: string, onPhase: (phase: string) => void) =>
    runSale(context, { url, users, stock, repeat, connections: BENCH_CONNECTIONS, onPhase });

export const BENCH_CASES: readonly CaseDefinition[] = [
  {
    name: 'warmUp',
    description: 'warm-up, not compared: 2,000 shoppers, stock 200, then the baseline path',
    run: async (context, url, onPhase) => {
      await runBaseline(context, url, 2_000, onPhase);
      return sale(2_000, 200, 1)(context, url, onPhase);
    },
  },
  {
    name: 'baseline',
    description: `GET ${shopperPaths.me} with ${CROWD} distinct tokens`,
    run: (context, url, onPhase) => runBaseline(context, url, CROWD, onPhase),
  },
  {
    name: 'flashCrowd',
    description: `${CROWD} shoppers, stock 1,000, one order each`,
    run: sale(CROWD, 1_000, 1),
  },
  {
    name: 'hotUser',
    description: `one shopper, ${BENCH_CONNECTIONS} concurrent orders (stock 100)`,
    run: sale(1, 100, BENCH_CONNECTIONS),
  },
  {
    name: 'soldOut',
    description: `${CROWD} shoppers ordering a voucher with stock 0`,
    run: sale(CROWD, 0, 1),
  },
  {
    name: 'baselineAgain',
    description: 'the baseline once more, to show how much the machine drifted during the run',
    run: (context, url, onPhase) => runBaseline(context, url, CROWD, onPhase),
  },
];

const round2 = (value: number) => Number(value.toFixed(2));

/** Every case against one running service, each on a new voucher and new shoppers. */
export async function runBenchSuite(
  context: LoadtestContext,
  url: string,
  servicePid: number,
  onPhase: (phase: string) => void,
): Promise<BenchCase[]> {
  const results: BenchCase[] = [];
  let baselineRps = 0;
  for (const definition of BENCH_CASES) {
    onPhase(`case ${definition.name}: ${definition.description}`);
    const sampler = new RssSampler(servicePid);
    let peakKiB = 0;
    let run: CaseRun;
    try {
      run = await definition.run(context, url, (phase) => onPhase(`  ${phase}`));
    } finally {
      peakKiB = sampler.stop();
    }
    if (definition.name === 'baseline') baselineRps = run.stats.requestsPerSecond;
    results.push({
      name: definition.name,
      description: definition.description,
      requests: run.stats.requests,
      requestsPerSecond: run.stats.requestsPerSecond,
      p50Ms: run.stats.latencyMs.p50,
      p99Ms: run.stats.latencyMs.p99,
      peakRssMiB: round2(peakKiB / KiB_PER_MiB),
      ratioToBaseline: baselineRps ? round2(run.stats.requestsPerSecond / baselineRps) : 0,
      invariantsHold: run.verdict.passed,
      verdict: run.verdict,
      sale: run.sale,
      stats: run.stats,
    });
  }
  return results;
}

export function evaluateTargets(cases: readonly BenchCase[], peakRssMiB: number): BenchTarget[] {
  const ratio = (name: BenchCaseName) => cases.find((c) => c.name === name)?.ratioToBaseline ?? 0;
  const broken = cases.filter((c) => !c.invariantsHold).map((c) => c.name);
  return [
    {
      name: 'sold out vs baseline req/s',
      target: `>= ${BENCH_TARGETS.soldOutRatio}`,
      measured: String(ratio('soldOut')),
      met: ratio('soldOut') >= BENCH_TARGETS.soldOutRatio,
    },
    {
      name: 'flash crowd vs baseline req/s',
      target: `>= ${BENCH_TARGETS.flashCrowdRatio}`,
      measured: String(ratio('flashCrowd')),
      met: ratio('flashCrowd') >= BENCH_TARGETS.flashCrowdRatio,
    },
    {
      name: 'peak RSS of the service',
      target: `< ${BENCH_TARGETS.peakRssMiB} MiB`,
      measured: `${peakRssMiB} MiB`,
      met: peakRssMiB < BENCH_TARGETS.peakRssMiB,
    },
    {
      name: 'invariant violations',
      target: '0',
      measured: broken.length ? `cases ${broken.join(', ')}` : '0',
      met: broken.length === 0,
    },
  ];
}
