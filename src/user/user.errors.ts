import { DomainError } from '../common/domain-error';
import { RetryLaterError } from '../common/retry-later.error';

export class UnauthorizedError extends DomainError {
  constructor() {
    super('UNAUTHORIZED');
  }
}

export class InvalidCodeError extends DomainError {
  constructor() {
    super('INVALID_CODE');
  }
}

export class AdminOnlyError extends DomainError {
  constructor() {
    super('FORBIDDEN');
  }
}

export class SessionRevokedError extends DomainError {
  constructor() {
    super('SESSION_REVOKED');
  }
}

/** LOGIN_MAX_FAILURES wrong codes within the window: no login for the phone until it ends. */
export class TooManyAttemptsError extends RetryLaterError {
  constructor(retryAfterSeconds: number) {
    super('TOO_MANY_ATTEMPTS', retryAfterSeconds);
  }
}

/** A code asked for within the cooldown, or more than LOGIN_CODES_PER_DAY in a day. */
export class TooManyCodeRequestsError extends RetryLaterError {
  constructor(retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', retryAfterSeconds);
  }
}

/** The SMS webhook failed or timed out: the shopper got no code, and none was stored. */
export class CodeNotSentError extends DomainError {
  constructor(cause: unknown) {
    super('CODE_NOT_SENT', undefined, { cause });
  }
}
