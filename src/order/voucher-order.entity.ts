import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../database/column-transformers';

export const OrderStatus = { UNPAID: 1 } as const;

@Entity('tb_voucher_order')
export class VoucherOrder {
  /** 64-bit, so a decimal string (see OrderIdGenerator). */
  @PrimaryColumn({ type: 'bigint', unsigned: true })
  id!: string;

  @Column({ name: 'user_id', type: 'bigint', unsigned: true, transformer: bigintToNumber })
  userId!: number;

  @Column({ name: 'voucher_id', type: 'bigint', unsigned: true, transformer: bigintToNumber })
  voucherId!: number;

  @Column({ name: 'pay_type', type: 'tinyint', unsigned: true, default: 1 })
  payType!: number;

  @Column({ type: 'tinyint', unsigned: true, default: OrderStatus.UNPAID })
  status!: number;

  @Column({ name: 'create_time', type: 'datetime', precision: 3, insert: false, update: false })
  createTime!: Date;
}
