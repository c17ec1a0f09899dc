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

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    /** Ids that were asked for, found or not: bounded, or random ids would fill the heap. */
    private readonly maxEntries = 10_000,
  ) {}

  async get(
    voucherId: number,
    load: (voucherId: number) => Promise<SeckillOffer | undefined>,
  ): Promise<Readonly<SeckillOffer> | undefined> {
    const entry = this.entries.get(voucherId);
    if (entry && entry.expiresAt > this.now()) return entry.offer;

    // One load per voucher at a time, however many requests are waiting for it.
    let pending = this.loading.get(voucherId);
    if (!pending) {
      pending = load(voucherId)
        .then((loaded) => {
          const offer = loaded && Object.freeze({ ...loaded });
          if (this.ttlMs > 0) this.remember(voucherId, offer);
          return offer;
        })
        .finally(() => this.loading.delete(voucherId));
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

  /** The database refused a unit: nothing is left, whatever the hint said. */
  recordSoldOut(voucherId: number): void {
    const entry = this.entries.get(voucherId);
    if (entry?.offer) entry.offer = Object.freeze({ ...entry.offer, stock: 0 });
  }
}
