import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
import { LockWaitTimeoutError } from './lock.errors';
import { HeldLock } from './held-lock';
import { REDLOCK } from './lock.constants';

/**
 * Distributed locks with tryLock semantics: one attempt, no waiting. Owner-safe
 * release comes from redlock: only the random value this holder wrote can
 * delete the key.
 */
@Injectable()
export class LockService {
  private readonly logger = new Logger(LockService.name);

  constructor(@Inject(REDLOCK) private readonly redlock: Redlock) {}

  /**
   * Takes `key` for `leaseMs`. Resolves undefined when someone else holds it;
   * rejects with DependencyUnavailableError when Redis cannot answer.
   */
  async tryLock(key: string, leaseMs: number): Promise<HeldLock | undefined> {
    try {
      const lock = await this.redlock.acquire([key], leaseMs);
      return new HeldLock(lock, leaseMs, this.logger);
    } catch (error) {
      if (await isHeldByAnother(error)) return undefined;
      throw new DependencyUnavailableError(['redis'], error);
    }
  }

  // ---- TEMPORARY (wt-users): a minimal waiting lock until the real lock()/withLock() of
  // ---- wt-locks lands on main; same contract. The lead drops this block at merge.
  async lock(key: string, opts: { leaseMs: number; waitMs: number }): Promise<HeldLock> {
    const deadline = Date.now() + opts.waitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      const held = await this.tryLock(key, opts.leaseMs);
      if (held) return held;
      if (Date.now() >= deadline) throw new LockWaitTimeoutError(key, opts.waitMs);
      await sleep(Math.min(delay / 2 + Math.random() * delay, Math.max(0, deadline - Date.now())));
    }
  }

  async withLock<T>(
    key: string,
    opts: { leaseMs: number; waitMs?: number },
    fn: () => Promise<T>,
  ): Promise<T> {
    const held = await this.lock(key, { leaseMs: opts.leaseMs, waitMs: opts.waitMs ?? 0 });
    try {
      return await fn();
    } finally {
      await held.release();
    }
  }
}
// ---- end TEMPORARY

async function isHeldByAnother(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError) || error.attempts.length === 0) return false;
  const stats = await error.attempts[error.attempts.length - 1];
  const votes = [...stats.votesAgainst.values()];
  return votes.length > 0 && votes.every((vote) => vote instanceof ResourceLockedError);
}
