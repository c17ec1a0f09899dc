import { VoucherOrder } from './voucher-order.entity';

/**
 * Where an order is: `created` (in MySQL), or in async mode before that,
 * `pending` (accepted in Redis, on its way to MySQL) or `failed` (dead-lettered:
 * it will never be written, its unit was given back).
 */
export type OrderState = 'created' | 'pending' | 'failed';

export type OrderView = Pick<
  VoucherOrder,
  'id' | 'userId' | 'voucherId' | 'payType' | 'status' | 'createTime'
> & { state: OrderState };

export interface OrderResponse {
  /** 64-bit: a string, since JSON numbers lose precision above 2^53. */
  id: string;
  userId: number;
  voucherId: number;
  payType: number;
  status: number;
  createTime: string;
  state: OrderState;
}

export function toOrderResponse(order: OrderView): OrderResponse {
  return {
    id: order.id,
    userId: order.userId,
    voucherId: order.voucherId,
    payType: order.payType,
    status: order.status,
    createTime: order.createTime.toISOString(),
    state: order.state,
  };
}
