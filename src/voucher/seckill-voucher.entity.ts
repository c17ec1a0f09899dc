import { Column, Entity, JoinColumn, OneToOne, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../database/column-transformers';
import { Voucher } from './voucher.entity';

@Entity('tb_seckill_voucher')
export class SeckillVoucher {
  @PrimaryColumn({
    name: 'voucher_id',
    type: 'bigint',
    unsigned: true,
    transformer: bigintToNumber,
  })
  voucherId!: number;

  @Column({ type: 'int', unsigned: true })
  stock!: number;

  @Column({ name: 'begin_time', type: 'datetime', precision: 3 })
  beginTime!: Date;

  @Column({ name: 'end_time', type: 'datetime', precision: 3 })
  endTime!: Date;

  @OneToOne(() => Voucher, (voucher) => voucher.seckill)
  @JoinColumn({ name: 'voucher_id' })
  voucher?: Voucher;
}
