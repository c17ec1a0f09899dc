import { LockService } from '../src/lock/lock.service';
import { OrderRepository } from '../src/order/order.repository';
import { VoucherRepository } from '../src/voucher/voucher.repository';
import {
  createSeckillVoucher,
  signInShoppers,
  startTestApp,
  stockOf,
  TestApp,
} from './support/test-app';

/**
 * Turning a crowd away from a sold-out voucher must cost no lock, no transaction
 * and no database round trip per request, on every instance serving the sale.
 * Two instances share MySQL and Redis here, as two processes behind a balancer would.
 */
describe('a sold-out voucher across instances (e2e)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // Long enough that no reload happens during the test (the default is 1 s).
    process.env.VOUCHER_CACHE_TTL_MS = '30000';
    a = await startTestApp();
    b = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    delete process.env.VOUCHER_CACHE_TTL_MS;
  });

  const spiesOn = (t: TestApp) => ({
    offerLoads: jest.spyOn(t.app.get(VoucherRepository), 'findSeckillOffer'),
    transactions: jest.spyOn(t.app.get(OrderRepository), 'createWithStockDeduction'),
    locks: jest.spyOn(t.app.get(LockService), 'tryLock'),
  });

  afterEach(() => jest.restoreAllMocks());

  it('costs each instance at most one database trip to learn, then none per request', async () => {
    const shoppers = await signInShoppers(a, 102);
    const voucherId = await createSeckillVoucher(a.api, { stock: 2 });
    // B sells one unit, so B holds a hint of stock 2 that is about to go stale.
    await b.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', shoppers[0].token)
      .expect(201);
    // A sells the last one.
    await a.api
      .post(`/voucher-order/seckill/${voucherId}`)
      .set('authorization', shoppers[1].token)
      .expect(201);

    const onA = spiesOn(a);
    const onB = spiesOn(b);
    for (const [i, shopper] of shoppers.slice(2).entries()) {
      const instance = i % 2 === 0 ? a : b;
      const res = await instance.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(409);
      expect(res.body.code).toBe('STOCK_EXHAUSTED');
    }

    // A learned it from its own sale's aftermath: its first refused request ran one
    // transaction that found no stock; B likewise, its hint being stale.
    for (const spies of [onA, onB]) {
      expect(spies.transactions.mock.calls.length).toBeLessThanOrEqual(1);
      expect(spies.locks.mock.calls.length).toBeLessThanOrEqual(1);
      expect(spies.offerLoads).not.toHaveBeenCalled();
    }
    // 100 refusals, at most two of which reached MySQL.
    expect(await stockOf(a, voucherId)).toBe(0);
  });

  it('costs an instance that never saw the voucher one load, then nothing', async () => {
    const shoppers = await signInShoppers(a, 50);
    const voucherId = await createSeckillVoucher(a.api, { stock: 0 });
    const onB = spiesOn(b);

    for (const shopper of shoppers) {
      await b.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(409);
    }

    expect(onB.offerLoads).toHaveBeenCalledTimes(1);
    expect(onB.transactions).not.toHaveBeenCalled();
    expect(onB.locks).not.toHaveBeenCalled();
  });
});
