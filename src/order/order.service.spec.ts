import { Registry } from 'prom-client';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { DependencyUnavailableError } from '../common/domain-error';
import { AsyncSeckillConfig, SeckillConfig } from '../config/configuration';
import { AsyncSeckillState } from './async/async-seckill.state';
import { HeldLock } from '../lock/held-lock';
import { LockService } from '../lock/lock.service';
import { RedisKeys } from '../redis/redis-keys';
import { SeckillOffer } from '../voucher/seckill-rules';
import {
  SeckillEndedError,
  SeckillNotStartedError,
  StockExhaustedError,
  VoucherNotFoundError,
} from '../voucher/voucher.errors';
import { VoucherService } from '../voucher/voucher.service';
import { OrderIdGenerator } from './order-id.generator';
import {
  AlreadyPurchasedError,
  DuplicateOrderError,
  OrderNotFoundError,
  OrderOutcomeUnknownError,
} from './order.errors';
import { OrderRepository, SeckillOrderOutcome } from './order.repository';
import { OrderService } from './order.service';
import { VoucherOrder } from './voucher-order.entity';

const USER_ID = 7;
const OTHER_USER_ID = 8;
const VOUCHER_ID = 3;
const ORDER_ID = '123456789012345678';
const HOUR_MS = 3_600_000;

const config: SeckillConfig = { orderLockLeaseMs: 12_345, voucherCacheTtlMs: 1_000 };
const syncMode = { mode: 'sync' } as AsyncSeckillConfig;

function openOffer(overrides: Partial<SeckillOffer> = {}): SeckillOffer {
  return {
    voucherId: VOUCHER_ID,
    beginTime: new Date(Date.now() - HOUR_MS),
    endTime: new Date(Date.now() + HOUR_MS),
    stock: 10,
    ...overrides,
  };
}

function voucherOrder(overrides: Partial<VoucherOrder> = {}): VoucherOrder {
  return Object.assign(new VoucherOrder(), {
    id: ORDER_ID,
    userId: USER_ID,
    voucherId: VOUCHER_ID,
    payType: 1,
    status: 1,
    createTime: new Date('2026-11-24T10:00:00.000Z'),
    ...overrides,
  });
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const flushPromises = () => new Promise((done) => setImmediate(done));

describe(OrderService.name, () => {
  let vouchers: jest.Mocked<
    Pick<VoucherService, 'getSeckillOffer' | 'cachedSeckillOffer' | 'recordSoldOut'>
  >;
  let orders: jest.Mocked<
    Pick<OrderRepository, 'createWithStockDeduction' | 'findByUser' | 'findOneOfUser'>
  >;
  let locks: jest.Mocked<Pick<LockService, 'tryLock'>>;
  let orderIds: jest.Mocked<Pick<OrderIdGenerator, 'next'>>;
  let lock: jest.Mocked<Pick<HeldLock, 'release' | 'abandon'>>;
  /** Sync mode reads and writes only the voucher's buyer set. */
  let buyers: jest.Mocked<Pick<AsyncSeckillState, 'isKnownBuyer' | 'recordSyncBuyer'>>;
  let registry: Registry;
  let sut: OrderService;

  beforeEach(() => {
    registry = new Registry();
    vouchers = {
      getSeckillOffer: jest.fn().mockResolvedValue(openOffer()),
      // Not in memory: every test goes through getSeckillOffer unless it says otherwise.
      cachedSeckillOffer: jest.fn().mockReturnValue(undefined),
      recordSoldOut: jest.fn(),
    };
    orders = {
      createWithStockDeduction: jest
        .fn()
        .mockResolvedValue('created' satisfies SeckillOrderOutcome),
      findByUser: jest.fn(),
      findOneOfUser: jest.fn(),
    };
    lock = { release: jest.fn().mockResolvedValue(undefined), abandon: jest.fn() };
    locks = { tryLock: jest.fn().mockResolvedValue(lock) };
    orderIds = { next: jest.fn().mockResolvedValue(ORDER_ID) };
    buyers = {
      isKnownBuyer: jest.fn().mockResolvedValue(false),
      recordSyncBuyer: jest.fn().mockResolvedValue(undefined),
    };
    sut = new OrderService(
      vouchers as unknown as VoucherService,
      orders as unknown as OrderRepository,
      locks as unknown as LockService,
      orderIds as unknown as OrderIdGenerator,
      new SeckillMetrics(registry),
      config,
      buyers as unknown as AsyncSeckillState,
      syncMode,
    );
  });

  describe('sync mode, a known buyer', () => {
    it('is refused with AlreadyPurchasedError before the lock and MySQL', async () => {
      buyers.isKnownBuyer.mockResolvedValue(true);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        AlreadyPurchasedError,
      );

      expect(buyers.isKnownBuyer).toHaveBeenCalledWith(VOUCHER_ID, USER_ID);
      expect(locks.tryLock).not.toHaveBeenCalled();
      expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
    });

    it('goes on to the transaction when Redis cannot say (only a yes is final)', async () => {
      buyers.isKnownBuyer.mockRejectedValue(new Error('Connection is closed.'));

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).resolves.toEqual({
        orderId: ORDER_ID,
        state: 'created',
      });
      expect(orders.createWithStockDeduction).toHaveBeenCalledTimes(1);
    });

    it('is recorded after commit and before the release, when created or found in MySQL', async () => {
      const calls: string[] = [];
      orders.createWithStockDeduction.mockImplementation(() => {
        calls.push('transaction');
        return Promise.resolve('created');
      });
      buyers.recordSyncBuyer.mockImplementation(() => {
        calls.push('record');
        return Promise.resolve();
      });
      lock.release.mockImplementation(() => {
        calls.push('release');
        return Promise.resolve();
      });
      await sut.placeSeckillOrder(USER_ID, VOUCHER_ID);
      expect(calls).toEqual(['transaction', 'record', 'release']);

      orders.createWithStockDeduction.mockResolvedValue('already-purchased');
      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        AlreadyPurchasedError,
      );
      expect(buyers.recordSyncBuyer).toHaveBeenCalledTimes(2);
      expect(buyers.recordSyncBuyer).toHaveBeenCalledWith(VOUCHER_ID, USER_ID);
    });

    it.each(['sold-out', 'ended', 'outcome-unknown'] as const)(
      'is not recorded when the outcome is %s',
      async (outcome) => {
        orders.createWithStockDeduction.mockResolvedValue(outcome);
        await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeDefined();
        expect(buyers.recordSyncBuyer).not.toHaveBeenCalled();
      },
    );
  });

  const outcomeCount = async (outcome: string) =>
    (await registry.getSingleMetric('seckill_orders_total')!.get()).values.find(
      (value) => value.labels.outcome === outcome,
    )?.value ?? 0;

  it('counts each attempt by its outcome', async () => {
    await sut.placeSeckillOrder(USER_ID, VOUCHER_ID);
    locks.tryLock.mockResolvedValueOnce(undefined);
    await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
      DuplicateOrderError,
    );

    expect(await outcomeCount('created')).toBe(1);
    expect(await outcomeCount('DUPLICATE_ORDER')).toBe(1);
  });

  describe('placeSeckillOrder', () => {
    it('resolves with the new order id once the order is created', async () => {
      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).resolves.toEqual({
        orderId: ORDER_ID,
        state: 'created',
      });

      expect(vouchers.getSeckillOffer).toHaveBeenCalledWith(VOUCHER_ID);
      expect(orders.createWithStockDeduction).toHaveBeenCalledTimes(1);
      expect(orders.createWithStockDeduction).toHaveBeenCalledWith({
        orderId: ORDER_ID,
        userId: USER_ID,
        voucherId: VOUCHER_ID,
      });
      expect(vouchers.recordSoldOut).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it("takes the user's order lock with the configured lease", async () => {
      await sut.placeSeckillOrder(USER_ID, VOUCHER_ID);

      expect(locks.tryLock).toHaveBeenCalledTimes(1);
      expect(locks.tryLock).toHaveBeenCalledWith(RedisKeys.orderLock(USER_ID), {
        leaseMs: config.orderLockLeaseMs,
      });
      expect(locks.tryLock).toHaveBeenCalledWith(`lock:order:${USER_ID}`, expect.anything());
    });

    it('checks, locks, runs the transaction and releases, in that order', async () => {
      await sut.placeSeckillOrder(USER_ID, VOUCHER_ID);

      const order = ({ mock }: { mock: { invocationCallOrder: number[] } }) =>
        mock.invocationCallOrder[0];
      expect(order(vouchers.getSeckillOffer)).toBeLessThan(order(locks.tryLock));
      expect(order(locks.tryLock)).toBeLessThan(order(orderIds.next));
      expect(order(orderIds.next)).toBeLessThan(order(orders.createWithStockDeduction));
      expect(order(orders.createWithStockDeduction)).toBeLessThan(order(lock.release));
    });

    it('releases the lock only after the transaction has resolved', async () => {
      const transaction = deferred<SeckillOrderOutcome>();
      orders.createWithStockDeduction.mockReturnValue(transaction.promise);

      const placing = sut.placeSeckillOrder(USER_ID, VOUCHER_ID);
      await flushPromises();
      expect(orders.createWithStockDeduction).toHaveBeenCalledTimes(1);
      expect(lock.release).not.toHaveBeenCalled();

      transaction.resolve('created');
      await expect(placing).resolves.toEqual({ orderId: ORDER_ID, state: 'created' });
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('answers only once the lock is released, so the next request of the user finds it free', async () => {
      const release = deferred<void>();
      lock.release.mockReturnValue(release.promise);
      let answered = false;

      const placing = sut.placeSeckillOrder(USER_ID, VOUCHER_ID).then(() => (answered = true));
      await flushPromises();
      expect(lock.release).toHaveBeenCalledTimes(1);
      expect(answered).toBe(false);

      release.resolve();
      await placing;
      expect(answered).toBe(true);
    });

    describe('turned away before the lock', () => {
      it.each<[string, () => void, new () => Error]>([
        [
          'an unknown voucher',
          () => vouchers.getSeckillOffer.mockRejectedValue(new VoucherNotFoundError()),
          VoucherNotFoundError,
        ],
        [
          'a seckill not started',
          () =>
            vouchers.getSeckillOffer.mockResolvedValue(
              openOffer({
                beginTime: new Date(Date.now() + HOUR_MS),
                endTime: new Date(Date.now() + 2 * HOUR_MS),
              }),
            ),
          SeckillNotStartedError,
        ],
        [
          'a seckill ended',
          () =>
            vouchers.getSeckillOffer.mockResolvedValue(
              openOffer({
                beginTime: new Date(Date.now() - 2 * HOUR_MS),
                endTime: new Date(Date.now() - HOUR_MS),
              }),
            ),
          SeckillEndedError,
        ],
        [
          'no stock left',
          () => vouchers.getSeckillOffer.mockResolvedValue(openOffer({ stock: 0 })),
          StockExhaustedError,
        ],
      ])('%s takes no lock and opens no transaction', async (_case, arrange, expected) => {
        arrange();

        await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(expected);

        expect(locks.tryLock).not.toHaveBeenCalled();
        expect(orderIds.next).not.toHaveBeenCalled();
        expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
      });
    });

    it('refuses a concurrent order of the same user with DuplicateOrderError', async () => {
      locks.tryLock.mockResolvedValue(undefined);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        DuplicateOrderError,
      );

      expect(orderIds.next).not.toHaveBeenCalled();
      expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
    });

    it('lets a failure to lock (Redis down) through, without a transaction', async () => {
      const unavailable = new DependencyUnavailableError(['redis']);
      locks.tryLock.mockRejectedValue(unavailable);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBe(unavailable);

      expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
    });

    it('answers an already-purchased outcome with AlreadyPurchasedError', async () => {
      orders.createWithStockDeduction.mockResolvedValue('already-purchased');

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        AlreadyPurchasedError,
      );

      expect(vouchers.recordSoldOut).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('answers a sold-out outcome with StockExhaustedError and records it', async () => {
      orders.createWithStockDeduction.mockResolvedValue('sold-out');

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        StockExhaustedError,
      );

      expect(vouchers.recordSoldOut).toHaveBeenCalledWith(VOUCHER_ID);
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it.each<[SeckillOrderOutcome, new () => Error]>([
      ['not-started', SeckillNotStartedError],
      ['ended', SeckillEndedError],
    ])(
      "answers the database's %s (its clock, not this instance's) with %p",
      async (outcome, expected) => {
        orders.createWithStockDeduction.mockResolvedValue(outcome);

        await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(expected);

        expect(vouchers.recordSoldOut).not.toHaveBeenCalled();
        expect(lock.release).toHaveBeenCalledTimes(1);
      },
    );

    it('answers a taken order id as a bug (500), not as already purchased, and releases', async () => {
      orders.createWithStockDeduction.mockResolvedValue('id-collision');

      const placing = sut.placeSeckillOrder(USER_ID, VOUCHER_ID);

      await expect(placing).rejects.toThrow(/order id 123456789012345678 is taken/);
      await expect(placing).rejects.not.toBeInstanceOf(AlreadyPurchasedError);
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it('answers an unknown outcome with OrderOutcomeUnknownError and leaves the lock to expire', async () => {
      orders.createWithStockDeduction.mockResolvedValue('outcome-unknown');

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        OrderOutcomeUnknownError,
      );

      expect(lock.abandon).toHaveBeenCalledTimes(1);
      expect(lock.release).not.toHaveBeenCalled();
    });

    it('releases the lock when the transaction rejects, and passes the error on', async () => {
      const failure = new Error('Connection lost: The server closed the connection.');
      orders.createWithStockDeduction.mockRejectedValue(failure);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBe(failure);

      expect(lock.release).toHaveBeenCalledTimes(1);
      expect(vouchers.recordSoldOut).not.toHaveBeenCalled();
    });

    it('releases the lock when no order id can be had, and opens no transaction', async () => {
      const unavailable = new DependencyUnavailableError(['redis']);
      orderIds.next.mockRejectedValue(unavailable);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBe(unavailable);

      expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });
  });

  describe('listOrders', () => {
    it("lists the user's orders", async () => {
      const mine = [voucherOrder()];
      orders.findByUser.mockResolvedValue(mine);

      await expect(sut.listOrders(USER_ID)).resolves.toEqual([{ ...mine[0], state: 'created' }]);
      expect(orders.findByUser).toHaveBeenCalledWith(USER_ID);
    });
  });

  describe('getOrder', () => {
    beforeEach(() => {
      // The repository finds an order only for the user who placed it.
      const stored = voucherOrder({ userId: USER_ID });
      orders.findOneOfUser.mockImplementation((orderId, userId) =>
        Promise.resolve(orderId === stored.id && userId === stored.userId ? stored : undefined),
      );
    });

    it("answers the user's own order", async () => {
      await expect(sut.getOrder(USER_ID, ORDER_ID)).resolves.toMatchObject({
        id: ORDER_ID,
        userId: USER_ID,
        state: 'created',
      });
    });

    it("answers someone else's order with OrderNotFoundError", async () => {
      await expect(sut.getOrder(OTHER_USER_ID, ORDER_ID)).rejects.toBeInstanceOf(
        OrderNotFoundError,
      );
    });

    it('answers an unknown order with OrderNotFoundError', async () => {
      await expect(sut.getOrder(USER_ID, '1')).rejects.toBeInstanceOf(OrderNotFoundError);
    });
  });

  describe('in async mode', () => {
    let admit: jest.Mock<Promise<{ outcome: string; orderId?: string }>, [unknown, unknown]>;
    let findAccepted: jest.Mock<Promise<unknown>, [string]>;
    let lockUnlessBuyer: jest.Mock<Promise<unknown>, [number, number, number]>;

    beforeEach(() => {
      admit = jest.fn().mockResolvedValue({ outcome: 'accepted', orderId: ORDER_ID });
      findAccepted = jest.fn().mockResolvedValue(undefined);
      lockUnlessBuyer = jest.fn().mockResolvedValue({ held: lock });
      sut = new OrderService(
        vouchers as unknown as VoucherService,
        orders as unknown as OrderRepository,
        locks as unknown as LockService,
        orderIds as unknown as OrderIdGenerator,
        new SeckillMetrics(new Registry()),
        config,
        { admit, findAccepted, lockUnlessBuyer } as unknown as AsyncSeckillState,
        { mode: 'async' } as AsyncSeckillConfig,
      );
    });

    it('answers pending with the order id once Redis admitted it, with no MySQL transaction', async () => {
      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).resolves.toEqual({
        orderId: ORDER_ID,
        state: 'pending',
      });

      expect(lockUnlessBuyer).toHaveBeenCalledWith(VOUCHER_ID, USER_ID, config.orderLockLeaseMs);
      // The lock goes with the admission, which may release it in its own script.
      expect(admit).toHaveBeenCalledWith(
        { userId: USER_ID, voucherId: VOUCHER_ID },
        { held: lock },
      );
      expect(orders.createWithStockDeduction).not.toHaveBeenCalled();
      // The admission script draws the id: no call of its own.
      expect(orderIds.next).not.toHaveBeenCalled();
      expect(lock.release).toHaveBeenCalledTimes(1);
    });

    it.each([
      ['already-purchased', AlreadyPurchasedError],
      ['sold-out', StockExhaustedError],
      ['not-started', SeckillNotStartedError],
      ['ended', SeckillEndedError],
    ] as const)(
      'turns the script answer %s into its error and releases the lock',
      async (outcome, expected) => {
        admit.mockResolvedValue({ outcome });

        await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(expected);
        expect(lock.release).toHaveBeenCalledTimes(1);
      },
    );

    it('remembers a sold-out voucher, so the crowd is turned away before Redis', async () => {
      admit.mockResolvedValue({ outcome: 'sold-out' });

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        StockExhaustedError,
      );
      expect(vouchers.recordSoldOut).toHaveBeenCalledWith(VOUCHER_ID);
    });

    it('refuses a buyer Redis already admitted before the lock: no lock, no id, no script', async () => {
      lockUnlessBuyer.mockResolvedValue('already-purchased');

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        AlreadyPurchasedError,
      );
      expect(lock.release).not.toHaveBeenCalled();
      expect(orderIds.next).not.toHaveBeenCalled();
      expect(admit).not.toHaveBeenCalled();
    });

    it('asks the buyer set and the lock only once the offer checks passed', async () => {
      vouchers.getSeckillOffer.mockResolvedValue(openOffer({ stock: 0 }));

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        StockExhaustedError,
      );
      expect(lockUnlessBuyer).not.toHaveBeenCalled();
    });

    it('answers DUPLICATE_ORDER while the user holds the lock, without running the script', async () => {
      lockUnlessBuyer.mockResolvedValue(undefined);

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        DuplicateOrderError,
      );
      expect(admit).not.toHaveBeenCalled();
    });

    it('checks the offer this instance has in memory without asking for it again', async () => {
      vouchers.cachedSeckillOffer.mockReturnValue(openOffer({ stock: 0 }));

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        StockExhaustedError,
      );
      expect(vouchers.cachedSeckillOffer).toHaveBeenCalledWith(VOUCHER_ID);
      expect(vouchers.getSeckillOffer).not.toHaveBeenCalled();
      expect(lockUnlessBuyer).not.toHaveBeenCalled();
    });

    it('answers a voucher known not to exist with VoucherNotFoundError, before Redis', async () => {
      vouchers.cachedSeckillOffer.mockImplementation(() => {
        throw new VoucherNotFoundError();
      });

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        VoucherNotFoundError,
      );
      expect(lockUnlessBuyer).not.toHaveBeenCalled();
    });

    it('lets a failure to lock (Redis down) through, without the script', async () => {
      lockUnlessBuyer.mockRejectedValue(new DependencyUnavailableError(['redis']));

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        DependencyUnavailableError,
      );
      expect(admit).not.toHaveBeenCalled();
    });

    it('admits while MySQL cannot give the offer: Redis checks the window and stock itself', async () => {
      vouchers.getSeckillOffer.mockRejectedValue(
        Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      );

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).resolves.toMatchObject({
        state: 'pending',
      });
    });

    it('answers ORDER_OUTCOME_UNKNOWN and keeps the lock when the script got no answer in time', async () => {
      admit.mockRejectedValue(new Error('Command timed out'));

      await expect(sut.placeSeckillOrder(USER_ID, VOUCHER_ID)).rejects.toBeInstanceOf(
        OrderOutcomeUnknownError,
      );
      expect(lock.abandon).toHaveBeenCalledTimes(1);
      expect(lock.release).not.toHaveBeenCalled();
    });

    it('answers an accepted order not yet in MySQL as pending, only to its buyer', async () => {
      orders.findOneOfUser.mockResolvedValue(undefined);
      findAccepted.mockResolvedValue({
        orderId: ORDER_ID,
        userId: USER_ID,
        voucherId: VOUCHER_ID,
        state: 'pending',
        acceptedAt: new Date('2026-11-24T10:00:00.000Z'),
      });

      await expect(sut.getOrder(USER_ID, ORDER_ID)).resolves.toMatchObject({
        id: ORDER_ID,
        state: 'pending',
        createTime: new Date('2026-11-24T10:00:00.000Z'),
      });
      await expect(sut.getOrder(OTHER_USER_ID, ORDER_ID)).rejects.toBeInstanceOf(
        OrderNotFoundError,
      );
    });

    it('answers created once MySQL has the order, whatever Redis still says', async () => {
      orders.findOneOfUser.mockResolvedValue(voucherOrder());
      findAccepted.mockResolvedValue({ userId: USER_ID, state: 'pending' });

      await expect(sut.getOrder(USER_ID, ORDER_ID)).resolves.toMatchObject({ state: 'created' });
    });
  });
});
