import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintToNumber } from '../database/column-transformers';

@Entity('tb_user')
export class User {
  @PrimaryColumn({
    type: 'bigint',
    unsigned: true,
    generated: 'increment',
    transformer: bigintToNumber,
  })
  id!: number;

  @Column({ type: 'varchar', length: 11 })
  phone!: string;

  @Column({ name: 'nick_name', type: 'varchar', length: 32 })
  nickName!: string;

  @Column({ type: 'varchar', length: 255 })
  icon!: string;

  @Column({ name: 'create_time', type: 'datetime', precision: 3, insert: false, update: false })
  createTime!: Date;
}
