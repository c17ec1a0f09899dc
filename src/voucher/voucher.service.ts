import { Inject, Injectable } from '@nestjs/common';
import { seckillConfig, SeckillConfig } from '../config/configuration';
import { CreateSeckillVoucherDto } from './dto/create-seckill-voucher.dto';
import { SeckillOfferCache } from './seckill-offer.cache';
import { SeckillOffer } from './seckill-rules';
import { Voucher } from './voucher.entity';
import { SeckillEndedError, StockLimitExceededError, VoucherNotFoundError } from './voucher.errors';
import { VoucherRepository } from './voucher.repository';

/** A new seckill voucher, committed: what the async seckill loads into Redis. */
export interface CreatedSeckill {
  voucherId: number;
  stock: number;
  beginTime: Date;
  endTime: Date;
}

export type SeckillCreatedListener = (voucher: CreatedSeckill) => Promise<void>;

/** A stock raise, committed: MySQL's stock after it, and (async mode) what Redis will admit. */
export interface RaisedStock {
  voucherId: number;
  stock: number;
  /** Async mode: Redis's stock after the raise; null: its keys are unloaded, the next order rebuilds them. */
  redisStock?: number | null;
}

/**
 * Runs a stock raise: `raiseInMysql` commits it (or throws the refusal), the
 * coordinator adds whatever must change with it (async mode: the Redis stock,
 * under the voucher's rebuild lock).
 */
export type StockRaiseCoordinator = (
  voucherId: number,
  units: number,
  raiseInMysql: () => Promise<number>,
) => Promise<RaisedStock>;

@Injectable()
export class VoucherService {
  private readonly offers: SeckillOfferCache;
  private readonly createdListeners: SeckillCreatedListener[] = [];
  private raiseCoordinator: StockRaiseCoordinator = async (voucherId, _units, raiseInMysql) => ({
    voucherId,
    stock: await raiseInMysql(),
  });

  constructor(
    private readonly vouchers: VoucherRepository,
    @Inject(seckillConfig.KEY) config: SeckillConfig,
  ) {
    this.offers = new SeckillOfferCache(config.voucherCacheTtlMs);
  }

  async createSeckillVoucher(dto: CreateSeckillVoucherDto): Promise<number> {
    const sale = {
      stock: dto.stock,
      beginTime: new Date(dto.beginTime),
      endTime: new Date(dto.endTime),
    };
    const voucherId = await this.vouchers.createSeckill({
      shopId: dto.shopId,
      title: dto.title,
      subTitle: dto.subTitle ?? null,
      rules: dto.rules ?? null,
      payValue: dto.payValue,
      actualValue: dto.actualValue,
      ...sale,
    });
    // After commit; a listener handles its own failures (the voucher exists either way).
    for (const listener of this.createdListeners) await listener({ voucherId, ...sale });
    return voucherId;
  }

  /** Called after each seckill voucher's creation has committed (the async seckill loads its stock). */
  onSeckillCreated(listener: SeckillCreatedListener): void {
    this.createdListeners.push(listener);
  }

  /**
   * Adds units to a sale that has not ended. This instance forgets its copy of
   * the offer at once (a sold-out mark included); the others reload theirs
   * within VOUCHER_CACHE_TTL_MS, so every instance sells the new units by then.
   */
  async addSeckillStock(voucherId: number, units: number): Promise<RaisedStock> {
    try {
      return await this.raiseCoordinator(voucherId, units, async () => {
        const raise = await this.vouchers.addSeckillStock(voucherId, units);
        if (raise.outcome === 'not-found') throw new VoucherNotFoundError();
        if (raise.outcome === 'ended') throw new SeckillEndedError();
        if (raise.outcome === 'over-limit') throw new StockLimitExceededError();
        return raise.stock;
      });
    } finally {
      this.offers.forget(voucherId);
    }
  }

  /** Async mode: stock raises also raise the Redis stock (AsyncSeckillState). */
  coordinateStockRaises(coordinator: StockRaiseCoordinator): void {
    this.raiseCoordinator = coordinator;
  }

  listShopVouchers(shopId: number): Promise<Voucher[]> {
    return this.vouchers.listByShop(shopId);
  }

  listRecentSeckillVouchers(limit: number): Promise<Voucher[]> {
    return this.vouchers.listRecentSeckill(limit);
  }

  async getSeckillVoucher(voucherId: number): Promise<Voucher> {
    const voucher = await this.vouchers.findSeckill(voucherId);
    if (!voucher) throw new VoucherNotFoundError();
    return voucher;
  }

  /** The offer an order is checked against, usually from memory (see SeckillOfferCache). */
  async getSeckillOffer(voucherId: number): Promise<Readonly<SeckillOffer>> {
    const offer = await this.offers.get(voucherId, (id) => this.vouchers.findSeckillOffer(id));
    if (!offer) throw new VoucherNotFoundError();
    return offer;
  }

  /**
   * The offer if this instance has it in memory now (no promise, no database),
   * else undefined: then getSeckillOffer. Known not to exist: VoucherNotFoundError.
   */
  cachedSeckillOffer(voucherId: number): Readonly<SeckillOffer> | undefined {
    const entry = this.offers.peek(voucherId);
    if (!entry) return undefined;
    if (!entry.offer) throw new VoucherNotFoundError();
    return entry.offer;
  }

  recordSoldOut(voucherId: number): void {
    this.offers.recordSoldOut(voucherId);
  }

  /** Units came back (a dead letter, a raise): this instance reloads the offer on its next order. */
  forgetSeckillOffer(voucherId: number): void {
    this.offers.forget(voucherId);
  }
}
