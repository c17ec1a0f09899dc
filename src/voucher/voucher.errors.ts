import { DomainError } from '../common/domain-error';

export class VoucherNotFoundError extends DomainError {
  constructor() {
    super('VOUCHER_NOT_FOUND');
  }
}

export class SeckillNotStartedError extends DomainError {
  constructor() {
    super('SECKILL_NOT_STARTED');
  }
}

export class SeckillEndedError extends DomainError {
  constructor() {
    super('SECKILL_ENDED');
  }
}

export class StockExhaustedError extends DomainError {
  constructor() {
    super('STOCK_EXHAUSTED');
  }
}

/** A stock raise would take the sale past MAX_STOCK units: nothing changed. */
export class StockLimitExceededError extends DomainError {
  constructor() {
    super('STOCK_LIMIT_EXCEEDED');
  }
}

/**
 * Async mode: MySQL committed a stock raise, Redis could neither take it nor
 * be unloaded for a rebuild. The truth is told (503), with the repair.
 */
export class StockRaiseIncompleteError extends DomainError {
  constructor(cause?: unknown) {
    super('STOCK_RAISE_INCOMPLETE', undefined, { cause });
  }
}
