import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ok, okList, SuccessEnvelope } from '../common/envelope';
import { ParseIdPipe } from '../common/parse-id.pipe';
import { AdminOnly, Public } from '../user/auth.decorators';
import { AddSeckillStockDto } from './dto/add-seckill-stock.dto';
import { CreateSeckillVoucherDto } from './dto/create-seckill-voucher.dto';
import { RaisedStock, VoucherService } from './voucher.service';
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

  @AdminOnly()
  @Patch('seckill/:id')
  @ApiOperation({
    summary: 'Add stock to a running sale (admin); data is the stock after the raise',
  })
  async addSeckillStock(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: AddSeckillStockDto,
  ): Promise<SuccessEnvelope<RaisedStock>> {
    return ok(await this.vouchers.addSeckillStock(id, body.units));
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
