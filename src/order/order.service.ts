import { Inject, Injectable } from '@nestjs/common';
import { seckillConfig, SeckillConfig } from '../config/configuration';
import { LockService } from '../lock/lock.service';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { RedisKeys } from '../redis/redis-keys';
import { assertSeckillOpen } from '../voucher/seckill-rules';
import { StockExhaustedError } from '../voucher/voucher.errors';
import { VoucherService } from '../voucher/voucher.service';
import { OrderIdGenerator } from './order-id.generator';
import { AlreadyPurchasedError, DuplicateOrderError, OrderNotFoundError } from './order.errors';
import { OrderRepository } from './order.repository';
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
    try {
      // 3. Check, take stock and insert in one transaction that has committed
      //    when this returns.
      const orderId = await this.orderIds.next();
      const outcome = await this.orders.createWithStockDeduction({ orderId, userId, voucherId });
      if (outcome === 'already-purchased') throw new AlreadyPurchasedError();
      if (outcome === 'sold-out') {
        this.vouchers.recordSoldOut(voucherId);
        throw new StockExhaustedError();
      }
      return orderId;
    } finally {
      // 4. Release only after commit. Released inside the transaction, the lock
      //    would let the user's next request start before this order is visible.
      await lock.release();
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
