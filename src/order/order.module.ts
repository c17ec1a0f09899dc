import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DatabaseModule } from '../database/database.module';
import { LockModule } from '../lock/lock.module';
import { VoucherModule } from '../voucher/voucher.module';
import { AsyncOrderRepository } from './async/async-order.repository';
import { AsyncSeckillState } from './async/async-seckill.state';
import { OrderStreamWriter } from './async/order-stream.writer';
import { SeckillStockStore } from './async/seckill-stock.store';
import { OrderIdGenerator } from './order-id.generator';
import { OrderController } from './order.controller';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';
import { VoucherOrder } from './voucher-order.entity';

@Module({
  imports: [TypeOrmModule.forFeature([VoucherOrder]), DatabaseModule, LockModule, VoucherModule],
  controllers: [OrderController],
  providers: [
    OrderRepository,
    OrderIdGenerator,
    OrderService,
    SeckillStockStore,
    AsyncOrderRepository,
    AsyncSeckillState,
    OrderStreamWriter,
  ],
  exports: [AsyncSeckillState],
})
export class OrderModule {}
