import { createSeckillVoucher, loginShopper, startTestApp, TestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('orders', async () => {
    const token = await loginShopper(t.api);
    const id = await createSeckillVoucher(t.api);
    const res = await t.api
      .post(`/voucher-order/seckill/${id}`)
      .set('authorization', token)
      .expect(201);
    expect(res.body.data).toMatch(/^\d+$/);
  });
});
