import { SeckillOfferCache } from './seckill-offer.cache';
import { SeckillOffer } from './seckill-rules';

const VOUCHER_ID = 1;
const TTL_MS = 1_000;

function offer(overrides: Partial<SeckillOffer> = {}): SeckillOffer {
  return {
    voucherId: VOUCHER_ID,
    beginTime: new Date('2026-11-24T10:00:00.000Z'),
    endTime: new Date('2026-11-24T12:00:00.000Z'),
    stock: 5,
    ...overrides,
  };
}

type Load = jest.Mock<Promise<SeckillOffer | undefined>, [number]>;

function loadReturning(value: SeckillOffer | undefined): Load {
  return jest.fn((voucherId: number) => Promise.resolve(value && { ...value, voucherId }));
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

describe(SeckillOfferCache.name, () => {
  let now: number;
  let sut: SeckillOfferCache;

  beforeEach(() => {
    now = 1_800_000_000_000;
    sut = new SeckillOfferCache(TTL_MS, () => now);
  });

  describe('get', () => {
    it('loads on a miss and answers with what was loaded', async () => {
      const load = loadReturning(offer());

      await expect(sut.get(VOUCHER_ID, load)).resolves.toEqual(offer());
      expect(load).toHaveBeenCalledWith(VOUCHER_ID);
    });

    it('loads once per TTL', async () => {
      const load = loadReturning(offer());

      await sut.get(VOUCHER_ID, load);
      now += TTL_MS - 1;
      await expect(sut.get(VOUCHER_ID, load)).resolves.toEqual(offer());
      expect(load).toHaveBeenCalledTimes(1);

      now += 1;
      await sut.get(VOUCHER_ID, load);
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('answers a reload with the fresh offer', async () => {
      await sut.get(VOUCHER_ID, loadReturning(offer({ stock: 5 })));
      now += TTL_MS;

      await expect(sut.get(VOUCHER_ID, loadReturning(offer({ stock: 2 })))).resolves.toEqual(
        offer({ stock: 2 }),
      );
    });

    it('keeps vouchers apart', async () => {
      const load = loadReturning(offer());

      await sut.get(1, load);
      await expect(sut.get(2, load)).resolves.toMatchObject({ voucherId: 2 });
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('shares one load among concurrent gets', async () => {
      const pending = deferred<SeckillOffer | undefined>();
      const load: Load = jest.fn((_voucherId: number) => pending.promise);

      const gets = Promise.all([
        sut.get(VOUCHER_ID, load),
        sut.get(VOUCHER_ID, load),
        sut.get(VOUCHER_ID, load),
      ]);
      pending.resolve(offer());

      await expect(gets).resolves.toEqual([offer(), offer(), offer()]);
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('caches "not found" for the TTL', async () => {
      const load = loadReturning(undefined);

      await expect(sut.get(VOUCHER_ID, load)).resolves.toBeUndefined();
      now += TTL_MS - 1;
      await expect(sut.get(VOUCHER_ID, load)).resolves.toBeUndefined();
      expect(load).toHaveBeenCalledTimes(1);

      now += 1;
      await sut.get(VOUCHER_ID, load);
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('does not cache at all when the TTL is 0', async () => {
      sut = new SeckillOfferCache(0, () => now);
      const load = loadReturning(offer());

      await sut.get(VOUCHER_ID, load);
      await sut.get(VOUCHER_ID, load);

      expect(load).toHaveBeenCalledTimes(2);
    });

    it('does not cache a failed load: the next get retries', async () => {
      const failure = new Error('connect ECONNREFUSED');
      const load: Load = jest.fn().mockRejectedValueOnce(failure).mockResolvedValue(offer());

      await expect(sut.get(VOUCHER_ID, load)).rejects.toBe(failure);
      await expect(sut.get(VOUCHER_ID, load)).resolves.toEqual(offer());
      expect(load).toHaveBeenCalledTimes(2);
    });

    it('rejects every concurrent get of a failed load', async () => {
      const failure = new Error('connect ECONNREFUSED');
      const load: Load = jest.fn().mockRejectedValue(failure);

      const first = sut.get(VOUCHER_ID, load);
      const second = sut.get(VOUCHER_ID, load);

      await expect(first).rejects.toBe(failure);
      await expect(second).rejects.toBe(failure);
      expect(load).toHaveBeenCalledTimes(1);
    });
  });

  describe('peek', () => {
    it('answers a fresh entry without a promise, and nothing once it is stale or unknown', async () => {
      expect(sut.peek(VOUCHER_ID)).toBeUndefined();
      await sut.get(VOUCHER_ID, loadReturning(offer()));

      expect(sut.peek(VOUCHER_ID)).toEqual({ offer: offer(), expiresAt: now + TTL_MS });
      now += TTL_MS;
      expect(sut.peek(VOUCHER_ID)).toBeUndefined();
    });

    it('answers "not found" as an entry without an offer', async () => {
      await sut.get(VOUCHER_ID, loadReturning(undefined));

      expect(sut.peek(VOUCHER_ID)).toEqual({ offer: undefined, expiresAt: now + TTL_MS });
    });

    it('sees a recorded sell-out and a forget', async () => {
      await sut.get(VOUCHER_ID, loadReturning(offer()));
      sut.recordSoldOut(VOUCHER_ID);
      expect(sut.peek(VOUCHER_ID)?.offer?.stock).toBe(0);
      sut.forget(VOUCHER_ID);
      expect(sut.peek(VOUCHER_ID)).toBeUndefined();
    });
  });

  it('hands out frozen offers, so no caller can change what the next one reads', async () => {
    const loaded = offer({ stock: 2 });
    const got = await sut.get(VOUCHER_ID, () => Promise.resolve(loaded));

    expect(Object.isFrozen(got)).toBe(true);
    expect(got).not.toBe(loaded);
    await expect(sut.get(VOUCHER_ID, loadReturning(undefined))).resolves.toMatchObject({
      stock: 2,
    });
  });

  it('holds at most maxEntries vouchers, forgetting the one loaded longest ago', async () => {
    const bounded = new SeckillOfferCache(TTL_MS, () => now, 2);
    const load = jest.fn((id: number) => Promise.resolve(offer({ voucherId: id })));

    await bounded.get(1, load);
    await bounded.get(2, load);
    await bounded.get(3, load);
    await bounded.get(2, load);
    await bounded.get(3, load);
    expect(load).toHaveBeenCalledTimes(3);

    await bounded.get(1, load);
    expect(load).toHaveBeenCalledTimes(4);
  });

  describe('recordSoldOut', () => {
    it('sets the cached stock to 0', async () => {
      const load = loadReturning(offer({ stock: 5 }));
      await sut.get(VOUCHER_ID, load);

      sut.recordSoldOut(VOUCHER_ID);

      await expect(sut.get(VOUCHER_ID, load)).resolves.toMatchObject({ stock: 0 });
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('is a no-op for a voucher not cached', () => {
      expect(() => sut.recordSoldOut(VOUCHER_ID)).not.toThrow();
    });
  });
});
