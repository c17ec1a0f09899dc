import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import Redlock, { Lock } from 'redlock';
import { HeldLock } from './held-lock';

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

function mockLogger(): jest.Mocked<Logger> {
  return {
    log: jest.fn(),
    error: jest.fn(),
    warn: jest.fn(),
    debug: jest.fn(),
    verbose: jest.fn(),
    fatal: jest.fn(),
  } as unknown as jest.Mocked<Logger>;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe(HeldLock.name, () => {
  let logger: jest.Mocked<Logger>;
  let lock: Lock;
  let sut: HeldLock;

  beforeEach(() => {
    jest.useFakeTimers();
    logger = mockLogger();
    lock = newLock();
    sut = new HeldLock(lock, LEASE_MS, logger);
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

  describe('abandon', () => {
    it('stops extending and never deletes the key, so it lives out its lease', async () => {
      sut.abandon();

      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);
      await sut.release();

      expect(lock.extend).not.toHaveBeenCalled();
      expect(lock.release).not.toHaveBeenCalled();
    });

    it('does nothing after a release', async () => {
      await sut.release();

      sut.abandon();

      expect(lock.release).toHaveBeenCalledTimes(1);
    });
  });

  describe('lease extension', () => {
    it('extends the lease by leaseMs before it runs out, not right away', async () => {
      await jest.advanceTimersByTimeAsync(LEASE_MS / 2);
      expect(lock.extend).not.toHaveBeenCalled();

      await jest.advanceTimersByTimeAsync(LEASE_MS / 2 - 1);
      expect(lock.extend).toHaveBeenCalledTimes(1);
      expect(lock.extend).toHaveBeenCalledWith(LEASE_MS);
    });

    it('keeps extending the replacement lock while held', async () => {
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

    it('stops extending once released', async () => {
      await sut.release();

      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);

      expect(lock.extend).not.toHaveBeenCalled();
    });

    it('makes release wait for an extension in flight, then releases its result', async () => {
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

    it('logs a failed extension, stops extending, and still releases', async () => {
      const failure = new Error('Cannot extend an already-expired lock.');
      jest.mocked(lock.extend).mockRejectedValue(failure);

      await jest.advanceTimersByTimeAsync(LEASE_MS * 10);

      expect(lock.extend).toHaveBeenCalledTimes(1);
      expect(logger.warn).toHaveBeenCalledWith(
        expect.objectContaining({ err: failure, key: KEY }),
        expect.any(String),
      );
      await expect(sut.release()).resolves.toBeUndefined();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });
  });
});
