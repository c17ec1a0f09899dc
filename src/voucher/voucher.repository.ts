import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MAX_STOCK } from './dto/create-seckill-voucher.dto';
import { SeckillOffer } from './seckill-rules';
import { SeckillVoucher } from './seckill-voucher.entity';
import { Voucher, VoucherType } from './voucher.entity';

/** What a stock raise found: the voucher missing, its sale over, or the stock after the raise. */
export type StockRaise =
  | { outcome: 'not-found' }
  | { outcome: 'ended' }
  /** The raise would take the stock past MAX_STOCK: nothing changed. */
  | { outcome: 'over-limit' }
  | { outcome: 'raised'; stock: number };

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

  /**
   * Adds units to a sale that has not ended, on the database's clock (UTC, as
   * the order procedure checks the window). One UPDATE decides; the row lock it
   * takes makes the SELECT that follows, in the same transaction, read this
   * raise and no other's.
   */
  addSeckillStock(voucherId: number, units: number): Promise<StockRaise> {
    return this.dataSource.transaction(async (manager) => {
      const result: { affectedRows: number } = await manager.query(
        `UPDATE tb_seckill_voucher SET stock = stock + ?
          WHERE voucher_id = ? AND end_time > UTC_TIMESTAMP(3) AND stock + ? <= ?`,
        [units, voucherId, units, MAX_STOCK],
      );
      const rows: { stock: number; open: number }[] = await manager.query(
        `SELECT stock, end_time > UTC_TIMESTAMP(3) AS open
           FROM tb_seckill_voucher WHERE voucher_id = ?`,
        [voucherId],
      );
      if (rows.length === 0) return { outcome: 'not-found' as const };
      if (result.affectedRows === 0) {
        return { outcome: Number(rows[0].open) ? ('over-limit' as const) : ('ended' as const) };
      }
      return { outcome: 'raised' as const, stock: Number(rows[0].stock) };
    });
  }
}
