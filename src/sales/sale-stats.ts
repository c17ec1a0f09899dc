/**
 * What one instance has seen of a sale's seckill requests, cumulative since it
 * started: answers by outcome and a fixed-bucket latency histogram. Fixed buckets
 * so that the instances' histograms add up bucket by bucket (a fleet-wide p99
 * cannot be computed from per-instance p99s).
 */
export interface SaleStats {
  /** Answers by outcome: `created` (sync: committed; async: accepted) or the error code. */
  outcomes: Record<string, number>;
  /** Answers per latency bucket: index i counts those ≤ LATENCY_BUCKETS_MS[i]; the last, the rest. */
  latency: number[];
}

/** Upper bounds of the latency buckets, in ms. */
export const LATENCY_BUCKETS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000,
];

export const CREATED = 'created';

export function emptyStats(): SaleStats {
  return { outcomes: {}, latency: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0) };
}

export function recordAnswer(stats: SaleStats, outcome: string, ms: number): void {
  stats.outcomes[outcome] = (stats.outcomes[outcome] ?? 0) + 1;
  let bucket = 0;
  while (bucket < LATENCY_BUCKETS_MS.length && ms > LATENCY_BUCKETS_MS[bucket]) bucket += 1;
  stats.latency[bucket] += 1;
}

/** `a + b`, bucket by bucket and outcome by outcome. */
export function addStats(a: SaleStats, b: SaleStats): SaleStats {
  const sum = emptyStats();
  for (const stats of [a, b]) {
    for (const [outcome, count] of Object.entries(stats.outcomes)) {
      sum.outcomes[outcome] = (sum.outcomes[outcome] ?? 0) + count;
    }
    stats.latency.forEach((count, i) => (sum.latency[i] += count));
  }
  return sum;
}

/** What happened between two cumulative readings (`later - earlier`, never negative). */
export function statsBetween(earlier: SaleStats, later: SaleStats): SaleStats {
  const delta = emptyStats();
  for (const [outcome, count] of Object.entries(later.outcomes)) {
    const grown = count - (earlier.outcomes[outcome] ?? 0);
    if (grown > 0) delta.outcomes[outcome] = grown;
  }
  later.latency.forEach((count, i) => (delta.latency[i] = Math.max(0, count - earlier.latency[i])));
  return delta;
}

export function createdCount(stats: SaleStats): number {
  return stats.outcomes[CREATED] ?? 0;
}

export function rejections(stats: SaleStats): Record<string, number> {
  return Object.fromEntries(
    Object.entries(stats.outcomes).filter(([outcome]) => outcome !== CREATED),
  );
}

export function rejectionCount(stats: SaleStats): number {
  return Object.values(rejections(stats)).reduce((sum, count) => sum + count, 0);
}

/**
 * The q-quantile of the histogram in ms, interpolated linearly inside its bucket
 * (as Prometheus's histogram_quantile does); the top bound when it falls in the
 * open last bucket; null without answers.
 */
export function quantileMs(stats: SaleStats, q: number): number | null {
  const total = stats.latency.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < stats.latency.length; i += 1) {
    const count = stats.latency[i];
    if (below + count >= rank && count > 0) {
      if (i >= LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKETS_MS[i - 1];
      const upper = LATENCY_BUCKETS_MS[i];
      return lower + ((upper - lower) * (rank - below)) / count;
    }
    below += count;
  }
  return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1];
}

/** Parses one instance's published stats; undefined when it is not what publish() writes. */
export function parseStats(text: string): SaleStats | undefined {
  try {
    const value = JSON.parse(text) as Partial<SaleStats>;
    const stats = emptyStats();
    if (typeof value.outcomes !== 'object' || value.outcomes === null) return undefined;
    if (!Array.isArray(value.latency) || value.latency.length !== stats.latency.length) {
      return undefined;
    }
    for (const [outcome, count] of Object.entries(value.outcomes)) {
      if (typeof count === 'number' && Number.isFinite(count)) stats.outcomes[outcome] = count;
    }
    value.latency.forEach((count, i) => (stats.latency[i] = Number(count) || 0));
    return stats;
  } catch {
    return undefined;
  }
}
