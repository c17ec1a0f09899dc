import type Redis from 'ioredis';
import { Cluster } from 'ioredis';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { HeldLock } from './held-lock';
import { connectionError, lockMetrics } from './lock.fixtures-spec';
import { LockService } from './lock.service';
import { SingleRedisRedlock } from './single-redis-redlock';

const KEY = 'lock:order:7';
const LEASE_MS = 12_345;

/** The commands SingleRedisRedlock sends, as jest mocks. */
function fakeRedis() {
  return {
    defineCommand: jest.fn(),
    set: jest.fn<Promise<string | null>, unknown[]>().mockResolvedValue('OK'),
    redlockReleaseOne: jest.fn<Promise<number>, [string, string]>().mockResolvedValue(1),
    evalsha: jest.fn(),
    eval: jest.fn(),
  };
}

async function lastVote(error: unknown): Promise<Error | undefined> {
  expect(error).toBeInstanceOf(ExecutionError);
  const { attempts } = error as ExecutionError;
  const stats = await attempts[attempts.length - 1];
  return [...stats.votesAgainst.values()][0];
}

describe(SingleRedisRedlock.name, () => {
  let redis: ReturnType<typeof fakeRedis>;
  let sut: SingleRedisRedlock;

  beforeEach(() => {
    redis = fakeRedis();
    sut = new SingleRedisRedlock(redis as unknown as Redis, { retryCount: 0 });
  });

  it('takes a free key with one SET NX PX, valid for the lease minus the drift', async () => {
    const before = Date.now();

    const lock = await sut.acquire([KEY], LEASE_MS);

    expect(redis.set).toHaveBeenCalledTimes(1);
    expect(redis.set).toHaveBeenCalledWith(KEY, lock.value, 'PX', LEASE_MS, 'NX');
    // A random UUID: 122 random bits, unique per holder.
    expect(lock.value).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const drift = Math.round(0.01 * LEASE_MS) + 2;
    expect(lock.expiration).toBeGreaterThanOrEqual(before + LEASE_MS - drift);
    expect(lock.expiration).toBeLessThanOrEqual(Date.now() + LEASE_MS - drift);
    expect(redis.evalsha).not.toHaveBeenCalled();
  });

  it('gives every lock a value of its own', async () => {
    const [a, b] = await Promise.all([sut.acquire([KEY], LEASE_MS), sut.acquire([KEY], LEASE_MS)]);

    expect(a.value).not.toBe(b.value);
  });

  it('answers a held key with one round trip: a ResourceLockedError vote, nothing to undo', async () => {
    redis.set.mockResolvedValue(null);

    const error = await sut.acquire([KEY], LEASE_MS).catch((e: unknown) => e);

    expect(await lastVote(error)).toBeInstanceOf(ResourceLockedError);
    expect(redis.set).toHaveBeenCalledTimes(1);
    expect(redis.redlockReleaseOne).not.toHaveBeenCalled();
    expect(redis.evalsha).not.toHaveBeenCalled();
  });

  it('answers an unanswered SET with its error as the vote, and takes back what may have landed', async () => {
    const down = connectionError();
    redis.set.mockRejectedValue(down);
    redis.redlockReleaseOne.mockRejectedValue(down);

    const error = await sut.acquire([KEY], LEASE_MS).catch((e: unknown) => e);

    expect(await lastVote(error)).toBe(down);
    const value = (redis.set.mock.calls[0] as string[])[1];
    expect(redis.redlockReleaseOne).toHaveBeenCalledWith(KEY, value);
  });

  it('releases with one compare-and-delete of its own value', async () => {
    const lock = await sut.acquire([KEY], LEASE_MS);

    await lock.release();

    expect(redis.redlockReleaseOne).toHaveBeenCalledWith(KEY, lock.value);
    expect(lock.expiration).toBe(0);
  });

  it('rejects a release when the key no longer holds its value', async () => {
    const lock = await sut.acquire([KEY], LEASE_MS);
    redis.redlockReleaseOne.mockResolvedValue(0);

    const error = await lock.release().catch((e: unknown) => e);

    expect(await lastVote(error)).toBeInstanceOf(ResourceLockedError);
  });

  describe('behind LockService', () => {
    it('keeps contended and unavailable apart', async () => {
      const metrics = lockMetrics();
      const locks = new LockService(sut, metrics.metrics);

      redis.set.mockResolvedValueOnce(null);
      await expect(locks.tryLock(KEY, { leaseMs: LEASE_MS })).resolves.toBeUndefined();
      redis.set.mockRejectedValueOnce(connectionError());
      await expect(locks.tryLock(KEY, { leaseMs: LEASE_MS })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      const held = await locks.tryLock(KEY, { leaseMs: LEASE_MS });
      await held?.release();

      expect(await metrics.value('lock_attempts_total', { outcome: 'contended' })).toBe(1);
      expect(await metrics.value('lock_attempts_total', { outcome: 'unavailable' })).toBe(1);
      expect(await metrics.value('lock_attempts_total', { outcome: 'acquired' })).toBe(1);
      expect(redis.redlockReleaseOne).toHaveBeenCalledTimes(2);
    });

    describe('scriptedAttempt: a lock that a script on the same client takes and releases', () => {
      let metrics: ReturnType<typeof lockMetrics>;
      let locks: LockService;
      const client = () => redis as unknown as Redis;
      const attempts = (outcome: string) =>
        metrics.value('lock_attempts_total', { outcome: outcome });

      beforeEach(() => {
        metrics = lockMetrics();
        locks = new LockService(sut, metrics.metrics);
      });

      it('hands the script a key, a value of its own and the lease; acquired() holds it as tryLock does', async () => {
        const attempt = locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!;
        expect(attempt).toMatchObject({ key: KEY, leaseMs: LEASE_MS });
        expect(attempt.value).toMatch(/^[0-9a-f-]{36}$/);
        expect(locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!.value).not.toBe(
          attempt.value,
        );

        const held = attempt.acquired();

        expect(held).toBeInstanceOf(HeldLock);
        expect(held.key).toBe(KEY);
        expect(await attempts('acquired')).toBe(1);
        // No Redis call of its own: the script took the key.
        expect(redis.set).not.toHaveBeenCalled();
        await held.release();
        expect(redis.redlockReleaseOne).toHaveBeenCalledWith(KEY, attempt.value);
      });

      it('gives back a key the script took too late to trust (lease over) and answers 503', async () => {
        jest.useFakeTimers();
        try {
          const attempt = locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!;
          jest.advanceTimersByTime(LEASE_MS);

          expect(() => attempt.acquired()).toThrow(DependencyUnavailableError);
          expect(redis.redlockReleaseOne).toHaveBeenCalledWith(KEY, attempt.value);
          expect(await attempts('unavailable')).toBe(1);
          expect(await attempts('acquired')).toBe(0);
        } finally {
          jest.useRealTimers();
        }
      });

      it('counts a key held by someone else as contended', async () => {
        locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!.refused();

        expect(await attempts('contended')).toBe(1);
        expect(await attempts('acquired')).toBe(0);
      });

      it('answers an unanswered script with a 503 error and takes back what may have landed', async () => {
        const attempt = locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!;
        const down = connectionError();

        const error = attempt.failed(down);

        expect(error).toBeInstanceOf(DependencyUnavailableError);
        expect(error.cause).toBe(down);
        expect(await attempts('unavailable')).toBe(1);
        expect(redis.redlockReleaseOne).toHaveBeenCalledWith(KEY, attempt.value);
      });

      it('ends with releasedByScript: no Redis call on release, no renewal later', async () => {
        jest.useFakeTimers();
        try {
          const held = locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })!.acquired();
          const extend = jest.spyOn(sut, 'extend');

          held.releasedByScript();
          await held.release();
          jest.advanceTimersByTime(3 * LEASE_MS);

          expect(redis.redlockReleaseOne).not.toHaveBeenCalled();
          expect(extend).not.toHaveBeenCalled();
        } finally {
          jest.useRealTimers();
        }
      });

      it('is not offered where a script on the client cannot take the lock', () => {
        // Locks on another client (REDIS_LOCK_URLS of one master).
        expect(
          locks.scriptedAttempt(fakeRedis() as unknown as Redis, KEY, { leaseMs: LEASE_MS }),
        ).toBeUndefined();
        // A quorum of masters: one call per master.
        const quorum = new LockService(
          new Redlock([client(), client(), client()], { retryCount: 0 }),
          metrics.metrics,
        );
        expect(quorum.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })).toBeUndefined();
        // A Redis Cluster: the lock's slot is not the script's.
        const cluster = Object.assign(Object.create(Cluster.prototype) as Cluster, redis);
        const onCluster = new LockService(
          new SingleRedisRedlock(cluster, { retryCount: 0 }),
          metrics.metrics,
        );
        expect(onCluster.scriptedAttempt(cluster, KEY, { leaseMs: LEASE_MS })).toBeUndefined();
      });

      it('is not offered inside a chain that holds the key already (tryLock reenters it)', async () => {
        const scripted = await locks.withLock(KEY, { leaseMs: LEASE_MS }, () =>
          Promise.resolve(locks.scriptedAttempt(client(), KEY, { leaseMs: LEASE_MS })),
        );

        expect(scripted).toBeUndefined();
      });
    });
  });
});
