import { RedisKeys } from '../src/redis/redis-keys';
import {
  AcknowledgedOrder,
  SaleCheck,
  SaleFacts,
  SaleVerdict,
  verifySale,
} from '../loadtest/sale.verifier';
import { createSeckillVoucher, signInShoppers, startTestApp, TestApp } from './support/test-app';

const LEASE_MS = 10_000;
/** An order id no generator hands out today (well below the current timestamp part). */
let forgedOrderId = 1_000_000n;
const nextForgedOrderId = () => String((forgedOrderId += 1n));

function failedChecks(verdict: SaleVerdict): SaleCheck[] {
  return verdict.checks.filter((check) => !check.passed).map((check) => check.check);
}

function offendersOf(verdict: SaleVerdict, check: SaleCheck): string[] {
  return verdict.checks.find((result) => result.check === check)!.offendingIds;
}

/**
 * The verifier is only worth its verdict if it catches what it claims to: each
 * test breaks one invariant straight in MySQL or Redis, then puts it back.
 */
describe('sale verifier (the loadtest checks) on broken states', () => {
  let t: TestApp;
  let facts: SaleFacts;
  let shoppers: { id: number; token: string }[];
  /** A user of this app who took no part in the sale. */
  let outsider: { id: number; token: string };

  const verify = (overrides: Partial<SaleFacts> = {}, waitForLeases = false) =>
    verifySale(t.db, t.redis, { ...facts, ...overrides }, { waitForLeases });

  beforeAll(async () => {
    t = await startTestApp();
    // A correct little sale through the API: 4 shoppers, stock 6, everyone buys once.
    const voucherId = await createSeckillVoucher(t.api, { stock: 6 });
    [outsider, ...shoppers] = await signInShoppers(t, 5);
    const acknowledged: AcknowledgedOrder[] = [];
    for (const shopper of shoppers) {
      const res = await t.api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', shopper.token)
        .expect(201);
      acknowledged.push({ userId: shopper.id, orderId: res.body.data as string });
    }
    facts = {
      voucherId,
      initialStock: 6,
      shopperIds: shoppers.map((shopper) => shopper.id),
      acknowledged,
      lockLeaseMs: LEASE_MS,
    };
  });
  afterAll(async () => {
    await t.close();
  });

  const insertOrder = (orderId: string, userId: number) =>
    t.db.query('INSERT INTO tb_voucher_order (id, user_id, voucher_id) VALUES (?, ?, ?)', [
      orderId,
      userId,
      facts.voucherId,
    ]);

  /** An order and its unit of stock, written straight into MySQL as no request did. */
  const sellBehindTheServicesBack = async (orderId: string, userId: number) => {
    await insertOrder(orderId, userId);
    await t.db.query('UPDATE tb_seckill_voucher SET stock = stock - 1 WHERE voucher_id = ?', [
      facts.voucherId,
    ]);
  };

  it('passes the intact sale (the control for every case below)', async () => {
    const verdict = await verify();
    expect(failedChecks(verdict)).toEqual([]);
    expect(verdict.passed).toBe(true);
  });

  it('reports a second order of one shopper, naming the shopper', async () => {
    const [victim] = shoppers;
    const orderId = nextForgedOrderId();
    // The UNIQUE key forbids this state, so it is dropped for the test and put back after.
    await t.db.query('ALTER TABLE tb_voucher_order DROP INDEX uk_order_user_voucher');
    try {
      await sellBehindTheServicesBack(orderId, victim.id);
      const verdict = await verify();
      expect(verdict.passed).toBe(false);
      expect(offendersOf(verdict, 'onePerShopper')).toEqual([String(victim.id)]);
      expect(offendersOf(verdict, 'nothingUnacknowledged')).toEqual([orderId]);
      expect(failedChecks(verdict)).toEqual([
        'orderCount',
        'onePerShopper',
        'nothingUnacknowledged',
      ]);
    } finally {
      await t.db.query('DELETE FROM tb_voucher_order WHERE id = ?', [orderId]);
      await t.db.query('UPDATE tb_seckill_voucher SET stock = stock + 1 WHERE voucher_id = ?', [
        facts.voucherId,
      ]);
      await t.db.query(
        'ALTER TABLE tb_voucher_order ADD UNIQUE KEY uk_order_user_voucher (user_id, voucher_id)',
      );
    }
    expect((await verify()).passed).toBe(true);
  });

  it('reports stock that does not add up, naming the voucher', async () => {
    await t.db.query('UPDATE tb_seckill_voucher SET stock = stock + 3 WHERE voucher_id = ?', [
      facts.voucherId,
    ]);
    try {
      const verdict = await verify();
      expect(failedChecks(verdict)).toEqual(['stockBalance']);
      expect(offendersOf(verdict, 'stockBalance')).toEqual([String(facts.voucherId)]);
      expect(verdict.checks.find((c) => c.check === 'stockBalance')!.detail).toContain(
        'stock 5 + orders 4 = 9, initial stock 6',
      );
    } finally {
      await t.db.query('UPDATE tb_seckill_voucher SET stock = stock - 3 WHERE voucher_id = ?', [
        facts.voucherId,
      ]);
    }
  });

  it('reports an acknowledged order id that is missing from the database', async () => {
    const lost = facts.acknowledged[1];
    await t.db.query('DELETE FROM tb_voucher_order WHERE id = ?', [lost.orderId]);
    try {
      const verdict = await verify();
      expect(offendersOf(verdict, 'acknowledgedPersisted')).toEqual([lost.orderId]);
      expect(failedChecks(verdict)).toEqual([
        'orderCount',
        'stockBalance',
        'acknowledgedPersisted',
      ]);
    } finally {
      await insertOrder(lost.orderId, lost.userId);
    }
  });

  it('reports an acknowledged order id that belongs to another shopper', async () => {
    const [first, second] = facts.acknowledged;
    const swapped = [
      { ...first, orderId: second.orderId },
      { ...second, orderId: first.orderId },
    ];
    const verdict = await verify({ acknowledged: [...swapped, ...facts.acknowledged.slice(2)] });
    expect(failedChecks(verdict)).toEqual(['acknowledgedPersisted']);
    expect(offendersOf(verdict, 'acknowledgedPersisted')).toEqual([second.orderId, first.orderId]);
  });

  it('reports an order nobody was told about, naming the order', async () => {
    const orderId = nextForgedOrderId();
    await sellBehindTheServicesBack(orderId, outsider.id);
    try {
      const verdict = await verify();
      expect(offendersOf(verdict, 'nothingUnacknowledged')).toEqual([orderId]);
      // The stock still adds up: only the orders that nobody acknowledged give it away.
      expect(failedChecks(verdict)).toEqual(['orderCount', 'nothingUnacknowledged']);
    } finally {
      await t.db.query('DELETE FROM tb_voucher_order WHERE id = ?', [orderId]);
      await t.db.query('UPDATE tb_seckill_voucher SET stock = stock + 1 WHERE voucher_id = ?', [
        facts.voucherId,
      ]);
    }
  });

  it('reports a leftover lock key without expiry, naming the key', async () => {
    const key = RedisKeys.orderLock(shoppers[2].id);
    await t.redis.set(key, 'left-behind');
    try {
      const verdict = await verify();
      expect(failedChecks(verdict)).toEqual(['locksReleased']);
      expect(offendersOf(verdict, 'locksReleased')).toEqual([key]);
    } finally {
      await t.redis.del(key);
    }
  });

  it('reports a lock whose expiry is longer than the lease', async () => {
    const key = RedisKeys.orderLock(shoppers[3].id);
    await t.redis.set(key, 'too-long', 'PX', LEASE_MS * 10);
    try {
      expect(offendersOf(await verify(), 'locksReleased')).toEqual([key]);
    } finally {
      await t.redis.del(key);
    }
  });

  it('lets a lock still inside its lease run out before judging it', async () => {
    const key = RedisKeys.orderLock(shoppers[0].id);
    await t.redis.set(key, 'releasing', 'PX', 300);
    const verdict = await verify({}, true);
    expect(verdict.passed).toBe(true);
    expect(await t.redis.exists(key)).toBe(0);
  });
});
