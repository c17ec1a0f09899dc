import { Module } from '@nestjs/common';
import { OrderModule } from '../order/order.module';
import { VoucherModule } from '../voucher/voucher.module';
import { SaleEventStreams } from './sale-event-streams';
import { SaleFiguresRepository } from './sale-figures.repository';
import { SaleStatsRecorder } from './sale-stats.recorder';
import { SaleStatsStore } from './sale-stats.store';
import { SaleWatchService } from './sale-watch.service';
import { SalesController } from './sales.controller';

/** Watch a sale live: GET /admin/sales (the page) and its event stream. */
@Module({
  imports: [VoucherModule, OrderModule],
  controllers: [SalesController],
  providers: [
    SaleStatsStore,
    SaleStatsRecorder,
    SaleFiguresRepository,
    SaleWatchService,
    SaleEventStreams,
  ],
})
export class SalesModule {}
