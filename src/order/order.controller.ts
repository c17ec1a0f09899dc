import { Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ok, okList, SuccessEnvelope } from '../common/envelope';
import { ParseBigIdPipe, ParseIdPipe } from '../common/parse-id.pipe';
import { CurrentShopper, ShopperOnly } from '../user/auth.decorators';
import { Shopper } from '../user/shopper';
import { OrderService } from './order.service';
import { OrderResponse, toOrderResponse } from './order.responses';

@ApiTags('voucher-order')
@ShopperOnly()
@Controller('voucher-order')
export class OrderController {
  constructor(private readonly orders: OrderService) {}

  @Post('seckill/:id')
  @ApiOperation({
    summary:
      'Seckill: order one unit of the voucher; data is the order id. 201: committed (sync mode); 202: accepted, written to MySQL shortly (async mode)',
  })
  async placeSeckillOrder(
    @CurrentShopper() shopper: Shopper,
    @Param('id', ParseIdPipe) voucherId: number,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SuccessEnvelope<string>> {
    const answer = await this.orders.placeSeckillOrder(shopper.id, voucherId);
    if (answer.state === 'pending') reply.status(202);
    return ok(answer.orderId);
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
