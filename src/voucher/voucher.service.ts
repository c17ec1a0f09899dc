import { Inject, Injectable } from '@nestjs/common';
import { seckillConfig, SeckillConfig } from '../config/configuration';
import { CreateSeckillVoucherDto } from './dto/create-seckill-voucher.dto';
import { SeckillOfferCache } from './seckill-offer.cache';
import { SeckillOffer } from './seckill-rules';
import { Voucher } from './voucher.entity';
import { VoucherNotFoundError } from './voucher.errors';
import { VoucherRepository } from './voucher.repository';

/** A new seckill voucher, committed: what the async seckill loads into Redis. */
export interface CreatedSeckill {
  voucherId: number;
  stock: number;
  beginTime: Date;
  endTime: Date;
}

export type SeckillCreatedListener = (voucher: CreatedSeckill) => Promise<void>;

@Injectable()
export class VoucherService {
  private readonly offers: SeckillOfferCache;
  private readonly createdListeners: SeckillCreatedListener[] = [];

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

  recordSoldOut(voucherId: number): void {
    this.offers.recordSoldOut(voucherId);
  }
}
