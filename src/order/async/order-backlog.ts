/** Accepted orders not yet written to MySQL (async mode), as /health, /metrics and tools read it. */
export interface OrderBacklog {
  /** Entries of `stream.orders` not yet acknowledged: delivered and pending, or not yet delivered. */
  pending: number;
  /** Age of the oldest of them (by its stream id's time, on Redis's clock); 0 when none. */
  oldestAgeMs: number;
  /** Entries in the dead-letter stream `stream.orders.dlq`. */
  deadLetters: number;
}

/** What a rebuild of a voucher's Redis keys found and wrote. */
export interface SeckillRebuild {
  voucherId: number;
  /** Units left in MySQL. */
  mysqlStock: number;
  /** Orders of the voucher in MySQL. */
  mysqlOrders: number;
  /** Accepted entries of the voucher still in the stream and not yet in MySQL. */
  pendingOrders: number;
  /** What `seckill:stock:<id>` was set to: MySQL stock minus the pending entries. */
  stock: number;
  /** Size of `seckill:order:<id>`: MySQL buyers plus the pending entries' users. */
  buyers: number;
}
