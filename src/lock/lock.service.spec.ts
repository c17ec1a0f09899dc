import type Redis from 'ioredis';
import Redlock, { ExecutionError, ExecutionStats, Lock, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { HeldLock } from './held-lock';
import { LockService } from './lock.service';

const KEY = 'lock:order:7';
const LEASE_MS = 12_345;

/** Stands in for the one Redis node; redlock only keeps it in a set until it talks to it. */
const redisNode = {} as Redis;

function attemptStats(...votesAgainst: Error[]): ExecutionStats {
  return {
    membershipSize: 1,
    quorumSize: 1,
    votesFor: new Set(),
    votesAgainst: new Map(
      votesAgainst.map((vote, i) => [i === 0 ? redisNode : ({} as Redis), vote]),
    ),
  };
}

/** What redlock rejects with when no attempt reached a quorum. */
function executionError(...attempts: ExecutionStats[]): ExecutionError {
  return new ExecutionError(
    'The operation was unable to achieve a quorum during its retry window.',
    attempts.map((stats) => Promise.resolve(stats)),
  );
}

const lockedByAnother = () =>
  new ResourceLockedError('The operation was applied to: 0 of the 1 requested resources.');
const connectionError = () =>
  new Error("Stream isn't writeable and enableOfflineQueue options is false");

describe(LockService.name, () => {
  let redlock: Redlock;
  let acquire: jest.SpiedFunction<Redlock['acquire']>;
  let sut: LockService;

  beforeEach(() => {
    jest.useFakeTimers();
    redlock = new Redlock([redisNode], { retryCount: 0 });
    acquire = jest.spyOn(redlock, 'acquire');
    sut = new LockService(redlock);
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  describe('tryLock', () => {
    it('takes the key for the lease and hands back a HeldLock on it', async () => {
      const lock = new Lock(redlock, [KEY], 'owner-value', [], Date.now() + LEASE_MS);
      const release = jest.spyOn(lock, 'release').mockResolvedValue({ attempts: [] });
      acquire.mockResolvedValue(lock);

      const held = await sut.tryLock(KEY, LEASE_MS);

      expect(acquire).toHaveBeenCalledTimes(1);
      expect(acquire).toHaveBeenCalledWith([KEY], LEASE_MS);
      expect(held).toBeInstanceOf(HeldLock);
      expect(held?.key).toBe(KEY);
      await held?.release();
      expect(release).toHaveBeenCalledTimes(1);
    });

    it('resolves undefined when every vote of the attempt says the key is held', async () => {
      acquire.mockRejectedValue(executionError(attemptStats(lockedByAnother())));

      await expect(sut.tryLock(KEY, LEASE_MS)).resolves.toBeUndefined();
    });

    it('reads the last attempt, not the first', async () => {
      acquire.mockRejectedValue(
        executionError(attemptStats(connectionError()), attemptStats(lockedByAnother())),
      );

      await expect(sut.tryLock(KEY, LEASE_MS)).resolves.toBeUndefined();
    });

    it.each<[string, () => unknown]>([
      ['a vote that is a connection error', () => executionError(attemptStats(connectionError()))],
      [
        'a last attempt with a connection error',
        () => executionError(attemptStats(lockedByAnother()), attemptStats(connectionError())),
      ],
      [
        'a held vote next to a connection error',
        () => executionError(attemptStats(lockedByAnother(), connectionError())),
      ],
      ['an attempt without votes against', () => executionError(attemptStats())],
      ['an execution error without attempts', () => executionError()],
      ['a plain Error', () => new Error('connect ECONNREFUSED 127.0.0.1:6379')],
      ['a non-error value', () => 'boom'],
    ])('rejects with 503 (redis) on %s', async (_case, failure) => {
      const error = failure();
      acquire.mockRejectedValue(error);

      const attempt = sut.tryLock(KEY, LEASE_MS);

      await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
      await expect(attempt).rejects.toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        dependencies: ['redis'],
        cause: error,
      });
    });
  });
});
