import { DomainError } from '../common/domain-error';

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
