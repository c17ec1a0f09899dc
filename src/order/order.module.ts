import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LockModule } from '../lock/lock.module';
import { VoucherModule } from '../voucher/voucher.module';
import { OrderIdGenerator } from './order-id.generator';
import { OrderController } from './order.controller';
import { OrderRepository } from './order.repository';
import { OrderService } from './order.service';
import { VoucherOrder } from './voucher-order.entity';

@Module({
  imports: [TypeOrmModule.forFeature([VoucherOrder]), LockModule, VoucherModule],
  controllers: [OrderController],
  providers: [OrderRepository, OrderIdGenerator, OrderService],
})
export class OrderModule {}
