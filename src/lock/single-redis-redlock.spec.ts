import type Redis from 'ioredis';
import { ExecutionError, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
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
  });
});
