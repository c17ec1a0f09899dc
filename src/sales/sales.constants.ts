/** How often an instance publishes its counters to Redis, while it has new answers to publish. */
export const STATS_FLUSH_MS = 500;

/**
 * How long a voucher's published counters outlive its last answer on any instance
 * (every publish renews the key). An instance's field stays after it stops, so the
 * fleet's totals never go back when an instance restarts.
 */
export const STATS_TTL_MS = 24 * 3_600_000;

/** How often an event stream sends a snapshot. */
export const SNAPSHOT_INTERVAL_MS = 1000;

/** Orders/s and rejections/s are measured over the last few seconds of snapshots. */
export const RATE_WINDOW_MS = 3000;

/** p99 over the answers of the last 10 s (since the stream opened, while it is younger). */
export const P99_WINDOW_MS = 10_000;

/** Vouchers the page offers to watch, newest first. */
export const WATCHABLE_SALES = 100;
