import {
  countBy,
  latencyHistogram,
  percentile,
  summarizeLatency,
  throughputInterval,
  throughputSeries,
} from './run-stats';

describe('run stats', () => {
  describe(percentile.name, () => {
    const oneToHundred = Array.from({ length: 100 }, (_, i) => i + 1);

    it('takes the nearest rank', () => {
      expect(percentile(oneToHundred, 50)).toBe(50);
      expect(percentile(oneToHundred, 99)).toBe(99);
      expect(percentile(oneToHundred, 100)).toBe(100);
      expect(percentile([7], 99)).toBe(7);
    });

    it('is 0 for no samples', () => {
      expect(percentile([], 50)).toBe(0);
    });
  });

  describe(summarizeLatency.name, () => {
    it('sorts before it ranks, so the input order does not matter', () => {
      const sut = summarizeLatency([30, 10, 20, 40]);
      expect(sut).toEqual({ min: 10, mean: 25, p50: 20, p90: 40, p99: 40, max: 40 });
    });
  });

  describe(latencyHistogram.name, () => {
    it('counts every sample once, the slow tail in the last bucket', () => {
      const latencies = [...Array.from({ length: 99 }, () => 1), 500];
      const sut = latencyHistogram(latencies, 4);
      expect(sut.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(100);
      expect(sut[sut.length - 1].count).toBe(100);
      expect(sut[sut.length - 1].toMs).toBe(500);
    });

    it('spreads samples below p99 over equal buckets', () => {
      const sut = latencyHistogram([0.5, 1.5, 2.5, 3.5], 4);
      expect(sut.map((bucket) => bucket.count)).toEqual([1, 1, 1, 1]);
      expect(sut.map((bucket) => bucket.fromMs)).toEqual([0, 1, 2, 3]);
    });
  });

  describe(throughputSeries.name, () => {
    it('turns answers per interval into requests per second', () => {
      const samples = [10, 20, 30, 150].map((atMs) => ({ atMs, latencyMs: 1, status: 200 }));
      expect(throughputSeries(samples, 100)).toEqual([
        { atSeconds: 0.1, requestsPerSecond: 30 },
        { atSeconds: 0.2, requestsPerSecond: 10 },
      ]);
    });
  });

  describe(throughputInterval.name, () => {
    it('aims at about 50 points in steps of 50 ms', () => {
      expect(throughputInterval(100)).toBe(50);
      expect(throughputInterval(5000)).toBe(100);
      expect(throughputInterval(12_000)).toBe(250);
    });
  });

  describe(countBy.name, () => {
    it('counts by key', () => {
      expect(countBy([201, 409, 409], String)).toEqual({ '201': 1, '409': 2 });
    });
  });
});
