import { SeckillOffer } from './seckill-rules';

interface Entry {
  offer: Readonly<SeckillOffer> | undefined;
  expiresAt: number;
}

/**
 * Seckill offers kept in memory for a short time, so the requests of a flash
 * crowd that will be turned away (not started, ended, sold out, unknown id) cost
 * no database round trip. Each instance holds its own copy and reloads it once
 * per TTL, so a sale stays cheap to reject however many instances serve it.
 * A cached stock is only a hint: stale-high is harmless (the transaction
 * decides), and it only ever drops, to zero, when the database said so.
 * Entries are frozen, so no caller can change what the next one reads.
 */
export class SeckillOfferCache {
  private readonly entries = new Map<number, Entry>();
  private readonly loading = new Map<number, Promise<Readonly<SeckillOffer> | undefined>>();
  /** Bumped by forget(): a load that started before it must not be remembered after it. */
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** Ids that were asked for, found or not: bounded, or random ids would fill the heap. */
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * The cached entry while it is fresh, without a promise: an order that finds
   * it checks the offer synchronously. `{ offer: undefined }`: known not to exist.
   */
  peek(voucherId: number): { offer: Readonly<SeckillOffer> | undefined } | undefined {
    const entry = this.entries.get(voucherId);
    return entry && entry.expiresAt > this.now() ? entry : undefined;
  }

  async get(
    voucherId: number,
    load: (voucherId: number) => Promise<SeckillOffer | undefined>,
  ): Promise<Readonly<SeckillOffer> | undefined> {
    const entry = this.entries.get(voucherId);
    if (entry && entry.expiresAt > this.now()) return entry.offer;

    // One load per voucher at a time, however many requests are waiting for it.
    let pending = this.loading.get(voucherId);
    if (!pending) {
      const generation = this.generation;
      const loading: Promise<Readonly<SeckillOffer> | undefined> = load(voucherId)
        .then((loaded) => {
          const offer = loaded && Object.freeze({ ...loaded });
          if (this.ttlMs > 0 && generation === this.generation) this.remember(voucherId, offer);
          return offer;
        })
        .finally(() => {
          if (this.loading.get(voucherId) === loading) this.loading.delete(voucherId);
        });
      pending = loading;
      this.loading.set(voucherId, pending);
    }
    return pending;
  }

  private remember(voucherId: number, offer: Readonly<SeckillOffer> | undefined): void {
    // Re-inserted at the end, so the first key is the one loaded longest ago.
    this.entries.delete(voucherId);
    this.entries.set(voucherId, { offer, expiresAt: this.now() + this.ttlMs });
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /**
   * Units came back or were added (a raise, a dead letter): the next get()
   * reloads, and a load already on its way is not remembered (it may have read
   * the stock before the change). Other instances learn it by their TTL.
   */
  forget(voucherId: number): void {
    this.generation += 1;
    this.entries.delete(voucherId);
    this.loading.delete(voucherId);
  }

  /**
   * The database refused a unit: nothing is left, whatever the hint said. The
   * mark lives only as long as the entry it is written on (never past the TTL
   * of the load it corrects), so stock that comes back later is sold at the
   * latest one TTL after it came back.
   */
  recordSoldOut(voucherId: number): void {
    const entry = this.entries.get(voucherId);
    if (entry?.offer) entry.offer = Object.freeze({ ...entry.offer, stock: 0 });
  }
}
