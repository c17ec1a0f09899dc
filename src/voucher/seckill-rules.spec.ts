import { assertSeckillOpen, SeckillOffer } from './seckill-rules';
import { SeckillEndedError, SeckillNotStartedError, StockExhaustedError } from './voucher.errors';

const BEGIN = new Date('2026-11-24T10:00:00.000Z');
const END = new Date('2026-11-24T12:00:00.000Z');

function offer(overrides: Partial<SeckillOffer> = {}): SeckillOffer {
  return { voucherId: 1, beginTime: BEGIN, endTime: END, stock: 100, ...overrides };
}

const at = (date: Date, deltaMs: number) => new Date(date.getTime() + deltaMs);

describe(assertSeckillOpen.name, () => {
  it.each([
    ['exactly at begin', BEGIN],
    ['inside the window', at(BEGIN, 60_000)],
    ['one millisecond before end', at(END, -1)],
  ])('lets an order through %s', (_case, now) => {
    expect(() => assertSeckillOpen(offer(), now)).not.toThrow();
  });

  it('lets the last unit through', () => {
    expect(() => assertSeckillOpen(offer({ stock: 1 }), at(BEGIN, 1))).not.toThrow();
  });

  it.each([
    ['one millisecond before begin', at(BEGIN, -1)],
    ['a day before begin', at(BEGIN, -86_400_000)],
  ])('refuses with SeckillNotStartedError %s', (_case, now) => {
    expect(() => assertSeckillOpen(offer(), now)).toThrow(SeckillNotStartedError);
  });

  it.each([
    ['exactly at end', END],
    ['after end', at(END, 1)],
  ])('refuses with SeckillEndedError %s', (_case, now) => {
    expect(() => assertSeckillOpen(offer(), now)).toThrow(SeckillEndedError);
  });

  it.each([0, -1])('refuses with StockExhaustedError when stock is %i', (stock) => {
    expect(() => assertSeckillOpen(offer({ stock }), at(BEGIN, 1))).toThrow(StockExhaustedError);
  });

  it('reports the window before the stock', () => {
    expect(() => assertSeckillOpen(offer({ stock: 0 }), at(BEGIN, -1))).toThrow(
      SeckillNotStartedError,
    );
    expect(() => assertSeckillOpen(offer({ stock: 0 }), END)).toThrow(SeckillEndedError);
  });

  it('throws errors carrying their codes', () => {
    expect(() => assertSeckillOpen(offer(), at(BEGIN, -1))).toThrow(
      expect.objectContaining({ code: 'SECKILL_NOT_STARTED' }),
    );
    expect(() => assertSeckillOpen(offer(), END)).toThrow(
      expect.objectContaining({ code: 'SECKILL_ENDED' }),
    );
    expect(() => assertSeckillOpen(offer({ stock: 0 }), BEGIN)).toThrow(
      expect.objectContaining({ code: 'STOCK_EXHAUSTED' }),
    );
  });
});
