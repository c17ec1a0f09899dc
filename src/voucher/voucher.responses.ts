import { Voucher } from './voucher.entity';

export interface VoucherResponse {
  id: number;
  shopId: number;
  title: string;
  subTitle: string | null;
  rules: string | null;
  payValue: number;
  actualValue: number;
  type: number;
  status: number;
  stock?: number;
  beginTime?: string;
  endTime?: string;
}

export function toVoucherResponse(voucher: Voucher): VoucherResponse {
  const { seckill } = voucher;
  return {
    id: voucher.id,
    shopId: voucher.shopId,
    title: voucher.title,
    subTitle: voucher.subTitle,
    rules: voucher.rules,
    payValue: voucher.payValue,
    actualValue: voucher.actualValue,
    type: voucher.type,
    status: voucher.status,
    ...(seckill && {
      stock: seckill.stock,
      beginTime: seckill.beginTime.toISOString(),
      endTime: seckill.endTime.toISOString(),
    }),
  };
}
