import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DeadlineCaller } from '../database/deadline-caller';
import { VoucherOrder } from './voucher-order.entity';

/**
 * What the procedure answered, or `outcome-unknown`: MySQL could not be asked
 * in time, the order may exist or not (a retry of the user tells).
 */
export type SeckillOrderOutcome =
  | 'created'
  | 'already-purchased'
  | 'sold-out'
  | 'not-started'
  | 'ended'
  | 'id-collision'
  | 'outcome-unknown';

export interface NewSeckillOrder {
  orderId: string;
  userId: number;
  voucherId: number;
}

/** tb_voucher_order, and the stock of tb_seckill_voucher that orders consume. */
@Injectable()
export class OrderRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly calls: DeadlineCaller,
  ) {}

  /**
   * One transaction: refuse a second order of this user, take one unit of stock
   * (`stock > 0`, so of N concurrent updates only `stock` can match), insert the
   * order, whose UNIQUE (user_id, voucher_id) key catches what the check cannot
   * see under REPEATABLE READ: a concurrent, not yet committed order of the same
   * user. It runs as the procedure in sql/V3__seckill_place_order_v3.sql, so the
   * stock row is locked for microseconds, not for three network round trips;
   * the procedure also checks the sale window on the database's UTC clock.
   *
   * Resolves 'created' only after COMMIT; any other answer changed nothing,
   * except 'outcome-unknown'. Rejects (503) only when the order certainly does
   * not exist and never will: a call that misses the deadline is killed, and
   * its order is looked up by its pre-generated id (see DeadlineCaller).
   */
  async createWithStockDeduction(order: NewSeckillOrder): Promise<SeckillOrderOutcome> {
    const result = await this.calls.call<[{ outcome: SeckillOrderOutcome }[], unknown]>(
      'CALL seckill_place_order_v3(?, ?, ?)',
      [order.orderId, order.userId, order.voucherId],
      {
        progress: {
          sql: 'SELECT @seckill_commit_started = ? AS started, @seckill_committed = ? AS done',
          params: [order.orderId, order.orderId],
        },
        effect: {
          // The user and voucher too: a row with this id of someone else is an id collision.
          sql: 'SELECT id FROM tb_voucher_order WHERE id = ? AND user_id = ? AND voucher_id = ?',
          params: [order.orderId, order.userId, order.voucherId],
        },
      },
    );
    switch (result.kind) {
      case 'answered':
        return result.rows[0][0].outcome;
      case 'took-effect':
        return 'created';
      case 'unknown':
        return 'outcome-unknown';
    }
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
