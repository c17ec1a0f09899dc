/**
 * Which shoppers this instance has recently seen Redis call buyers of a voucher
 * (admitted, or refused as already purchased). Not an answer: only a hint of
 * which question to ask Redis first. A shopper seen as a buyer is asked with one
 * SISMEMBER (a hot user hammering the button costs the cheapest call); anyone
 * else goes straight to the lock script, which checks the buyer set itself.
 * A wrong hint costs one call, never a wrong answer.
 *
 * Bounded: at most `maxShoppers` in all; past it, the vouchers seen longest ago
 * are forgotten first.
 */
export class RecentBuyers {
  private readonly byVoucher = new Map<number, Set<number>>();
  private size = 0;

  constructor(private readonly maxShoppers = 10_000) {}

  has(voucherId: number, userId: number): boolean {
    return this.byVoucher.get(voucherId)?.has(userId) ?? false;
  }

  add(voucherId: number, userId: number): void {
    let buyers = this.byVoucher.get(voucherId);
    if (!buyers) {
      buyers = new Set();
      this.byVoucher.set(voucherId, buyers);
    }
    if (buyers.has(userId)) return;
    buyers.add(userId);
    this.size += 1;
    while (this.size > this.maxShoppers) {
      const [oldest, oldestBuyers] = this.byVoucher.entries().next().value!;
      this.size -= oldestBuyers.size;
      this.byVoucher.delete(oldest);
    }
  }
}
