import { SeckillEndedError, SeckillNotStartedError, StockExhaustedError } from './voucher.errors';

/** What the order flow needs to know about a seckill voucher before it locks anything. */
export interface SeckillOffer {
  voucherId: number;
  beginTime: Date;
  endTime: Date;
  /** Stock as last read; may be stale-high (the transaction re-checks), never stale-low. */
  stock: number;
}

/**
 * The checks that need no lock: the window is [beginTime, endTime) and some
 * stock must be left. They only turn away requests early; the `stock > 0`
 * update inside the transaction is what makes overselling impossible.
 */
export function assertSeckillOpen(offer: SeckillOffer, now: Date): void {
  if (now.getTime() < offer.beginTime.getTime()) throw new SeckillNotStartedError();
  if (now.getTime() >= offer.endTime.getTime()) throw new SeckillEndedError();
  if (offer.stock <= 0) throw new StockExhaustedError();
}
