import { Controller, Get, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListResult } from '../common/envelope';
import { ParseBigIdPipe, ParseIdPipe } from '../common/parse-id.pipe';
import { SeckillMetricsInterceptor } from '../metrics/seckill-metrics.interceptor';
import { CurrentShopper } from '../user/auth.decorators';
import { Shopper } from '../user/shopper';
import { OrderService } from './order.service';
import { OrderResponse, toOrderResponse } from './order.responses';

@ApiTags('voucher-order')
@ApiHeader({ name: 'authorization', description: 'token or Bearer token' })
@Controller('voucher-order')
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Post('seckill/:id')
  @UseInterceptors(SeckillMetricsInterceptor)
  @ApiOperation({ summary: 'Seckill: order one unit of the voucher; data is the order id' })
  placeSeckillOrder(
    @CurrentShopper() shopper: Shopper,
    @Param('id', ParseIdPipe) voucherId: number,
  ): Promise<string> {
    return this.orders.placeSeckillOrder(shopper.id, voucherId);
  }

  @Get()
  @ApiOperation({ summary: "The caller's orders, newest first" })
  async listMine(@CurrentShopper() shopper: Shopper): Promise<ListResult<OrderResponse>> {
    const orders = await this.orders.listOrders(shopper.id);
    return new ListResult(orders.map(toOrderResponse));
  }

  @Get(':orderId')
  @ApiOperation({ summary: "One of the caller's orders" })
  async getMine(
    @CurrentShopper() shopper: Shopper,
    @Param('orderId', ParseBigIdPipe) orderId: string,
  ): Promise<OrderResponse> {
    return toOrderResponse(await this.orders.getOrder(shopper.id, orderId));
  }
}
