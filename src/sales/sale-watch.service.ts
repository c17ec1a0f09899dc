import { Inject, Injectable } from '@nestjs/common';
import { asyncSeckillConfig, AsyncSeckillConfig } from '../config/configuration';
import { AsyncSeckillState } from '../order/async/async-seckill.state';
import { Voucher } from '../voucher/voucher.entity';
import { VoucherNotFoundError } from '../voucher/voucher.errors';
import { VoucherService } from '../voucher/voucher.service';
import { SaleReading, SaleSnapshot, SaleWatch } from './sale-snapshot';
import { SaleFiguresRepository } from './sale-figures.repository';
import { SaleStatsStore } from './sale-stats.store';
import { WATCHABLE_SALES } from './sales.constants';

/**
 * The live sale view: fleet-wide figures of one voucher. Stock and orders come
 * from MySQL (and Redis's stock in async mode), answers by outcome and latency
 * from the counters every instance publishes to Redis, the backlog from the
 * order stream: nothing is this instance's alone.
 */
@Injectable()
export class SaleWatchService {
  constructor(
    private readonly vouchers: VoucherService,
    private readonly figures: SaleFiguresRepository,
    private readonly stats: SaleStatsStore,
    private readonly asyncState: AsyncSeckillState,
    @Inject(asyncSeckillConfig.KEY) private readonly asyncConfig: AsyncSeckillConfig,
  ) {}

  listSales(): Promise<Voucher[]> {
    return this.vouchers.listRecentSeckillVouchers(WATCHABLE_SALES);
  }

  /** Starts watching a voucher; VoucherNotFoundError when it is not a seckill voucher. */
  async watch(voucherId: number): Promise<() => Promise<SaleSnapshot>> {
    await this.vouchers.getSeckillVoucher(voucherId);
    const watch = new SaleWatch(voucherId);
    return async () => watch.snapshot(await this.read(voucherId));
  }

  private async read(voucherId: number): Promise<SaleReading> {
    const mode = this.asyncConfig.mode;
    const [mysql, fleet, redisStock, backlog] = await Promise.all([
      this.figures.readFigures(voucherId),
      this.stats.readFleet(voucherId),
      mode === 'async' ? this.stats.asyncStockLeft(voucherId) : undefined,
      mode === 'async' ? this.asyncState.backlog() : undefined,
    ]);
    if (!mysql) throw new VoucherNotFoundError();
    return {
      at: Date.now(),
      mode,
      mysqlStock: mysql.stock,
      mysqlOrders: mysql.orders,
      redisStock,
      fleet: fleet.stats,
      instances: fleet.instances,
      backlog,
    };
  }
}
