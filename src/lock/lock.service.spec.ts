import type Redis from 'ioredis';
import Redlock, { Lock } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { HeldLock } from './held-lock';
import {
  attemptStats,
  connectionError,
  executionError,
  lockedByAnother,
  lockMetrics,
} from './lock.fixtures-spec';
import { LockWaitTimeoutError } from './lock.errors';
import { LockService } from './lock.service';

const KEY = 'lock:order:7';
const LEASE_MS = 12_345;

describe(LockService.name, () => {
  let redlock: Redlock;
  let acquire: jest.SpiedFunction<Redlock['acquire']>;
  let metrics: ReturnType<typeof lockMetrics>;
  let sut: LockService;

  /** A lock as redlock grants it, valid for the lease from now; release is a mock. */
  function grantedLock(key = KEY, expiration = Date.now() + LEASE_MS): Lock {
    const lock = new Lock(redlock, [key], 'owner-value', [], expiration);
    jest.spyOn(lock, 'release').mockResolvedValue({ attempts: [] });
    return lock;
  }

  const attempts = (outcome: string) => metrics.value('lock_attempts_total', { outcome: outcome });

  beforeEach(() => {
    jest.useFakeTimers();
    redlock = new Redlock([{} as Redis], { retryCount: 0 });
    acquire = jest.spyOn(redlock, 'acquire');
    metrics = lockMetrics();
    sut = new LockService(redlock, metrics.metrics);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('tryLock', () => {
    it('takes the key for the lease and hands back a HeldLock on it', async () => {
      const lock = grantedLock();
      acquire.mockResolvedValue(lock);

      const held = await sut.tryLock(KEY, { leaseMs: LEASE_MS });

      expect(acquire).toHaveBeenCalledTimes(1);
      expect(acquire).toHaveBeenCalledWith([KEY], LEASE_MS);
      expect(held).toBeInstanceOf(HeldLock);
      expect(held?.key).toBe(KEY);
      await held?.release();
      expect(lock.release).toHaveBeenCalledTimes(1);
      expect(await attempts('acquired')).toBe(1);
    });

    it('resolves undefined when every vote of the attempt says the key is held', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(1, 0, lockedByAnother())));

      await expect(sut.tryLock(KEY, { leaseMs: LEASE_MS })).resolves.toBeUndefined();
      expect(await attempts('contended')).toBe(1);
    });

    it('reads the last attempt, not the first', async () => {
      acquire.mockRejectedValue(
        executionError(
          attemptStats(1, 0, connectionError()),
          attemptStats(1, 0, lockedByAnother()),
        ),
      );

      await expect(sut.tryLock(KEY, { leaseMs: LEASE_MS })).resolves.toBeUndefined();
    });

    it.each<[string, () => unknown]>([
      [
        'held on 2 of 3 masters',
        () => executionError(attemptStats(3, 1, lockedByAnother(), lockedByAnother())),
      ],
      [
        'held on 1 of 3, 1 granted, 1 down (the refusal is why there is no majority)',
        () => executionError(attemptStats(3, 1, lockedByAnother(), connectionError())),
      ],
    ])('resolves undefined (contended) when %s', async (_case, failure) => {
      acquire.mockRejectedValue(failure());

      await expect(sut.tryLock(KEY, { leaseMs: LEASE_MS })).resolves.toBeUndefined();
    });

    it.each<[string, () => unknown]>([
      [
        'a vote that is a connection error',
        () => executionError(attemptStats(1, 0, connectionError())),
      ],
      [
        'a last attempt with a connection error',
        () =>
          executionError(
            attemptStats(1, 0, lockedByAnother()),
            attemptStats(1, 0, connectionError()),
          ),
      ],
      [
        '2 of 3 masters down, even with a refusal among the answers',
        () =>
          executionError(
            attemptStats(3, 0, lockedByAnother(), connectionError(), connectionError()),
          ),
      ],
      [
        '2 of 3 masters down, 1 granted',
        () => executionError(attemptStats(3, 1, connectionError(), connectionError())),
      ],
      ['an attempt without votes against', () => executionError(attemptStats(1, 0))],
      ['an execution error without attempts', () => executionError()],
      ['a plain Error', () => new Error('connect ECONNREFUSED 127.0.0.1:6379')],
      ['a non-error value', () => 'boom'],
    ])('rejects with 503 (redis) on %s', async (_case, failure) => {
      const error = failure();
      acquire.mockRejectedValue(error);

      const attempt = sut.tryLock(KEY, { leaseMs: LEASE_MS });

      await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        dependencies: ['redis'],
        cause: error,
      });
      expect(await attempts('unavailable')).toBe(1);
    });

    it('refuses a lock granted after its validity time (503), and releases it', async () => {
      const late = grantedLock(KEY, Date.now() - 1);
      acquire.mockResolvedValue(late);

      await expect(sut.tryLock(KEY, { leaseMs: LEASE_MS })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(late.release).toHaveBeenCalledTimes(1);
    });
  });

  describe('lock', () => {
    it('retries with growing, jittered delays until the holder lets go', async () => {
      const held = executionError(attemptStats(1, 0, lockedByAnother()));
      acquire
        .mockRejectedValueOnce(held)
        .mockRejectedValueOnce(held)
        .mockRejectedValueOnce(held)
        .mockResolvedValueOnce(grantedLock());

      const attempt = sut.lock(KEY, { leaseMs: LEASE_MS, waitMs: 5_000 });
      await jest.advanceTimersByTimeAsync(4);
      expect(acquire).toHaveBeenCalledTimes(1); // the first delay is 5..10 ms
      await jest.advanceTimersByTimeAsync(200);

      const lock = await attempt;
      expect(acquire).toHaveBeenCalledTimes(4);
      expect(lock.key).toBe(KEY);
      expect(await attempts('acquired')).toBe(1);
      expect(await attempts('contended')).toBe(0);
      await lock.release();
    });

    it('gives up with LockWaitTimeoutError once waitMs has passed', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(1, 0, lockedByAnother())));

      const attempt = sut.lock(KEY, { leaseMs: LEASE_MS, waitMs: 1_000 });
      const settled = attempt.catch((error: unknown) => error);
      await jest.advanceTimersByTimeAsync(999);
      expect(jest.mocked(acquire).mock.calls.length).toBeGreaterThan(5);
      const callsBeforeDeadline = acquire.mock.calls.length;
      await jest.advanceTimersByTimeAsync(1);

      const error = await settled;
      expect(error).toBeInstanceOf(LockWaitTimeoutError);
      expect(error).toMatchObject({ code: 'LOCK_WAIT_TIMEOUT', key: KEY, waitMs: 1_000 });
      // One last attempt at the deadline, no more.
      expect(acquire.mock.calls.length).toBe(callsBeforeDeadline + 1);
      expect(await attempts('wait_timeout')).toBe(1);
    });

    it('makes one attempt with waitMs 0', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(1, 0, lockedByAnother())));

      await expect(sut.lock(KEY, { leaseMs: LEASE_MS, waitMs: 0 })).rejects.toBeInstanceOf(
        LockWaitTimeoutError,
      );
      expect(acquire).toHaveBeenCalledTimes(1);
    });

    it('does not wait out an outage: 503 at the first unanswered attempt', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(1, 0, connectionError())));

      await expect(sut.lock(KEY, { leaseMs: LEASE_MS, waitMs: 5_000 })).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(acquire).toHaveBeenCalledTimes(1);
    });
  });

  describe('withLock', () => {
    it('runs fn holding the key and releases after it, also when it throws', async () => {
      const lock = grantedLock();
      acquire.mockResolvedValue(lock);
      const failure = new Error('work failed');

      await expect(
        sut.withLock(KEY, { leaseMs: LEASE_MS }, (held) => {
          expect(held.key).toBe(KEY);
          expect(lock.release).not.toHaveBeenCalled();
          return Promise.reject(failure);
        }),
      ).rejects.toBe(failure);

      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('does not run fn when the key is held by another', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(1, 0, lockedByAnother())));
      const fn = jest.fn();

      await expect(sut.withLock(KEY, { leaseMs: LEASE_MS }, fn)).rejects.toBeInstanceOf(
        LockWaitTimeoutError,
      );
      expect(fn).not.toHaveBeenCalled();
    });
  });

  describe('reentrancy', () => {
    it('gives the holder its key again without asking Redis, and releases at the outermost end', async () => {
      const lock = grantedLock();
      acquire.mockResolvedValue(lock);

      await sut.withLock(KEY, { leaseMs: LEASE_MS }, async () => {
        const inner = await sut.tryLock(KEY, { leaseMs: LEASE_MS });
        await sut.withLock(KEY, { leaseMs: LEASE_MS, waitMs: 100 }, async () => {
          const innermost = await sut.lock(KEY, { leaseMs: LEASE_MS, waitMs: 100 });
          await innermost.release();
        });
        expect(inner).toBeDefined();
        await inner?.release();
        await inner?.release(); // a second release of one hold does not count twice
        expect(lock.release).not.toHaveBeenCalled();
      });

      expect(acquire).toHaveBeenCalledTimes(1);
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('refuses another chain (another request) while the key is held', async () => {
      const lock = grantedLock();
      acquire.mockResolvedValueOnce(lock);
      let finishWork!: () => void;
      const holding = sut.withLock(
        KEY,
        { leaseMs: LEASE_MS },
        () => new Promise<void>((resolve) => (finishWork = resolve)),
      );
      await jest.advanceTimersByTimeAsync(0);
      acquire.mockRejectedValueOnce(executionError(attemptStats(1, 0, lockedByAnother())));

      // The test's own chain is not inside withLock's callback: another holder.
      const outsider = await sut.tryLock(KEY, { leaseMs: LEASE_MS });

      expect(outsider).toBeUndefined();
      expect(acquire).toHaveBeenCalledTimes(2);
      finishWork();
      await holding;
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('takes a key other than the held one from Redis', async () => {
      acquire.mockImplementation((keys) => Promise.resolve(grantedLock(keys[0])));

      await sut.withLock(KEY, { leaseMs: LEASE_MS }, async () => {
        const other = await sut.tryLock('lock:order:8', { leaseMs: LEASE_MS });
        await other?.release();
      });

      expect(acquire).toHaveBeenCalledTimes(2);
    });
  });
});
