/** One answered request, as the load generator saw it. */
export interface ResponseSample {
  /** When the answer arrived, in ms since the run started. */
  atMs: number;
  latencyMs: number;
  status: number;
}

export interface LatencySummary {
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface HistogramBucket {
  fromMs: number;
  toMs: number;
  count: number;
}

export interface ThroughputPoint {
  /** End of the interval, in seconds since the run started. */
  atSeconds: number;
  requestsPerSecond: number;
}

const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

/** Nearest-rank percentile of an ascending array; 0 for an empty one. */
export function percentile(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1];
}

export function summarizeLatency(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    min: round(sorted[0] ?? 0),
    mean: round(sorted.length ? sum / sorted.length : 0),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
  };
}

/**
 * Equal-width buckets from 0 to the 99th percentile; the last bucket also holds
 * the slow tail, so one outlier does not squash the chart into a single bar.
 */
export function latencyHistogram(
  latenciesMs: readonly number[],
  bucketCount = 40,
): HistogramBucket[] {
  if (latenciesMs.length === 0) return [];
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const top = Math.max(1, Math.ceil(percentile(sorted, 99)));
  const width = top / bucketCount;
  const buckets = Array.from({ length: bucketCount }, (_, i) => ({
    fromMs: round(i * width),
    toMs: round((i + 1) * width),
    count: 0,
  }));
  for (const latency of sorted) {
    buckets[Math.min(bucketCount - 1, Math.floor(latency / width))].count += 1;
  }
  buckets[bucketCount - 1].toMs = round(sorted[sorted.length - 1]);
  return buckets;
}

/** Answers per interval, as requests per second, from the first interval to the last answer. */
export function throughputSeries(
  samples: readonly ResponseSample[],
  intervalMs: number,
): ThroughputPoint[] {
  if (samples.length === 0) return [];
  const last = samples.reduce((latest, sample) => Math.max(latest, sample.atMs), 0);
  const counts = new Array<number>(Math.floor(last / intervalMs) + 1).fill(0);
  for (const sample of samples) counts[Math.floor(sample.atMs / intervalMs)] += 1;
  return counts.map((count, i) => ({
    atSeconds: round(((i + 1) * intervalMs) / 1000, 3),
    requestsPerSecond: round((count * 1000) / intervalMs, 1),
  }));
}

/** About 50 points whatever the run's length, in round steps of 50 ms. */
export function throughputInterval(durationMs: number): number {
  return Math.max(50, Math.ceil(durationMs / 50 / 50) * 50);
}

export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
