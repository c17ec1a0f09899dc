import { DomainError } from '../common/domain-error';

/**
 * lock() waited its whole waitMs and someone else still held the key. Contention,
 * not an outage: Redis answered every attempt (an outage is DependencyUnavailableError).
 */
export class LockWaitTimeoutError extends DomainError {
  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super('LOCK_WAIT_TIMEOUT');
  }
}
