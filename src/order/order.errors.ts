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

/** The order may or may not exist: MySQL could not be asked in time (504). */
export class OrderOutcomeUnknownError extends DomainError {
  constructor() {
    super('ORDER_OUTCOME_UNKNOWN');
  }
}

export class OrderNotFoundError extends DomainError {
  constructor() {
    super('ORDER_NOT_FOUND');
  }
}

/** Async mode: the voucher's Redis keys are missing and could not be rebuilt in time (503). */
export class StockRebuildingError extends DomainError {
  constructor() {
    super('STOCK_REBUILDING');
  }
}
