import { DomainError } from './domain-error';
import { ErrorCode } from './error-codes';

/** An expected failure that ends by itself: the filter sends `Retry-After: retryAfterSeconds`. */
export class RetryLaterError extends DomainError {
  constructor(
    code: ErrorCode,
    readonly retryAfterSeconds: number,
  ) {
    super(code);
  }
}
