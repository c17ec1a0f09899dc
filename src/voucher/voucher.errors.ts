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
