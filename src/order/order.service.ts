import { Inject, Injectable } from '@nestjs/common';
import { seckillConfig, SeckillConfig } from '../config/configuration';
import { LockService } from '../lock/lock.service';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { RedisKeys } from '../redis/redis-keys';
import { assertSeckillOpen } from '../voucher/seckill-rules';
import {
  SeckillEndedError,
  SeckillNotStartedError,
  StockExhaustedError,
} from '../voucher/voucher.errors';
import { VoucherService } from '../voucher/voucher.service';
import { OrderIdGenerator } from './order-id.generator';
import {
  AlreadyPurchasedError,
  DuplicateOrderError,
  OrderNotFoundError,
  OrderOutcomeUnknownError,
} from './order.errors';
import { OrderRepository, SeckillOrderOutcome } from './order.repository';
import { VoucherOrder } from './voucher-order.entity';

@Injectable()
export class OrderService {
  constructor(
    private readonly vouchers: VoucherService,
    private readonly orders: OrderRepository,
    private readonly locks: LockService,
    private readonly orderIds: OrderIdGenerator,
    private readonly metrics: SeckillMetrics,
    @Inject(seckillConfig.KEY) private readonly config: SeckillConfig,
  ) {}

  /** The seckill. Resolves with the new order id once the order is committed. */
  placeSeckillOrder(userId: number, voucherId: number): Promise<string> {
    return this.metrics.track(() => this.seckill(userId, voucherId));
  }

  private async seckill(userId: number, voucherId: number): Promise<string> {
    // 1. Turn away what needs no lock: unknown voucher, outside the window, sold out.
    const offer = await this.vouchers.getSeckillOffer(voucherId);
    assertSeckillOpen(offer, new Date());

    // 2. One order attempt per user at a time. tryLock never waits: a second
    //    concurrent request of the same user is refused, not queued.
    const lock = await this.locks.tryLock(RedisKeys.orderLock(userId), {
      leaseMs: this.config.orderLockLeaseMs,
    });
    if (!lock) throw new DuplicateOrderError();
    let outcome: SeckillOrderOutcome | undefined;
    try {
      // 3. Check the window on the database's clock, take stock and insert in
      //    one transaction that has committed when this returns. A 503 from it
      //    means the order does not exist and never will.
      const orderId = await this.orderIds.next();
      outcome = await this.orders.createWithStockDeduction({ orderId, userId, voucherId });
      return this.answer(outcome, orderId, voucherId);
    } finally {
      // 4. Release only after commit. Released inside the transaction, the lock
      //    would let the user's next request start before this order is visible.
      //    When the outcome is unknown the call may still run on the server: the
      //    lock stays until its lease (longer than any such call) runs out.
      if (outcome === 'outcome-unknown') lock.abandon();
      else await lock.release();
    }
  }

  private answer(outcome: SeckillOrderOutcome, orderId: string, voucherId: number): string {
    switch (outcome) {
      case 'created':
        return orderId;
      case 'already-purchased':
        throw new AlreadyPurchasedError();
      case 'sold-out':
        this.vouchers.recordSoldOut(voucherId);
        throw new StockExhaustedError();
      case 'not-started':
        throw new SeckillNotStartedError();
      case 'ended':
        throw new SeckillEndedError();
      case 'outcome-unknown':
        throw new OrderOutcomeUnknownError();
      case 'id-collision':
        // Nothing was written (rolled back). The id generator handed out an id
        // already taken: its Redis sequence went back (a flush, a failover that
        // lost writes). Not the shopper's doing and not "already purchased": a
        // logged 500, so an operator sees it; the shopper's retry gets a new id.
        throw new Error(`order id ${orderId} is taken by another order: the id sequence went back`);
    }
  }

  listOrders(userId: number): Promise<VoucherOrder[]> {
    return this.orders.findByUser(userId);
  }

  async getOrder(userId: number, orderId: string): Promise<VoucherOrder> {
    // Someone else's order is "not found": its existence is not the caller's business.
    const order = await this.orders.findOneOfUser(orderId, userId);
    if (!order) throw new OrderNotFoundError();
    return order;
  }
}
