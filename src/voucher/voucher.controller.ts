import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ok, okList, SuccessEnvelope } from '../common/envelope';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { AdminOnly, Public } from '../user/auth.decorators';
import { CreateSeckillVoucherDto } from './dto/create-seckill-voucher.dto';
import { VoucherService } from './voucher.service';
import { toVoucherResponse, VoucherResponse } from './voucher.responses';

@ApiTags('voucher')
@Controller('voucher')
export class VoucherController {
  constructor(private readonly vouchers: VoucherService) {}

  @AdminOnly()
  @Post('seckill')
  @ApiOperation({ summary: 'Create a seckill voucher (admin); data is its id' })
  async createSeckill(@Body() body: CreateSeckillVoucherDto): Promise<SuccessEnvelope<number>> {
    return ok(await this.vouchers.createSeckillVoucher(body));
  }

  @AdminOnly()
  @Get('seckill/:id')
  @ApiOperation({ summary: 'One seckill voucher with its stock left (admin)' })
  async getSeckill(
    @Param('id', ParseIdPipe) id: number,
  ): Promise<SuccessEnvelope<VoucherResponse>> {
    return ok(toVoucherResponse(await this.vouchers.getSeckillVoucher(id)));
  }

  @Public()
  @Get('list/:shopId')
  @ApiOperation({ summary: "A shop's vouchers; seckill ones carry stock and window" })
  async listByShop(
    @Param('shopId', ParseIdPipe) shopId: number,
  ): Promise<SuccessEnvelope<VoucherResponse[]>> {
    const vouchers = await this.vouchers.listShopVouchers(shopId);
    return okList(vouchers.map(toVoucherResponse));
  }
}
