import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { VoucherOrder } from './voucher-order.entity';

export type SeckillOrderOutcome = 'created' | 'already-purchased' | 'sold-out';

export interface NewSeckillOrder {
  orderId: string;
  userId: number;
  voucherId: number;
}

/** tb_voucher_order, and the stock of tb_seckill_voucher that orders consume. */
@Injectable()
export class OrderRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One transaction: refuse a second order of this user, take one unit of stock
   * (`stock > 0`, so of N concurrent updates only `stock` can match), insert the
   * order, whose UNIQUE (user_id, voucher_id) key catches what the check cannot
   * see under REPEATABLE READ: a concurrent, not yet committed order of the same
   * user. It runs as the procedure in sql/V2__seckill_place_order.sql, so the
   * stock row is locked for microseconds, not for three network round trips.
   * Resolves only after COMMIT; an outcome other than 'created' changed nothing.
   */
  async createWithStockDeduction(order: NewSeckillOrder): Promise<SeckillOrderOutcome> {
    const [rows] = await this.dataSource.query<[{ outcome: SeckillOrderOutcome }[], unknown]>(
      'CALL seckill_place_order(?, ?, ?)',
      [order.orderId, order.userId, order.voucherId],
    );
    return rows[0].outcome;
  }

  findByUser(userId: number): Promise<VoucherOrder[]> {
    return this.dataSource
      .getRepository(VoucherOrder)
      .find({ where: { userId }, order: { createTime: 'DESC', id: 'DESC' } });
  }

  async findOneOfUser(orderId: string, userId: number): Promise<VoucherOrder | undefined> {
    const order = await this.dataSource
      .getRepository(VoucherOrder)
      .findOneBy({ id: orderId, userId });
    return order ?? undefined;
  }
}
