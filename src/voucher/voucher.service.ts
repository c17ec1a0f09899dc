import { Inject, Injectable } from '@nestjs/common';
import { seckillConfig, SeckillConfig } from '../config/configuration';
import { CreateSeckillVoucherDto } from './dto/create-seckill-voucher.dto';
import { SeckillOfferCache } from './seckill-offer.cache';
import { SeckillOffer } from './seckill-rules';
import { Voucher } from './voucher.entity';
import { VoucherNotFoundError } from './voucher.errors';
import { VoucherRepository } from './voucher.repository';

@Injectable()
export class VoucherService {
  private readonly offers: SeckillOfferCache;

  constructor(
    private readonly vouchers: VoucherRepository,
    @Inject(seckillConfig.KEY) config: SeckillConfig,
  ) {
    this.offers = new SeckillOfferCache(config.voucherCacheTtlMs);
  }

  createSeckillVoucher(dto: CreateSeckillVoucherDto): Promise<number> {
    return this.vouchers.createSeckill({
      shopId: dto.shopId,
      title: dto.title,
      subTitle: dto.subTitle ?? null,
      rules: dto.rules ?? null,
      payValue: dto.payValue,
      actualValue: dto.actualValue,
      stock: dto.stock,
      beginTime: new Date(dto.beginTime),
      endTime: new Date(dto.endTime),
    });
  }

  listShopVouchers(shopId: number): Promise<Voucher[]> {
    return this.vouchers.listByShop(shopId);
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
