import {
  BenchCase,
  BenchCaseName,
  evaluateTargets,
  modeSummaries,
  ordersPerSecond,
} from './bench.suite';
import { RunStats } from './run-summary';

function benchCase(name: BenchCaseName, figures: Partial<BenchCase> = {}): BenchCase {
  return {
    name,
    description: name,
    rounds: 1,
    requests: 10_000,
    requestsPerSecond: 1000,
    p50Ms: 1,
    p99Ms: 2,
    peakRssMiB: 100,
    ratioToBaseline: 1,
    requestsPerSecondRange: [1000, 1000],
    invariantsHold: true,
    runs: [],
    ...figures,
  };
}

const SYNC = [
  benchCase('baseline'),
  benchCase('flashCrowd', { ratioToBaseline: 0.55, ordersPerSecond: 1200 }),
  benchCase('soldOut', { ratioToBaseline: 0.85 }),
  benchCase('hotUser', { ratioToBaseline: 0.2 }),
];
const ASYNC = [
  benchCase('asyncBaseline'),
  benchCase('asyncFlashCrowd', { ratioToBaseline: 0.9, ordersPerSecond: 4000, drainMs: 120 }),
  benchCase('asyncSoldOut', { ratioToBaseline: 0.7 }),
  benchCase('asyncHotUser', { ratioToBaseline: 0.85 }),
  benchCase('asyncDrain', { requests: 100_000, writesPerSecond: 25_000 }),
];

describe(evaluateTargets.name, () => {
  it('judges both modes against the issue targets', () => {
    const sut = evaluateTargets([...SYNC, ...ASYNC], [], { sync: 170, async: 180 });
    expect(sut.map((t) => [t.name, t.measured, t.met])).toEqual([
      ['sold out vs baseline req/s (median)', '0.85', true],
      ['flash crowd vs baseline req/s (median)', '0.55', true],
      ['peak RSS of the sync service (VmHWM)', '170 MiB', true],
      ['async flash crowd vs baseline req/s (median)', '0.9', true],
      ['async sold out vs baseline req/s (median)', '0.7', false],
      ['async hot user vs baseline req/s (median)', '0.85', true],
      ['async flash crowd admitted orders/s vs sync', '3.33 x (4000 vs 1200)', true],
      ['async flash crowd: last 202 -> every order in MySQL', '120 ms', true],
      ['async drain, orders written/s (100,000 backlog)', '25000', true],
      ['peak RSS of the async service (VmHWM)', '180 MiB', true],
      ['invariant violations', '0', true],
    ]);
  });

  it('leaves out what a mode that did not run would compare', () => {
    const sut = evaluateTargets(ASYNC, [], { async: 180 });
    expect(sut.map((t) => t.name)).not.toContain('flash crowd vs baseline req/s (median)');
    expect(sut.map((t) => t.name)).not.toContain('async flash crowd admitted orders/s vs sync');
  });

  it('names the cases that broke an invariant', () => {
    const broken = [...SYNC, benchCase('asyncFlashCrowd', { invariantsHold: false })];
    const sut = evaluateTargets(broken, [], {});
    expect(sut[sut.length - 1]).toMatchObject({ measured: 'in asyncFlashCrowd', met: false });
  });
});

describe(modeSummaries.name, () => {
  it('puts the figures side by side: sync writes as it admits, async drains', () => {
    expect(modeSummaries([...SYNC, ...ASYNC], { sync: 170, async: 180 })).toEqual([
      {
        mode: 'sync',
        flashCrowdRatio: 0.55,
        soldOutRatio: 0.85,
        hotUserRatio: 0.2,
        admittedPerSecond: 1200,
        writtenPerSecond: 1200,
        lastAdmissionToMysqlMs: 0,
        peakRssMiB: 170,
      },
      {
        mode: 'async',
        flashCrowdRatio: 0.9,
        soldOutRatio: 0.7,
        hotUserRatio: 0.85,
        admittedPerSecond: 4000,
        writtenPerSecond: 25_000,
        lastAdmissionToMysqlMs: 120,
        peakRssMiB: 180,
      },
    ]);
  });
});

describe(ordersPerSecond.name, () => {
  it('counts from the first answer, not from while the connections were being opened', () => {
    const stats = { firstAnswerAtMs: 150, lastSuccessAtMs: 400 } as RunStats;
    expect(ordersPerSecond(1000, stats)).toBe(4000);
  });

  it('has no figure when nothing was sold after the first answer', () => {
    expect(ordersPerSecond(1, { firstAnswerAtMs: 10, lastSuccessAtMs: 10 } as RunStats)).toBe(
      undefined,
    );
  });
});
