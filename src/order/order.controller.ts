import { Controller, Get, Param, Post } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ok, okList, SuccessEnvelope } from '../common/envelope';
import { ParseBigIdPipe, ParseIdPipe } from '../common/parse-id.pipe';
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
  @ApiOperation({ summary: 'Seckill: order one unit of the voucher; data is the order id' })
  async placeSeckillOrder(
    @CurrentShopper() shopper: Shopper,
    @Param('id', ParseIdPipe) voucherId: number,
  ): Promise<SuccessEnvelope<string>> {
    return ok(await this.orders.placeSeckillOrder(shopper.id, voucherId));
  }

  @Get()
  @ApiOperation({ summary: "The caller's orders, newest first" })
  async listMine(@CurrentShopper() shopper: Shopper): Promise<SuccessEnvelope<OrderResponse[]>> {
    const orders = await this.orders.listOrders(shopper.id);
    return okList(orders.map(toOrderResponse));
  }

  @Get(':orderId')
  @ApiOperation({ summary: "One of the caller's orders" })
  async getMine(
    @CurrentShopper() shopper: Shopper,
    @Param('orderId', ParseBigIdPipe) orderId: string,
  ): Promise<SuccessEnvelope<OrderResponse>> {
    return ok(toOrderResponse(await this.orders.getOrder(shopper.id, orderId)));
  }
}
