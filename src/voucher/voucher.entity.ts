import { Column, Entity, OneToOne, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../database/column-transformers';
import { SeckillVoucher } from './seckill-voucher.entity';

export const VoucherType = { NORMAL: 0, SECKILL: 1 } as const;

@Entity('tb_voucher')
export class Voucher {
  @PrimaryColumn({
    type: 'bigint',
    unsigned: true,
    generated: 'increment',
    transformer: bigintToNumber,
  })
  id!: number;

  @Column({ name: 'shop_id', type: 'bigint', unsigned: true, transformer: bigintToNumber })
  shopId!: number;

  @Column({ type: 'varchar', length: 255 })
  title!: string;

  @Column({ name: 'sub_title', type: 'varchar', length: 255, nullable: true })
  subTitle!: string | null;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  rules!: string | null;

  @Column({ name: 'pay_value', type: 'bigint', unsigned: true, transformer: bigintToNumber })
  payValue!: number;

  @Column({ name: 'actual_value', type: 'bigint', unsigned: true, transformer: bigintToNumber })
  actualValue!: number;

  @Column({ type: 'tinyint', unsigned: true })
  type!: number;

  @Column({ type: 'tinyint', unsigned: true, default: 1 })
  status!: number;

  @OneToOne(() => SeckillVoucher, (seckill) => seckill.voucher)
  seckill?: SeckillVoucher | null;
}
