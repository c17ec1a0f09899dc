import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/** A sale as MySQL has it right now: the same for every instance. */
export interface MysqlSaleFigures {
  /** Units left in tb_seckill_voucher. */
  stock: number;
  /** Rows of the voucher in tb_voucher_order. */
  orders: number;
}

/** Reads a sale's figures for the live view (reads only; the orders index counts them). */
@Injectable()
export class SaleFiguresRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async readFigures(voucherId: number): Promise<MysqlSaleFigures | undefined> {
    const [row] = await this.dataSource.query<{ stock: string; orders: string }[]>(
      `SELECT CAST(sv.stock AS CHAR) AS stock,
              CAST((SELECT COUNT(*) FROM tb_voucher_order o WHERE o.voucher_id = sv.voucher_id) AS CHAR) AS orders
         FROM tb_seckill_voucher sv WHERE sv.voucher_id = ?`,
      [voucherId],
    );
    return row ? { stock: Number(row.stock), orders: Number(row.orders) } : undefined;
  }
}
