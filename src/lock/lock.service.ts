import { Inject, Injectable, Logger } from '@nestjs/common';
import Redlock, { ExecutionError, ResourceLockedError } from 'redlock';
import { DependencyUnavailableError } from '../common/domain-error';
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
}

async function isHeldByAnother(error: unknown): Promise<boolean> {
  if (!(error instanceof ExecutionError) || error.attempts.length === 0) return false;
  const stats = await error.attempts[error.attempts.length - 1];
  const votes = [...stats.votesAgainst.values()];
  return votes.length > 0 && votes.every((vote) => vote instanceof ResourceLockedError);
}
