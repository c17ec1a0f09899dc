import { emptyStats, recordAnswer, SaleStats } from './sale-stats';
import { SaleReading, SaleWatch } from './sale-snapshot';

const T0 = Date.UTC(2026, 10, 30, 12);

function fleetOf(created: number, rejected: number, ms = 3): SaleStats {
  const stats = emptyStats();
  for (let i = 0; i < created; i += 1) recordAnswer(stats, 'created', ms);
  for (let i = 0; i < rejected; i += 1) recordAnswer(stats, 'STOCK_EXHAUSTED', ms);
  return stats;
}

const reading = (overrides: Partial<SaleReading>): SaleReading => ({
  at: T0,
  mode: 'sync',
  mysqlStock: 10,
  mysqlOrders: 0,
  fleet: emptyStats(),
  instances: 1,
  ...overrides,
});

describe(SaleWatch.name, () => {
  it('derives rates from the counters of the last seconds', () => {
    const sut = new SaleWatch(7);

    const first = sut.snapshot(reading({ fleet: fleetOf(0, 0) }));
    sut.snapshot(reading({ at: T0 + 1000, fleet: fleetOf(10, 2) }));
    const third = sut.snapshot(
      reading({ at: T0 + 2000, fleet: fleetOf(30, 6), mysqlStock: 4, mysqlOrders: 30 }),
    );

    expect(first).toMatchObject({ ordersPerSecond: 0, rejectionsPerSecond: 0, p99Ms: null });
    expect(third).toMatchObject({
      voucherId: 7,
      at: new Date(T0 + 2000).toISOString(),
      ordersPerSecond: 15,
      rejectionsPerSecond: 3,
      ordersAccepted: 30,
      rejections: { STOCK_EXHAUSTED: 6 },
      stockLeft: 4,
      stockTotal: 34,
      ordersCreated: 30,
    });
    expect(third).not.toHaveProperty('backlog');
  });

  it('measures p99 over the recent answers only', () => {
    const sut = new SaleWatch(7);
    const slow = fleetOf(100, 0, 900);
    sut.snapshot(reading({ fleet: slow }));

    // 11 s later, 100 fast answers more: the slow ones are out of the window.
    const later = emptyStats();
    later.outcomes.created = 200;
    later.latency = slow.latency.map((count, i) => count + fleetOf(100, 0, 2).latency[i]);
    sut.snapshot(reading({ at: T0 + 5000, fleet: slow }));
    const snapshot = sut.snapshot(reading({ at: T0 + 11_000, fleet: later }));

    expect(snapshot.p99Ms).toBeLessThanOrEqual(2);
  });

  it('async mode: Redis stock and the backlog', () => {
    const sut = new SaleWatch(7);
    const backlog = { pending: 3, oldestAgeMs: 120, deadLetters: 1 };

    const snapshot = sut.snapshot(
      reading({ mode: 'async', redisStock: 2, mysqlStock: 5, mysqlOrders: 5, backlog }),
    );

    expect(snapshot).toMatchObject({ mode: 'async', stockLeft: 2, stockTotal: 10, backlog });
  });
});
