import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, QueryFailedError } from 'typeorm';
import { SeckillVoucher } from '../voucher/seckill-voucher.entity';
import { VoucherOrder } from './voucher-order.entity';

export type SeckillOrderOutcome = 'created' | 'already-purchased' | 'sold-out';

export interface NewSeckillOrder {
  orderId: string;
  userId: number;
  voucherId: number;
}

function isDuplicateKey(error: unknown): boolean {
  return (
    error instanceof QueryFailedError &&
    (error.driverError as { code?: string } | undefined)?.code === 'ER_DUP_ENTRY'
  );
}

/** tb_voucher_order, and the stock of tb_seckill_voucher that orders consume. */
@Injectable()
export class OrderRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * One transaction: refuse a second order of this user, take one unit of stock,
   * insert the order. Resolves only after COMMIT; an outcome other than
   * 'created' has rolled back and changed nothing.
   */
  async createWithStockDeduction(order: NewSeckillOrder): Promise<SeckillOrderOutcome> {
    try {
      return await this.dataSource.transaction(async (manager) => {
        if (await this.hasOrder(manager, order.userId, order.voucherId)) {
          return rollback('already-purchased');
        }
        // `stock > 0` makes the row lock decide: of N concurrent updates only
        // `stock` can match, the rest see zero rows and sell nothing.
        const { affected } = await manager
          .createQueryBuilder()
          .update(SeckillVoucher)
          .set({ stock: () => 'stock - 1' })
          .where('voucher_id = :voucherId AND stock > 0', { voucherId: order.voucherId })
          .execute();
        if (!affected) return rollback('sold-out');
        // The UNIQUE (user_id, voucher_id) key catches what the check above cannot
        // see: a concurrent, not yet committed order of the same user.
        await manager.insert(VoucherOrder, {
          id: order.orderId,
          userId: order.userId,
          voucherId: order.voucherId,
        });
        return 'created' as const;
      });
    } catch (error) {
      if (error instanceof Rollback) return error.outcome;
      if (isDuplicateKey(error)) return 'already-purchased';
      throw error;
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

  private hasOrder(manager: EntityManager, userId: number, voucherId: number): Promise<boolean> {
    return manager.getRepository(VoucherOrder).existsBy({ userId, voucherId });
  }
}

/** Thrown inside the transaction callback to roll back with an expected outcome. */
class Rollback extends Error {
  constructor(readonly outcome: SeckillOrderOutcome) {
    super(outcome);
  }
}

function rollback(outcome: SeckillOrderOutcome): never {
  throw new Rollback(outcome);
}
