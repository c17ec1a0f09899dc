import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SeckillOffer } from './seckill-rules';
import { SeckillVoucher } from './seckill-voucher.entity';
import { Voucher, VoucherType } from './voucher.entity';

export interface NewSeckillVoucher {
  shopId: number;
  title: string;
  subTitle: string | null;
  rules: string | null;
  payValue: number;
  actualValue: number;
  stock: number;
  beginTime: Date;
  endTime: Date;
}

/** tb_voucher and its seckill extension tb_seckill_voucher. */
@Injectable()
export class VoucherRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Both rows or neither. */
  createSeckill(input: NewSeckillVoucher): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const { identifiers } = await manager.insert(Voucher, {
        shopId: input.shopId,
        title: input.title,
        subTitle: input.subTitle,
        rules: input.rules,
        payValue: input.payValue,
        actualValue: input.actualValue,
        type: VoucherType.SECKILL,
      });
      const voucherId = Number(identifiers[0].id);
      await manager.insert(SeckillVoucher, {
        voucherId,
        stock: input.stock,
        beginTime: input.beginTime,
        endTime: input.endTime,
      });
      return voucherId;
    });
  }

  listByShop(shopId: number): Promise<Voucher[]> {
    return this.dataSource
      .getRepository(Voucher)
      .find({ where: { shopId }, relations: { seckill: true }, order: { id: 'ASC' } });
  }

  /** The newest seckill vouchers, with their stock and window (the live sale view's picker). */
  listRecentSeckill(limit: number): Promise<Voucher[]> {
    return this.dataSource.getRepository(Voucher).find({
      where: { type: VoucherType.SECKILL },
      relations: { seckill: true },
      order: { id: 'DESC' },
      take: limit,
    });
  }

  async findSeckillOffer(voucherId: number): Promise<SeckillOffer | undefined> {
    const seckill = await this.dataSource.getRepository(SeckillVoucher).findOneBy({ voucherId });
    return seckill ?? undefined;
  }

  async findSeckill(voucherId: number): Promise<Voucher | undefined> {
    const voucher = await this.dataSource
      .getRepository(Voucher)
      .findOne({ where: { id: voucherId }, relations: { seckill: true } });
    return voucher?.seckill ? voucher : undefined;
  }
}
