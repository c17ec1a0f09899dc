import { Logger } from '@nestjs/common';
import { Registry } from 'prom-client';
import { SeckillMetrics } from '../metrics/seckill.metrics';
import { SaleStats } from './sale-stats';
import { SaleStatsRecorder } from './sale-stats.recorder';
import { SaleStatsStore } from './sale-stats.store';
import { STATS_FLUSH_MS } from './sales.constants';

describe(SaleStatsRecorder.name, () => {
  let published: Map<number, SaleStats>[];
  let store: jest.Mocked<Pick<SaleStatsStore, 'publish'>>;
  let metrics: SeckillMetrics;
  let sut: SaleStatsRecorder;

  beforeEach(() => {
    jest.useFakeTimers();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    published = [];
    store = {
      publish: jest.fn((_id: string, sales: ReadonlyMap<number, SaleStats>) => {
        published.push(new Map(JSON.parse(JSON.stringify([...sales])) as [number, SaleStats][]));
        return Promise.resolve();
      }),
    };
    metrics = new SeckillMetrics(new Registry());
    sut = new SaleStatsRecorder(metrics, store as unknown as SaleStatsStore);
    sut.onModuleInit();
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('hears every seckill answer through SeckillMetrics.track, and publishes them together after the flush delay', async () => {
    await metrics.track(7, () => Promise.resolve('id'));
    await expect(metrics.track(7, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(store.publish).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(STATS_FLUSH_MS);

    expect(store.publish).toHaveBeenCalledTimes(1);
    expect(store.publish).toHaveBeenCalledWith(sut.instanceId, expect.any(Map));
    expect(published[0].get(7)!.outcomes).toEqual({ created: 1, INTERNAL_ERROR: 1 });
  });

  it('counts no answer of an unknown voucher (no counters for made-up ids)', async () => {
    sut.record(999, 'VOUCHER_NOT_FOUND', 1);
    await jest.advanceTimersByTimeAsync(STATS_FLUSH_MS);

    expect(store.publish).not.toHaveBeenCalled();
  });

  it('runs no timer while nothing happens', async () => {
    sut.record(1, 'created', 2);
    await jest.advanceTimersByTimeAsync(STATS_FLUSH_MS * 10);

    expect(store.publish).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('keeps what Redis refused and publishes it with the next attempt', async () => {
    store.publish.mockRejectedValueOnce(new Error('redis down'));
    sut.record(1, 'created', 2);
    await jest.advanceTimersByTimeAsync(STATS_FLUSH_MS);
    sut.record(1, 'STOCK_EXHAUSTED', 2);
    await jest.advanceTimersByTimeAsync(STATS_FLUSH_MS);

    expect(store.publish).toHaveBeenCalledTimes(2);
    expect(published.at(-1)!.get(1)!.outcomes).toEqual({ created: 1, STOCK_EXHAUSTED: 1 });
  });

  it('publishes the last answers at shutdown and stops', async () => {
    sut.record(3, 'created', 2);

    await sut.beforeApplicationShutdown();
    sut.record(3, 'created', 2);

    expect(store.publish).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});
