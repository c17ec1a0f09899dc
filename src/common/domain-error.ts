import { ERROR_TABLE, ErrorCode } from './error-codes';

/**
 * An expected failure. `detail` replaces the table's message only for the codes
 * whose message must say something specific (which field, which dependency).
 *
 * It carries no stack frames: it is answered by its code and never logged with
 * a stack, and capturing one costs a few microseconds per refused request (a
 * sold-out crowd throws thousands a second). A `cause` keeps its own stack.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail ?? ERROR_TABLE[code].message, options);
    Error.stackTraceLimit = stackTraceLimit;
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
