import { ERROR_TABLE, ErrorCode } from './error-codes';

/**
 * An expected failure. `detail` replaces the table's message only for the codes
 * whose message must say something specific (which field, which dependency).
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(detail ?? ERROR_TABLE[code].message, options);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(detail: string) {
    super('VALIDATION_FAILED', detail);
  }
}

export type Dependency = 'mysql' | 'redis';

export class DependencyUnavailableError extends DomainError {
  constructor(
    readonly dependencies: readonly Dependency[],
    cause?: unknown,
  ) {
    super('SERVICE_UNAVAILABLE', `${dependencies.join(' and ')} unavailable`, { cause });
  }
}
