import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import Redlock, { ExecutionError, Lock } from 'redlock';
import { LeasedLock } from './leased-lock';
import {
  attemptStats,
  connectionError,
  executionError,
  lockedByAnother,
  lockMetrics,
  mockLogger,
} from './lock.fixtures-spec';

const KEY = 'lock:order:7';
const LEASE_MS = 3_000;

const redlock = new Redlock([{} as Redis], { retryCount: 0 });

/** A lock as redlock hands it out, its lease starting now; release and extend are mocks. */
function newLock(): Lock {
  const lock = new Lock(redlock, [KEY], 'owner-value', [], Date.now() + LEASE_MS);
  jest.spyOn(lock, 'release').mockResolvedValue({ attempts: [] });
  // redlock's extend answers with a replacement lock whose lease starts over.
  jest.spyOn(lock, 'extend').mockImplementation(() => Promise.resolve(newLock()));
  return lock;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

/** What redlock's extend rejects with once the lease it knows of is over. */
const expiredLock = () => new ExecutionError('Cannot extend an already-expired lock.', []);

describe(LeasedLock.name, () => {
  let logger: jest.Mocked<Logger>;
  let metrics: ReturnType<typeof lockMetrics>;
  let lock: Lock;
  let sut: LeasedLock;
  let lostAt: number | undefined;

  beforeEach(() => {
    jest.useFakeTimers();
    logger = mockLogger();
    metrics = lockMetrics();
    lock = newLock();
    sut = new LeasedLock(lock, LEASE_MS, logger, metrics.metrics);
    lostAt = undefined;
    void sut.lost.then(() => (lostAt = Date.now()));
  });

  afterEach(async () => {
    await sut.release();
    jest.useRealTimers();
  });

  it('names the key it holds', () => {
    expect(sut.key).toBe(KEY);
  });

  describe('release', () => {
    it('releases the lock once', async () => {
      await sut.release();

      expect(lock.release).toHaveBeenCalledTimes(1);
      expect(sut.isHeld).toBe(false);
    });

    it('is idempotent, also when called concurrently', async () => {
      await Promise.all([sut.release(), sut.release()]);
      await sut.release();

      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('resolves and logs a warning when the release fails', async () => {
      const failure = new Error('The operation was unable to achieve a quorum');
      jest.mocked(lock.release).mockRejectedValue(failure);

      await expect(sut.release()).resolves.toBeUndefined();

      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.objectContaining({ err: failure, key: KEY }),
        expect.any(String),
      );
    });
  });

  describe('holds', () => {
    it('releases the key only when the last hold ends', async () => {
      sut.addHold();
      sut.addHold();

      await sut.releaseHold();
      await sut.releaseHold();
      expect(lock.release).not.toHaveBeenCalled();
      expect(sut.isHeld).toBe(true);

      await sut.releaseHold();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });
  });

  describe('abandon', () => {
    it('stops the watchdog and leaves the key to expire by its lease', async () => {
      sut.abandon();

      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);
      await sut.release();

      expect(lock.extend).not.toHaveBeenCalled();
      expect(lock.release).not.toHaveBeenCalled();
      expect(sut.isHeld).toBe(false);
      expect(lostAt).toBeUndefined();
    });
  });

  describe('watchdog', () => {
    it('renews the lease by leaseMs when a third of it is left, not before', async () => {
      await jest.advanceTimersByTimeAsync((LEASE_MS * 2) / 3 - 10);
      expect(lock.extend).not.toHaveBeenCalled();

      await jest.advanceTimersByTimeAsync(10);
      expect(lock.extend).toHaveBeenCalledTimes(1);
      expect(lock.extend).toHaveBeenCalledWith(LEASE_MS);
      expect(await metrics.value('lock_renewals_total', { outcome: 'renewed' })).toBe(1);
    });

    it('keeps renewing the replacement lock while held', async () => {
      await jest.advanceTimersByTimeAsync(LEASE_MS - 1);
      const replacement = await jest.mocked(lock.extend).mock.results[0].value;

      await jest.advanceTimersByTimeAsync(LEASE_MS);

      expect(lock.extend).toHaveBeenCalledTimes(1);
      expect(replacement.extend).toHaveBeenCalledTimes(1);
      expect(replacement.extend).toHaveBeenCalledWith(LEASE_MS);
    });

    it('releases the replacement lock, not the one it replaced', async () => {
      await jest.advanceTimersByTimeAsync(LEASE_MS - 1);
      const replacement = await jest.mocked(lock.extend).mock.results[0].value;

      await sut.release();

      expect(replacement.release).toHaveBeenCalledTimes(1);
      expect(lock.release).not.toHaveBeenCalled();
    });

    it('stops renewing once released', async () => {
      await sut.release();

      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);

      expect(lock.extend).not.toHaveBeenCalled();
    });

    it('makes release wait for a renewal in flight, then releases its result', async () => {
      const extension = deferred<Lock>();
      jest.mocked(lock.extend).mockReturnValueOnce(extension.promise);
      await jest.advanceTimersByTimeAsync(LEASE_MS - 1);
      expect(lock.extend).toHaveBeenCalledTimes(1);

      let released = false;
      const release = sut.release().then(() => (released = true));
      await jest.advanceTimersByTimeAsync(0);
      expect(released).toBe(false);
      expect(lock.release).not.toHaveBeenCalled();

      const replacement = newLock();
      extension.resolve(replacement);
      await release;

      expect(replacement.release).toHaveBeenCalledTimes(1);
      expect(lock.release).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);
      expect(replacement.extend).not.toHaveBeenCalled();
    });

    it('retries a renewal Redis could not answer, and holds on when a retry succeeds', async () => {
      const failure = executionError(attemptStats(1, 0, connectionError()));
      jest.mocked(lock.extend).mockRejectedValueOnce(failure).mockRejectedValueOnce(failure);

      await jest.advanceTimersByTimeAsync(LEASE_MS - 1);

      expect(lock.extend).toHaveBeenCalledTimes(3);
      expect(lostAt).toBeUndefined();
      expect(sut.isHeld).toBe(true);
      expect(await metrics.value('lock_renewals_total', { outcome: 'failed' })).toBe(2);
      expect(await metrics.value('lock_renewals_total', { outcome: 'renewed' })).toBe(1);
      // One warning for the streak of failures, not one per retry.
      expect(logger.warn).toHaveBeenCalledTimes(1);

      // The replacement is renewed in turn: the watchdog did not stop.
      const replacement = await jest.mocked(lock.extend).mock.results[2].value;
      await jest.advanceTimersByTimeAsync(LEASE_MS);
      expect(replacement.extend).toHaveBeenCalled();
    });

    it('loses the lock only when the lease has run out with Redis still silent', async () => {
      jest
        .mocked(lock.extend)
        .mockRejectedValue(executionError(attemptStats(1, 0, connectionError())));
      const started = Date.now();

      await jest.advanceTimersByTimeAsync(LEASE_MS - 50);
      expect(lostAt).toBeUndefined();
      expect(jest.mocked(lock.extend).mock.calls.length).toBeGreaterThanOrEqual(3);

      jest.mocked(lock.extend).mockRejectedValue(expiredLock());
      await jest.advanceTimersByTimeAsync(LEASE_MS);

      expect(lostAt).toBeDefined();
      expect(lostAt! - started).toBeGreaterThanOrEqual(LEASE_MS);
      expect(sut.signal.aborted).toBe(true);
      expect(sut.isHeld).toBe(false);
      expect(await metrics.value('lock_lost_total')).toBe(1);
      const lostWarnings = logger.warn.mock.calls.filter(([, message]) =>
        String(message).includes('lost'),
      );
      expect(lostWarnings).toHaveLength(1);

      // Lost: nothing of ours to delete, and no more renewals.
      const calls = jest.mocked(lock.extend).mock.calls.length;
      await jest.advanceTimersByTimeAsync(LEASE_MS * 5);
      expect(jest.mocked(lock.extend).mock.calls.length).toBe(calls);
      await sut.release();
      expect(lock.release).not.toHaveBeenCalled();
    });

    it('loses the lock at once when a majority says another value holds the key', async () => {
      jest
        .mocked(lock.extend)
        .mockRejectedValue(
          executionError(attemptStats(3, 1, lockedByAnother(), lockedByAnother())),
        );

      await jest.advanceTimersByTimeAsync((LEASE_MS * 2) / 3);

      expect(lock.extend).toHaveBeenCalledTimes(1);
      expect(lostAt).toBeDefined();
      expect(sut.signal.aborted).toBe(true);
      expect(await metrics.value('lock_lost_total')).toBe(1);
    });

    it('answers one who asks only after the loss: lost resolved, signal aborted with the reason', async () => {
      const late = new LeasedLock(newLock(), LEASE_MS, logger, metrics.metrics);
      const refusal = executionError(attemptStats(3, 1, lockedByAnother(), lockedByAnother()));
      jest.mocked(late['lock'].extend).mockRejectedValue(refusal);

      await jest.advanceTimersByTimeAsync((LEASE_MS * 2) / 3);

      await expect(late.lost).resolves.toBeUndefined();
      expect(late.signal.aborted).toBe(true);
      expect(late.signal.reason).toBe(refusal);
      await late.release();
    });

    it('keeps retrying when only a minority refuses and the rest is silent', async () => {
      jest
        .mocked(lock.extend)
        .mockRejectedValueOnce(
          executionError(attemptStats(3, 1, lockedByAnother(), connectionError())),
        );

      await jest.advanceTimersByTimeAsync(LEASE_MS - 1);

      expect(jest.mocked(lock.extend).mock.calls.length).toBe(2);
      expect(lostAt).toBeUndefined();
    });
  });
});
