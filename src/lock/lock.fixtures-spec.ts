import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { ExecutionError, ExecutionStats, ResourceLockedError } from 'redlock';
import { LockMetrics } from '../metrics/lock.metrics';

/** Shared by the unit specs of src/lock (out of the build: the name ends in spec.ts). */

/** One attempt's votes over `membershipSize` masters. */
export function attemptStats(
  membershipSize: number,
  votesFor: number,
  ...votesAgainst: Error[]
): ExecutionStats {
  return {
    membershipSize,
    quorumSize: Math.floor(membershipSize / 2) + 1,
    votesFor: new Set(Array.from({ length: votesFor }, () => ({}) as Redis)),
    votesAgainst: new Map(votesAgainst.map((vote) => [{} as Redis, vote])),
  };
}

/** What redlock rejects with when no attempt reached a quorum. */
export function executionError(...attempts: ExecutionStats[]): ExecutionError {
  return new ExecutionError(
    'The operation was unable to achieve a quorum during its retry window.',
    attempts.map((stats) => Promise.resolve(stats)),
  );
}

export const lockedByAnother = () =>
  new ResourceLockedError('The operation was applied to: 0 of the 1 requested resources.');
export const connectionError = () =>
  new Error("Stream isn't writeable and enableOfflineQueue options is false");

export function mockLogger(): jest.Mocked<Logger> {
  return {
    log: jest.fn(),
    error: jest.fn(),
    warn: jest.fn(),
    debug: jest.fn(),
    verbose: jest.fn(),
    fatal: jest.fn(),
  } as unknown as jest.Mocked<Logger>;
}

/** Real LockMetrics on a registry of the test's own, and a reader of its values. */
export function lockMetrics(): {
  metrics: LockMetrics;
  value: (name: string, labels?: Record<string, string>) => Promise<number>;
} {
  const registry = new Registry();
  return {
    metrics: new LockMetrics(registry),
    value: async (name, labels = {}) => {
      const metric = registry.getSingleMetric(name);
      if (!metric) throw new Error(`no metric ${name}`);
      const { values } = await metric.get();
      const match = values.find((v) =>
        Object.entries(labels).every(([k, want]) => v.labels[k] === want),
      );
      return match?.value ?? 0;
    },
  };
}
