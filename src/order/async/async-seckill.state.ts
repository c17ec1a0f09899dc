import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  asyncSeckillConfig,
  AsyncSeckillConfig,
  databaseConfig,
  DatabaseConfig,
  seckillConfig,
  SeckillConfig,
} from '../../config/configuration';
import { HeldLock } from '../../lock/held-lock';
import { LockService } from '../../lock/lock.service';
import { LockWaitTimeoutError } from '../../lock/lock.errors';
import { OrderStreamMetrics } from '../../metrics/order-stream.metrics';
import { RedisKeys } from '../../redis/redis-keys';
import { StockRaiseIncompleteError, VoucherNotFoundError } from '../../voucher/voucher.errors';
import { VoucherService } from '../../voucher/voucher.service';
import { StockRebuildingError } from '../order.errors';
import { AsyncOrderRepository } from './async-order.repository';
import { OrderBacklog, SeckillRebuild } from './order-backlog';
import { RecentBuyers } from './recent-buyers';
import {
  AcceptedOrder,
  Admission,
  DeadLetter,
  ScriptReleasedLock,
  SeckillStockStore,
} from './seckill-stock.store';
import { OrderStreamEntry } from './stream-entries';

/**
 * The per-user order lock of an async seckill, and, when the admission script
 * may release it itself (it was taken by a script on the same Redis), its key
 * and value for that script.
 */
export interface OrderLock {
  held: HeldLock;
  releasedByAdmission?: ScriptReleasedLock;
}

/** How long the reconcile command waits for another instance's rebuild. */
const TOOL_REBUILD_WAIT_MS = 30_000;

/**
 * The async seckill's shared state: each voucher's stock, buyers and window in
 * Redis, kept equal to MySQL plus the accepted orders still on their way.
 *
 * - Loaded when an admin creates a voucher (async mode).
 * - Rebuilt from MySQL whenever the keys are missing (Redis lost its data, or
 *   the creation's load failed), by one instance at a time (the rebuild lock),
 *   counting the stream entries that are not yet in MySQL. Until then no order
 *   is admitted on a guess: the admitting request waits for the rebuild.
 * - Every change of a loaded voucher's keys other than admission (a rebuild, a
 *   dead letter giving a unit back) runs under the rebuild lock, so a rebuild
 *   never reads the stream before a give-back and writes after it.
 */
@Injectable()
export class AsyncSeckillState implements OnModuleInit {
  private readonly logger = new Logger(AsyncSeckillState.name);
  /** One rebuild per voucher at a time in this process, however many requests wait for it. */
  private readonly rebuilding = new Map<number, Promise<boolean>>();
  /** Which call to make first for a shopper (see RecentBuyers): a hint, never an answer. */
  private readonly recentBuyers = new RecentBuyers();

  constructor(
    private readonly store: SeckillStockStore,
    private readonly orders: AsyncOrderRepository,
    private readonly locks: LockService,
    private readonly vouchers: VoucherService,
    @Inject(asyncSeckillConfig.KEY) private readonly config: AsyncSeckillConfig,
    @Inject(seckillConfig.KEY) private readonly seckill: SeckillConfig,
    @Inject(databaseConfig.KEY) private readonly database: DatabaseConfig,
    private readonly metrics: OrderStreamMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.mode !== 'async') return;
    for (const shard of this.store.streamShards) await this.store.ensureGroup(shard);
    this.metrics.setBacklogSource(() => this.backlog());
    this.vouchers.onSeckillCreated(async (voucher) => {
      try {
        await this.underRebuildLock(voucher.voucherId, this.database.timeoutMs, () =>
          this.store.write(voucher.voucherId, { ...voucher, buyers: [] }),
        );
      } catch (error) {
        // The voucher exists in MySQL: the first order rebuilds its keys from there.
        this.logger.warn(
          `voucher ${voucher.voucherId} created, its Redis stock not loaded (rebuilt on the first order): ${(error as Error).message}`,
        );
      }
    });
    // A raise and a rebuild never overlap (the rebuild lock), so a rebuild reads
    // MySQL either before the raise (and the raise then adds to what it wrote)
    // or after it (and the raise finds the keys rebuilt with it, or unloaded).
    this.vouchers.coordinateStockRaises((voucherId, units, raiseInMysql) =>
      this.underRebuildLock(voucherId, this.database.timeoutMs, async () => {
        const stock = await raiseInMysql();
        return { voucherId, stock, redisStock: await this.raiseLoadedStock(voucherId, units) };
      }),
    );
  }

  /**
   * After MySQL committed a raise: the same units in Redis, if its keys are
   * loaded (if not, the rebuild from MySQL counts them). Redis failing here,
   * the raise may or may not have run: the keys are unloaded instead, so that
   * the next order rebuilds them from MySQL, which counts right either way.
   * Only when that fails too is the answer a 503 naming the repair.
   */
  private async raiseLoadedStock(voucherId: number, units: number): Promise<number | null> {
    try {
      return await this.store.raiseStock(voucherId, units);
    } catch (error) {
      try {
        await this.store.unload(voucherId);
      } catch {
        throw new StockRaiseIncompleteError(error);
      }
      this.logger.warn(
        `voucher ${voucherId}: stock raised in MySQL, Redis not raised (${(error as Error).message}): unloaded, the next order rebuilds it`,
      );
      return null;
    }
  }

  /**
   * Steps 2 and 3 of the async seckill: a buyer Redis already admitted is refused
   * (the buyer set is authoritative in async mode, so a yes is final; a no, or
   * keys not loaded, decides nothing), then the per-user tryLock. Where the locks
   * live on this Redis (one server, the default) both are one script
   * (LOCK_UNLESS_BUYER_SCRIPT), and the admission releases the lock; elsewhere
   * SISMEMBER, then LockService.tryLock. A shopper this instance saw Redis call a
   * buyer is asked with SISMEMBER first (RecentBuyers: a hint, not an answer).
   * Undefined: someone else holds the lock.
   */
  async lockUnlessBuyer(
    voucherId: number,
    userId: number,
    leaseMs: number,
  ): Promise<OrderLock | 'already-purchased' | undefined> {
    const key = RedisKeys.orderLock(userId);
    // A shopper Redis called a buyer before (a hot user): SISMEMBER first, the cheapest call.
    const hinted = this.recentBuyers.has(voucherId, userId);
    if (hinted && (await this.store.isBuyer(voucherId, userId))) return 'already-purchased';
    const attempt = this.locks.scriptedAttempt(this.store.client, key, { leaseMs });
    if (!attempt) {
      if (!hinted && (await this.store.isBuyer(voucherId, userId))) return 'already-purchased';
      const held = await this.locks.tryLock(key, { leaseMs });
      return held && { held };
    }
    const answer = await this.store
      .lockUnlessBuyer(voucherId, userId, attempt)
      .catch((error: unknown) => {
        throw attempt.failed(error);
      });
    switch (answer) {
      case 'already-purchased':
        this.recentBuyers.add(voucherId, userId);
        return answer;
      case 'busy':
        attempt.refused();
        return undefined;
      case 'locked':
        return { held: attempt.acquired(), releasedByAdmission: attempt };
    }
  }

  /**
   * Admits an order in Redis (see ADMIT_SCRIPT), which draws the order id too,
   * and releases `lock` in the same step where it can (ADMIT_AND_RELEASE_SCRIPT).
   * Keys missing: rebuilt from MySQL first, then one more try; an unknown
   * voucher is VoucherNotFoundError.
   */
  async admit(
    order: { userId: number; voucherId: number },
    lock?: OrderLock,
  ): Promise<Exclude<Admission, { outcome: 'missing' }>> {
    const release = lock?.releasedByAdmission;
    let admission = await this.store.admit(order, new Date(), release);
    if (admission.outcome === 'missing') {
      if (!(await this.ensureLoaded(order.voucherId))) throw new VoucherNotFoundError();
      admission = await this.store.admit(order, new Date(), release);
      // Missing again: gone between the rebuild and now (another flush). No guess.
      if (admission.outcome === 'missing') throw new StockRebuildingError();
    }
    if (release) lock.held.releasedByScript();
    if (admission.outcome === 'accepted' || admission.outcome === 'already-purchased') {
      this.recentBuyers.add(order.voucherId, order.userId);
    }
    return admission;
  }

  /**
   * Whether Redis already admitted an order of the user for the voucher. The
   * buyer set is authoritative in async mode (a dead letter takes its buyer out
   * again), so a yes is final; a no (or keys not loaded) decides nothing.
   */
  isKnownBuyer(voucherId: number, userId: number): Promise<boolean> {
    return this.store.isBuyer(voucherId, userId);
  }

  /**
   * Sync mode: MySQL has an order of the user (committed now, or found by the
   * procedure). The buyer set learns it, so the user's next attempts are refused
   * before the lock, on any instance. In sync mode the set is a cache that may
   * lag MySQL (a failed write here is only logged; the procedure still refuses),
   * never lead it: only committed orders go in. See SYNC_BUYER_SCRIPT for why it
   * also unloads the voucher's async keys.
   */
  async recordSyncBuyer(voucherId: number, userId: number): Promise<void> {
    try {
      await this.store.addSyncBuyer(voucherId, userId);
    } catch (error) {
      this.logger.warn(
        `voucher ${voucherId}: buyer ${userId} not added to the buyer set (${(error as Error).message}); MySQL still refuses a second order`,
      );
    }
  }

  /**
   * Rebuilds the voucher's keys from MySQL under the rebuild lock, counting the
   * stream's unacknowledged entries of the voucher that MySQL does not have yet.
   * For the reconcile command's --fix. Undefined: no such voucher (keys removed).
   */
  rebuildFromMysql(voucherId: number): Promise<SeckillRebuild | undefined> {
    return this.underRebuildLock(voucherId, TOOL_REBUILD_WAIT_MS, () =>
      this.rebuildUnderLock(voucherId),
    );
  }

  /** Accepted orders not yet in MySQL, and dead letters (Redis only; MySQL may be down). */
  backlog(): Promise<OrderBacklog> {
    return this.store.backlog();
  }

  /** The unacknowledged stream entries (of one voucher), for the reconcile command. */
  /** ASYNC_STREAM_SHARDS: how the voucher keys and order streams are laid out. */
  get shardCount(): number {
    return this.config.streamShards;
  }

  unacknowledgedEntries(voucherId?: number): Promise<OrderStreamEntry[]> {
    return this.store.unacknowledgedEntries(voucherId);
  }

  /** An accepted order's state while it is not (or never will be) in MySQL. */
  findAccepted(orderId: string): Promise<AcceptedOrder | undefined> {
    return this.store.findAccepted(orderId);
  }

  /** Dead-letters an entry under the voucher's rebuild lock (see the class comment). */
  deadLetter(letter: DeadLetter): Promise<boolean> {
    const voucherId = Number(letter.entry.voucherId);
    if (!Number.isSafeInteger(voucherId) || voucherId <= 0) return this.store.deadLetter(letter);
    return this.underRebuildLock(voucherId, this.seckill.orderLockLeaseMs, async () => {
      const moved = await this.store.deadLetter(letter);
      // A unit came back: this instance's sold-out mark must not refuse it (the
      // others reload within VOUCHER_CACHE_TTL_MS, from MySQL, which never had it taken).
      if (moved && letter.giveStockBack) this.vouchers.forgetSeckillOffer(voucherId);
      return moved;
    });
  }

  /** True once the keys are loaded; false when MySQL has no such voucher. */
  private ensureLoaded(voucherId: number): Promise<boolean> {
    let pending = this.rebuilding.get(voucherId);
    if (!pending) {
      pending = this.underRebuildLock(voucherId, this.database.timeoutMs, async () => {
        // Another instance may have rebuilt while this one waited for the lock.
        if (await this.store.isLoaded(voucherId)) return true;
        return (await this.rebuildUnderLock(voucherId)) !== undefined;
      })
        .catch((error: unknown) => {
          if (error instanceof LockWaitTimeoutError) throw new StockRebuildingError();
          throw error;
        })
        .finally(() => this.rebuilding.delete(voucherId));
      this.rebuilding.set(voucherId, pending);
    }
    return pending;
  }

  private async rebuildUnderLock(voucherId: number): Promise<SeckillRebuild | undefined> {
    // 1. No admission from here on (the script answers `missing`), so the
    //    stream cannot gain entries of this voucher while it is read.
    await this.store.unload(voucherId);
    // 2. The stream before MySQL: an entry committed in between is in both and
    //    counted once (MySQL has it); one committed after MySQL's snapshot is
    //    counted as pending, and its unit was not yet taken in that snapshot.
    const unacknowledged = await this.store.unacknowledgedEntries(voucherId);
    const sale = await this.orders.readSale(voucherId);
    if (!sale) {
      await this.store.forget(voucherId);
      return undefined;
    }
    const written = new Set(sale.orders.map((order) => order.id));
    const pending = unacknowledged.filter((entry) => !written.has(entry.orderId));
    const buyers = new Set(sale.orders.map((order) => order.userId));
    for (const entry of pending) buyers.add(entry.userId);
    const stock = Math.max(0, sale.stock - pending.length);
    if (sale.stock < pending.length) {
      this.logger.error(
        `voucher ${voucherId}: ${pending.length} accepted orders wait for ${sale.stock} units in MySQL`,
      );
    }
    await this.store.write(voucherId, {
      stock,
      buyers: [...buyers],
      beginTime: sale.beginTime,
      endTime: sale.endTime,
    });
    const rebuild: SeckillRebuild = {
      voucherId,
      mysqlStock: sale.stock,
      mysqlOrders: sale.orders.length,
      pendingOrders: pending.length,
      stock,
      buyers: buyers.size,
    };
    this.logger.log(`rebuilt the Redis stock of voucher ${voucherId}: ${JSON.stringify(rebuild)}`);
    return rebuild;
  }

  private underRebuildLock<T>(voucherId: number, waitMs: number, fn: () => Promise<T>): Promise<T> {
    return this.locks.withLock(
      RedisKeys.seckillRebuildLock(voucherId),
      { leaseMs: this.seckill.orderLockLeaseMs, waitMs },
      fn,
    );
  }
}
