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
  | 'warmUp'
  | 'baseline'
  | 'flashCrowd'
  | 'hotUser'
  | 'soldOut'
  | 'quorumBaseline'
  | 'quorumFlashCrowd'
  | 'quorumHotUser';

/** One run of one case. */
export interface BenchRun {
  round: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  /** A sale's 2xx answers per second until its last one: how fast stock sells. */
  ordersPerSecond?: number;
  /** requests/s over the mean of the baselines run just before and just after it. */
  ratioToBaseline: number;
  invariantsHold: boolean;
  verdict: Verdict;
  sale?: Omit<FlashSaleResult, 'stats' | 'verdict'>;
  stats: RunStats;
}

/** A case over all rounds: medians of the figures, the worst of the rest. */
export interface BenchCase {
  name: BenchCaseName;
  description: string;
  rounds: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  peakRssMiB: number;
  ordersPerSecond?: number;
  ratioToBaseline: number;
  /** The lowest and highest requests/s of the rounds: how noisy the machine was. */
  requestsPerSecondRange: [number, number];
  invariantsHold: boolean;
  runs: BenchRun[];
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

const WARM_UP: CaseDefinition = {
  name: 'warmUp',
  description: `not compared: GET ${shopperPaths.me} x ${CROWD}, then 2,000 shoppers for stock 200`,
  run: async (context, url, onPhase) => {
    // A fresh process runs its first thousands of requests unoptimised: JIT first, then measure.
    await runBaseline(context, url, CROWD, onPhase);
    return sale(2_000, 200, 1)(context, url, onPhase);
  },
};

const BASELINE: CaseDefinition = {
  name: 'baseline',
  description: `GET ${shopperPaths.me} with ${CROWD} distinct tokens, ${BENCH_CONNECTIONS} connections`,
  run: (context, url, onPhase) => runBaseline(context, url, CROWD, onPhase),
};

const CASES: readonly CaseDefinition[] = [
  {
    name: 'flashCrowd',
    description: `${CROWD} shoppers, stock 1,000, one order each, ${BENCH_CONNECTIONS} connections`,
    run: sale(CROWD, 1_000, 1),
  },
  {
    name: 'soldOut',
    description: `${CROWD} shoppers ordering a voucher with stock 0`,
    run: sale(CROWD, 0, 1),
  },
  {
    name: 'hotUser',
    description: `one shopper, ${BENCH_CONNECTIONS} concurrent orders (stock 100)`,
    run: sale(1, 100, BENCH_CONNECTIONS),
  },
];

/** A service configuration to bench: a warm-up, the baseline, and the cases between baselines. */
export interface BenchSuite {
  warmUp: CaseDefinition;
  baseline: CaseDefinition;
  cases: readonly CaseDefinition[];
}

/** The service as configured by default: the locks on REDIS_URL. */
export const SINGLE_REDIS_SUITE: BenchSuite = { warmUp: WARM_UP, baseline: BASELINE, cases: CASES };

/**
 * The same service with REDIS_LOCK_URLS naming three local masters: the cases that
 * take the per-user lock, so the cost of the quorum shows beside the single-Redis figures.
 */
export const QUORUM_SUITE: BenchSuite = {
  warmUp: WARM_UP,
  baseline: { ...BASELINE, name: 'quorumBaseline' },
  cases: [
    {
      name: 'quorumFlashCrowd',
      description: `flashCrowd with REDIS_LOCK_URLS of 3 local masters`,
      run: sale(CROWD, 1_000, 1),
    },
    {
      name: 'quorumHotUser',
      description: `hotUser with REDIS_LOCK_URLS of 3 local masters`,
      run: sale(1, 100, BENCH_CONNECTIONS),
    },
  ],
};

/**
 * One round: every case between two baselines, so that each ratio compares
 * figures taken seconds apart (B F B S B H B).
 */
function roundOf(suite: BenchSuite): readonly CaseDefinition[] {
  return suite.cases.flatMap((definition) => [suite.baseline, definition]).concat(suite.baseline);
}

const round2 = (value: number) => Number(value.toFixed(2));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function runCase(
  definition: CaseDefinition,
  round: number,
  context: LoadtestContext,
  url: string,
  servicePid: number,
  onPhase: (phase: string) => void,
): Promise<BenchRun> {
  onPhase(`round ${round} ${definition.name}: ${definition.description}`);
  const sampler = new RssSampler(servicePid);
  let peakKiB = 0;
  let run: CaseRun;
  try {
    run = await definition.run(context, url, (phase) => onPhase(`  ${phase}`));
  } finally {
    peakKiB = sampler.stop();
  }
  return {
    round,
    requests: run.stats.requests,
    requestsPerSecond: run.stats.requestsPerSecond,
    p50Ms: run.stats.latencyMs.p50,
    p99Ms: run.stats.latencyMs.p99,
    peakRssMiB: round2(peakKiB / KiB_PER_MiB),
    // Only a sale that sold all its stock says how fast stock sells.
    ordersPerSecond:
      run.sale && run.sale.stock > 0 && run.sale.acknowledged === run.sale.stock
        ? Math.round((run.sale.acknowledged * 1000) / run.stats.lastSuccessAtMs)
        : undefined,
    ratioToBaseline: 1,
    invariantsHold: run.verdict.passed,
    verdict: run.verdict,
    sale: run.sale,
    stats: run.stats,
  };
}

function aggregate(definition: CaseDefinition, runs: BenchRun[]): BenchCase {
  const rps = runs.map((run) => run.requestsPerSecond);
  const orders = runs.flatMap((run) => (run.ordersPerSecond ? [run.ordersPerSecond] : []));
  return {
    name: definition.name,
    description: definition.description,
    rounds: runs.length,
    requests: runs[0].requests,
    requestsPerSecond: median(rps),
    p50Ms: round2(median(runs.map((run) => run.p50Ms))),
    p99Ms: round2(median(runs.map((run) => run.p99Ms))),
    peakRssMiB: Math.max(...runs.map((run) => run.peakRssMiB)),
    ordersPerSecond: orders.length ? median(orders) : undefined,
    ratioToBaseline: round2(median(runs.map((run) => run.ratioToBaseline))),
    requestsPerSecondRange: [Math.min(...rps), Math.max(...rps)],
    invariantsHold: runs.every((run) => run.invariantsHold),
    runs,
  };
}

/**
 * A warm-up, then `rounds` rounds against one running service, each case on a
 * new voucher and new shoppers. Figures are medians over the rounds.
 */
export async function runBenchSuite(
  context: LoadtestContext,
  url: string,
  servicePid: number,
  rounds: number,
  onPhase: (phase: string) => void,
  suite: BenchSuite = SINGLE_REDIS_SUITE,
): Promise<{ warmUp: BenchRun; cases: BenchCase[] }> {
  const warmUp = await runCase(suite.warmUp, 0, context, url, servicePid, onPhase);
  const runsOf = new Map<CaseDefinition, BenchRun[]>();
  const round = roundOf(suite);
  for (let number = 1; number <= rounds; number += 1) {
    const runs: BenchRun[] = [];
    for (const definition of round) {
      runs.push(await runCase(definition, number, context, url, servicePid, onPhase));
    }
    round.forEach((definition, i) => {
      if (definition !== suite.baseline) {
        const around = (runs[i - 1].requestsPerSecond + runs[i + 1].requestsPerSecond) / 2;
        runs[i].ratioToBaseline = round2(runs[i].requestsPerSecond / around);
      }
      runsOf.set(definition, [...(runsOf.get(definition) ?? []), runs[i]]);
    });
  }
  return {
    warmUp,
    cases: [suite.baseline, ...suite.cases].map((definition) =>
      aggregate(definition, runsOf.get(definition)!),
    ),
  };
}

export function evaluateTargets(
  cases: readonly BenchCase[],
  warmUp: BenchRun,
  peakRssMiB: number,
): BenchTarget[] {
  const ratio = (name: BenchCaseName) => cases.find((c) => c.name === name)?.ratioToBaseline ?? 0;
  const broken = cases.filter((c) => !c.invariantsHold).map((c) => c.name);
  if (!warmUp.invariantsHold) broken.unshift('warmUp');
  return [
    {
      name: 'sold out vs baseline req/s (median)',
      target: `>= ${BENCH_TARGETS.soldOutRatio}`,
      measured: String(ratio('soldOut')),
      met: ratio('soldOut') >= BENCH_TARGETS.soldOutRatio,
    },
    {
      name: 'flash crowd vs baseline req/s (median)',
      target: `>= ${BENCH_TARGETS.flashCrowdRatio}`,
      measured: String(ratio('flashCrowd')),
      met: ratio('flashCrowd') >= BENCH_TARGETS.flashCrowdRatio,
    },
    {
      name: 'peak RSS of the service (VmHWM)',
      target: `< ${BENCH_TARGETS.peakRssMiB} MiB`,
      measured: `${peakRssMiB} MiB`,
      met: peakRssMiB < BENCH_TARGETS.peakRssMiB,
    },
    {
      name: 'invariant violations',
      target: '0',
      measured: broken.length ? `in ${broken.join(', ')}` : '0',
      met: broken.length === 0,
    },
  ];
}
