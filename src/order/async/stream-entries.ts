/** One accepted order as it travels in `stream.orders` (fields as decimal strings). */
export interface OrderStreamEntry {
  /** The entry's stream id, `<ms>-<seq>` on Redis's clock. */
  streamId: string;
  orderId: string;
  userId: string;
  voucherId: string;
}

/** ioredis' raw shape of a stream entry: [id, [field, value, field, value, ...]]. */
export type RawStreamEntry = [string, string[]];

export function toOrderStreamEntry([streamId, fields]: RawStreamEntry): OrderStreamEntry {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]] = fields[i + 1];
  return {
    streamId,
    orderId: values.orderId ?? '',
    userId: values.userId ?? '',
    voucherId: values.voucherId ?? '',
  };
}

/** `<ms>-<seq>` as two bigints, for comparing stream ids exactly. */
function parts(id: string): [bigint, bigint] {
  const [ms, seq = '0'] = id.split('-');
  return [BigInt(ms), BigInt(seq)];
}

/** Negative, zero or positive, as stream ids order. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs, aSeq] = parts(a);
  const [bMs, bSeq] = parts(b);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}

/** The Redis-clock time an entry was added, in epoch ms. */
export function streamIdTimeMs(id: string): number {
  return Number(id.split('-')[0]);
}

const UNSIGNED_64_MAX = 18_446_744_073_709_551_615n;

/** A positive decimal that fits BIGINT UNSIGNED: what every id field of an entry must be. */
export function isUnsignedId(value: string): boolean {
  return /^[1-9][0-9]{0,19}$/.test(value) && BigInt(value) <= UNSIGNED_64_MAX;
}
