import { VoucherOrder } from './voucher-order.entity';

export interface OrderResponse {
  /** 64-bit: a string, since JSON numbers lose precision above 2^53. */
  id: string;
  userId: number;
  voucherId: number;
  payType: number;
  status: number;
  createTime: string;
}

export function toOrderResponse(order: VoucherOrder): OrderResponse {
  return {
    id: order.id,
    userId: order.userId,
    voucherId: order.voucherId,
    payType: order.payType,
    status: order.status,
    createTime: order.createTime.toISOString(),
  };
}
