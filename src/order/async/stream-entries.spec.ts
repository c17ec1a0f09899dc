import { compareStreamIds, isUnsignedId, toOrderStreamEntry } from './stream-entries';

describe(compareStreamIds.name, () => {
  it('orders by time, then by sequence, exactly beyond 2^53', () => {
    expect(compareStreamIds('1-0', '2-0')).toBeLessThan(0);
    expect(compareStreamIds('5-10', '5-9')).toBeGreaterThan(0);
    expect(compareStreamIds('1700000000000-3', '1700000000000-3')).toBe(0);
    expect(compareStreamIds('9007199254740993-0', '9007199254740992-0')).toBeGreaterThan(0);
    expect(['3-0', '10-0', '2-5'].sort(compareStreamIds)).toEqual(['2-5', '3-0', '10-0']);
  });
});

describe(isUnsignedId.name, () => {
  it.each(['1', '663654910604083207', '18446744073709551615'])('accepts %s', (id) => {
    expect(isUnsignedId(id)).toBe(true);
  });

  it.each(['', '0', '-1', '01', '1.5', 'abc', '18446744073709551616', '1e3', ' 1'])(
    'refuses %p (INSERT IGNORE would turn it into a warning)',
    (id) => {
      expect(isUnsignedId(id)).toBe(false);
    },
  );
});

describe(toOrderStreamEntry.name, () => {
  it('reads the fields by name, whatever their order', () => {
    expect(toOrderStreamEntry(['1-1', ['voucherId', '3', 'orderId', '99', 'userId', '7']])).toEqual(
      { streamId: '1-1', orderId: '99', userId: '7', voucherId: '3' },
    );
  });

  it('leaves a missing field empty (the writer dead-letters such an entry)', () => {
    expect(toOrderStreamEntry(['1-1', ['orderId', '99']])).toMatchObject({ userId: '' });
  });
});
