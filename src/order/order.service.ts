import { Inject, Injectable } from '@nestjs/common';
import { dependencyBehind } from '../common/dependency-failure';
import {
  asyncSeckillConfig,
  AsyncSeckillConfig,
  seckillConfig,
  SeckillConfig,
} from '../config/configuration';
import { LockService } from '../lock/lock.service';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { RedisKeys } from '../redis/redis-keys';
import { assertSeckillOpen } from '../voucher/seckill-rules';
import {
  SeckillEndedError,
  SeckillNotStartedError,
  StockExhaustedError,
} from '../voucher/voucher.errors';
import { SeckillOffer } from '../voucher/seckill-rules';
import { VoucherService } from '../voucher/voucher.service';
import { AsyncSeckillState } from './async/async-seckill.state';
import { OrderIdGenerator } from './order-id.generator';
import {
  AlreadyPurchasedError,
  DuplicateOrderError,
  OrderNotFoundError,
  OrderOutcomeUnknownError,
} from './order.errors';
import { OrderRepository, SeckillOrderOutcome } from './order.repository';
import { OrderStatus } from './voucher-order.entity';
import { OrderView } from './order.responses';

/** What the transaction or the admission script refuses with: the same four in both modes. */
type SeckillRefusal = 'already-purchased' | 'sold-out' | 'not-started' | 'ended';

/** The seckill's answer: `created` (sync, committed: 201) or `pending` (async, accepted: 202). */
export interface SeckillAnswer {
  orderId: string;
  state: 'created' | 'pending';
}

@Injectable()
export class OrderService {
  constructor(
    private readonly vouchers: VoucherService,
    private readonly orders: OrderRepository,
    private readonly locks: LockService,
    private readonly orderIds: OrderIdGenerator,
    private readonly metrics: SeckillMetrics,
    @Inject(seckillConfig.KEY) private readonly config: SeckillConfig,
    private readonly asyncState: AsyncSeckillState,
    @Inject(asyncSeckillConfig.KEY) private readonly asyncConfig: AsyncSeckillConfig,
  ) {}

  /**
   * The seckill. Sync mode: resolves once the order is committed (`created`).
   * Async mode: once Redis has admitted it and queued it for MySQL (`pending`).
   */
  placeSeckillOrder(userId: number, voucherId: number): Promise<SeckillAnswer> {
    if (this.asyncConfig.mode === 'async') {
      return this.metrics.track(voucherId, () => this.seckillAsync(userId, voucherId));
    }
    return this.metrics.track(voucherId, async () => ({
      orderId: await this.seckill(userId, voucherId),
      state: 'created' as const,
    }));
  }

  private async seckill(userId: number, voucherId: number): Promise<string> {
    // 1. Turn away what needs no lock: unknown voucher, outside the window, sold out.
    //    Usually from memory, without a promise: most of a crowd is turned away here.
    const offer =
      this.vouchers.cachedSeckillOffer(voucherId) ??
      (await this.vouchers.getSeckillOffer(voucherId));
    assertSeckillOpen(offer, new Date());

    // 2. A buyer known to hold an order (the voucher's buyer set, written after
    //    commit) is refused with one cheap read, before the lock and MySQL: a
    //    hammering shopper costs neither. Only a yes is final; a no, or Redis
    //    failing to answer, goes on and the transaction decides.
    if (await this.asyncState.isKnownBuyer(voucherId, userId).catch(() => false)) {
      throw new AlreadyPurchasedError();
    }

    // 3. One order attempt per user at a time. tryLock never waits: a second
    //    concurrent request of the same user is refused, not queued.
    const lock = await this.locks.tryLock(RedisKeys.orderLock(userId), {
      leaseMs: this.config.orderLockLeaseMs,
    });
    if (!lock) throw new DuplicateOrderError();
    let outcome: SeckillOrderOutcome | undefined;
    try {
      // 4. Check the window on the database's clock, take stock and insert in
      //    one transaction that has committed when this returns. A 503 from it
      //    means the order does not exist and never will.
      const orderId = await this.orderIds.next();
      outcome = await this.orders.createWithStockDeduction({ orderId, userId, voucherId });
      // Before the release: the user's next attempt, on any instance, finds it.
      if (outcome === 'created' || outcome === 'already-purchased') {
        await this.asyncState.recordSyncBuyer(voucherId, userId);
      }
      return this.answer(outcome, orderId, voucherId);
    } finally {
      // 5. Release only after commit. Released inside the transaction, the lock
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
      case 'outcome-unknown':
        throw new OrderOutcomeUnknownError();
      case 'id-collision':
        // Nothing was written (rolled back). The id generator handed out an id
        // already taken: its Redis sequence went back (a flush, a failover that
        // lost writes). Not the shopper's doing and not "already purchased": a
        // logged 500, so an operator sees it; the shopper's retry gets a new id.
        throw new Error(`order id ${orderId} is taken by another order: the id sequence went back`);
      default:
        throw this.refusal(outcome, voucherId);
    }
  }

  /** The refusals both modes answer alike, whichever store decided. */
  private refusal(outcome: SeckillRefusal, voucherId: number): Error {
    switch (outcome) {
      case 'already-purchased':
        return new AlreadyPurchasedError();
      case 'sold-out':
        this.vouchers.recordSoldOut(voucherId);
        return new StockExhaustedError();
      case 'not-started':
        return new SeckillNotStartedError();
      case 'ended':
        return new SeckillEndedError();
    }
  }

  /**
   * Async mode: the same checks and errors as the sync path, then one Redis
   * script decides instead of the MySQL transaction (see ADMIT_SCRIPT): it
   * checks the window on Redis's clock, the buyer set and the stock, and takes
   * the unit, adds the buyer and queues the order in one atomic step. A stream
   * writer puts it in MySQL, where the UNIQUE key and `stock >= n` still fence.
   */
  private async seckillAsync(userId: number, voucherId: number): Promise<SeckillAnswer> {
    // 1. Turn away what needs no lock, as in sync mode, from the cached offer.
    //    MySQL down must not stop admission: without an offer, Redis checks all.
    const offer =
      this.vouchers.cachedSeckillOffer(voucherId) ?? (await this.offerUnlessMysqlDown(voucherId));
    if (offer) assertSeckillOpen(offer, new Date());

    // 2. A buyer Redis already admitted is refused before the lock: a shopper
    //    hammering the button costs no lock and no admission. 3. One attempt per
    //    user at a time, as in sync mode. Both in one Redis call where the locks
    //    live on the same Redis (see AsyncSeckillState.lockUnlessBuyer).
    const lock = await this.asyncState.lockUnlessBuyer(
      voucherId,
      userId,
      this.config.orderLockLeaseMs,
    );
    if (lock === 'already-purchased') throw new AlreadyPurchasedError();
    if (!lock) throw new DuplicateOrderError();
    let unknown = false;
    try {
      // 4. Redis decides (keys missing: rebuilt from MySQL first), draws the order
      //    id of an admitted order and, where it can, releases the lock, all in
      //    one script: the admission is this path's commit.
      const admission = await this.asyncState
        .admit({ userId, voucherId }, lock)
        .catch((error: unknown) => {
          // Sent, no answer in time: the script may have run. A retry of the user
          // answers ALREADY_PURCHASED if it did; the lock stays until its lease ends.
          if ((error as Error).message?.includes('Command timed out')) {
            unknown = true;
            throw new OrderOutcomeUnknownError();
          }
          throw error;
        });
      if (admission.outcome === 'accepted') {
        return { orderId: admission.orderId, state: 'pending' };
      }
      throw this.refusal(admission.outcome, voucherId);
    } finally {
      // 5. Released after the admission (a no-op when the script released it).
      if (unknown) lock.held.abandon();
      else await lock.held.release();
    }
  }

  private async offerUnlessMysqlDown(voucherId: number): Promise<SeckillOffer | undefined> {
    try {
      return await this.vouchers.getSeckillOffer(voucherId);
    } catch (error) {
      if (dependencyBehind(error) === 'mysql') return undefined;
      throw error;
    }
  }

  /** The caller's orders in MySQL, newest first (accepted orders appear once written). */
  async listOrders(userId: number): Promise<OrderView[]> {
    const orders = await this.orders.findByUser(userId);
    return orders.map((order) => ({ ...order, state: 'created' }));
  }

  /**
   * One of the caller's orders: `created` once in MySQL; in async mode, before
   * that, `pending` (accepted, on its way) or `failed` (dead-lettered).
   */
  async getOrder(userId: number, orderId: string): Promise<OrderView> {
    // Redis before MySQL: a writer commits, then drops the pending state, so an
    // order missing from both reads in this order is really not there.
    const accepted =
      this.asyncConfig.mode === 'async' ? await this.asyncState.findAccepted(orderId) : undefined;
    const order = await this.orders.findOneOfUser(orderId, userId);
    if (order) return { ...order, state: 'created' };
    // Someone else's order is "not found": its existence is not the caller's business.
    if (!accepted || accepted.userId !== userId) throw new OrderNotFoundError();
    return {
      id: orderId,
      userId,
      voucherId: accepted.voucherId,
      payType: 1,
      status: OrderStatus.UNPAID,
      createTime: accepted.acceptedAt ?? new Date(),
      state: accepted.state,
    };
  }
}
