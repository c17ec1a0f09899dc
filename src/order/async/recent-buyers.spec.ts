import { RecentBuyers } from './recent-buyers';

describe(RecentBuyers.name, () => {
  it('remembers a buyer per voucher', () => {
    const sut = new RecentBuyers();
    sut.add(1, 7);

    expect(sut.has(1, 7)).toBe(true);
    expect(sut.has(1, 8)).toBe(false);
    expect(sut.has(2, 7)).toBe(false);
  });

  it('holds at most maxShoppers, forgetting the vouchers seen longest ago first', () => {
    const sut = new RecentBuyers(3);
    sut.add(1, 1);
    sut.add(1, 2);
    sut.add(2, 1);
    sut.add(2, 1); // counted once

    expect([sut.has(1, 1), sut.has(1, 2), sut.has(2, 1)]).toEqual([true, true, true]);
    sut.add(3, 1);

    expect(sut.has(1, 1)).toBe(false);
    expect(sut.has(1, 2)).toBe(false);
    expect(sut.has(2, 1)).toBe(true);
    expect(sut.has(3, 1)).toBe(true);
  });
});
