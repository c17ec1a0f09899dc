import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SeckillVoucher } from './seckill-voucher.entity';
import { VoucherController } from './voucher.controller';
import { Voucher } from './voucher.entity';
import { VoucherRepository } from './voucher.repository';
import { VoucherService } from './voucher.service';

@Module({
  imports: [TypeOrmModule.forFeature([Voucher, SeckillVoucher])],
  controllers: [VoucherController],
  providers: [VoucherRepository, VoucherService],
  exports: [VoucherService],
})
export class VoucherModule {}
