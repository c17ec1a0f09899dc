import { DomainError } from '../common/domain-error';

export class DuplicateOrderError extends DomainError {
  constructor() {
    super('DUPLICATE_ORDER');
  }
}

export class AlreadyPurchasedError extends DomainError {
  constructor() {
    super('ALREADY_PURCHASED');
  }
}

export class OrderNotFoundError extends DomainError {
  constructor() {
    super('ORDER_NOT_FOUND');
  }
}
