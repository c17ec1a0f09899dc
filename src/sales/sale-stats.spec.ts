import {
  addStats,
  emptyStats,
  LATENCY_BUCKETS_MS,
  parseStats,
  quantileMs,
  recordAnswer,
  rejectionCount,
  statsBetween,
} from './sale-stats';

const statsOf = (answers: [outcome: string, ms: number][]) => {
  const stats = emptyStats();
  for (const [outcome, ms] of answers) recordAnswer(stats, outcome, ms);
  return stats;
};

describe('sale stats', () => {
  it('counts answers by outcome and puts each latency in its bucket (upper bound inclusive)', () => {
    const sut = statsOf([
      ['created', 0.4],
      ['created', 1],
      ['STOCK_EXHAUSTED', 1.5],
      ['STOCK_EXHAUSTED', 99_999],
    ]);

    expect(sut.outcomes).toEqual({ created: 2, STOCK_EXHAUSTED: 2 });
    expect(sut.latency[0]).toBe(2);
    expect(sut.latency[1]).toBe(1);
    expect(sut.latency[LATENCY_BUCKETS_MS.length]).toBe(1);
    expect(rejectionCount(sut)).toBe(2);
  });

  it('adds two instances bucket by bucket, and subtracts an earlier reading', () => {
    const a = statsOf([['created', 3]]);
    const b = statsOf([
      ['created', 3],
      ['ALREADY_PURCHASED', 40],
    ]);

    const sum = addStats(a, b);

    expect(sum.outcomes).toEqual({ created: 2, ALREADY_PURCHASED: 1 });
    expect(sum.latency[2]).toBe(2);
    expect(statsBetween(a, sum).outcomes).toEqual({ created: 1, ALREADY_PURCHASED: 1 });
  });

  it('merged histograms give the fleet p99, not an average of p99s', () => {
    // One instance fast (99 answers ≤ 1 ms), the other slow (1 answer near 1 s): p99 is fast;
    // with 2 slow answers out of 100 it is in the slow bucket.
    const fast = statsOf(Array.from({ length: 99 }, () => ['created', 0.5] as [string, number]));

    expect(quantileMs(addStats(fast, statsOf([['created', 900]])), 0.99)).toBeLessThanOrEqual(1);
    expect(
      quantileMs(
        addStats(
          fast,
          statsOf([
            ['created', 900],
            ['created', 900],
          ]),
        ),
        0.99,
      ),
    ).toBeGreaterThan(500);
  });

  it('has no p99 without answers, and the top bound for answers above it', () => {
    expect(quantileMs(emptyStats(), 0.99)).toBeNull();
    expect(quantileMs(statsOf([['created', 60_000]]), 0.99)).toBe(LATENCY_BUCKETS_MS.at(-1));
  });

  it('parses what an instance publishes and refuses anything else', () => {
    const stats = statsOf([['created', 7]]);

    expect(parseStats(JSON.stringify(stats))).toEqual(stats);
    expect(parseStats('not json')).toBeUndefined();
    expect(parseStats(JSON.stringify({ outcomes: {}, latency: [1, 2] }))).toBeUndefined();
  });
});
