import { OrderIdGenerator } from '../src/order/order-id.generator';
import {
  createSeckillVoucher,
  ordersOf,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';

/** Issue 7, item 7: a taken order id is not "already purchased". */
describe('an order id that is already taken (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is told apart from a second order of the user by the procedure', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const [first, second] = await signInShoppers(t, 2);
    const call = (orderId: string, userId: number) =>
      t.db.query<[{ outcome: string }[], unknown]>('CALL seckill_place_order_v3(?, ?, ?)', [
        orderId,
        userId,
        voucherId,
      ]);

    expect((await call('9000000001', first.id))[0][0].outcome).toBe('created');
    expect((await call('9000000001', second.id))[0][0].outcome).toBe('id-collision');
    expect((await call('9000000002', first.id))[0][0].outcome).toBe('already-purchased');
    expect(await stockOf(t, voucherId)).toBe(4);
  });

  it('answers a 500 (not ALREADY_PURCHASED), changes nothing, and a retry with a new id orders', async () => {
    const voucherId = await createSeckillVoucher(t.api, { stock: 5 });
    const [first, second] = await signInShoppers(t, 2);
    const placed = await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', first.token)
      .expect(201);
    // The generator hands out the first order's id again (its Redis sequence went back).
    jest
      .spyOn(t.app.get(OrderIdGenerator), 'next')
      .mockResolvedValueOnce(placed.body.data as string);

    const res = await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', second.token)
      .expect(500);

    expect(res.body.code).toBe('INTERNAL_ERROR');
    expect((await ordersOf(t, voucherId)).map((order) => Number(order.user_id))).toEqual([
      first.id,
    ]);
    expect(await stockOf(t, voucherId)).toBe(4);
    await t.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', second.token)
      .expect(201);
  });
});
