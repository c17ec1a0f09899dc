/**
 * Whether Redis and MySQL agree on one seckill voucher, as pure functions of
 * what each holds. In async mode Redis decides (stock key, buyer set) and MySQL
 * follows through the order stream, so the two agree when:
 *
 *   Redis stock  = MySQL stock - orders admitted but not yet written
 *   Redis buyers = users with an order in MySQL + users of orders not yet written
 *
 * "Not yet written" are the stream entries the consumer group has not
 * acknowledged (never delivered, or delivered and pending) whose order id is not
 * in MySQL: an entry already committed but not yet acknowledged counts once.
 */

/** An order as the stream (or the dead-letter stream) carries it. */
export interface StreamOrder {
  streamId: string;
  orderId: string;
  userId: number;
  voucherId: number;
}

/** An entry of the dead-letter stream: an order given up on, and why. */
export interface DeadLetter extends StreamOrder {
  error: string;
  deliveries: number;
}

export interface RedisSeckillSide {
  voucherId: number;
  /** `seckill:stock:<id>`; null when the key is missing. */
  stock: number | null;
  /** Whether `seckill:window:<id>` exists: without it the keys are not used (being loaded). */
  window: boolean;
  /** `seckill:order:<id>`: user ids. */
  buyers: readonly number[];
  /** Entries of this voucher the consumer group has not acknowledged. */
  pending: readonly StreamOrder[];
}

export interface MysqlSeckillSide {
  voucherId: number;
  stock: number;
  orders: readonly { id: string; userId: number }[];
}

export const DRIFT_KINDS = {
  keysMissing:
    'the stock or window key is missing from Redis: no order is admitted until they are rebuilt',
  negativeStock: 'Redis stock is negative',
  stockMismatch: 'Redis stock != MySQL stock - orders not yet written',
  buyerWithoutOrder: 'a user in the Redis buyer set has neither an order in MySQL nor one pending',
  orderWithoutBuyer: 'an order in MySQL whose user is missing from the Redis buyer set',
  pendingWithoutBuyer: 'a pending order whose user is missing from the Redis buyer set',
  pendingConflict: 'a pending order of a user who already has another order (it cannot be written)',
} as const;

export type DriftKind = keyof typeof DRIFT_KINDS;

export interface Drift {
  kind: DriftKind;
  voucherId: number;
  detail: string;
  /** Order ids, user ids or the voucher id, as the kind names them (see idsAre). */
  ids: string[];
  idsAre: 'voucher' | 'users' | 'orders';
}

/** A detail names this many ids; `ids` holds them all. */
const DETAILED = 10;

function listSome(items: readonly string[]): string {
  const more = items.length > DETAILED ? ` and ${items.length - DETAILED} more` : '';
  return `${items.slice(0, DETAILED).join(', ')}${more}`;
}

const numeric = (a: string, b: string) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** Every way Redis and MySQL disagree on one voucher; empty when they agree. */
export function compareSeckill(redis: RedisSeckillSide, mysql: MysqlSeckillSide): Drift[] {
  const voucherId = mysql.voucherId;
  if (redis.stock === null || !redis.window) {
    const missing = [redis.stock === null && 'stock', !redis.window && 'window'].filter(Boolean);
    return [
      {
        kind: 'keysMissing',
        voucherId,
        detail: `no ${missing.join(' or ')} key (MySQL stock ${mysql.stock}, ${mysql.orders.length} orders, ${redis.pending.length} pending)`,
        ids: [String(voucherId)],
        idsAre: 'voucher',
      },
    ];
  }
  const drift: Drift[] = [];
  const written = new Set(mysql.orders.map((order) => order.id));
  const unwritten = redis.pending.filter((entry) => !written.has(entry.orderId));
  const buyers = new Set(redis.buyers);

  if (redis.stock < 0) {
    drift.push({
      kind: 'negativeStock',
      voucherId,
      detail: `Redis stock ${redis.stock}`,
      ids: [String(voucherId)],
      idsAre: 'voucher',
    });
  }
  const expectedStock = mysql.stock - unwritten.length;
  if (redis.stock !== expectedStock) {
    drift.push({
      kind: 'stockMismatch',
      voucherId,
      detail: `Redis stock ${redis.stock}, expected ${expectedStock} (MySQL stock ${mysql.stock} - ${unwritten.length} pending not yet written)`,
      ids: [String(voucherId)],
      idsAre: 'voucher',
    });
  }

  const ordersOf = new Map<number, string[]>();
  for (const order of mysql.orders) {
    ordersOf.set(order.userId, [...(ordersOf.get(order.userId) ?? []), order.id]);
  }
  const pendingOf = new Map<number, string[]>();
  for (const entry of unwritten) {
    pendingOf.set(entry.userId, [...(pendingOf.get(entry.userId) ?? []), entry.orderId]);
  }

  const strayBuyers = [...buyers].filter((user) => !ordersOf.has(user) && !pendingOf.has(user));
  if (strayBuyers.length) {
    const ids = strayBuyers.map(String).sort(numeric);
    drift.push({
      kind: 'buyerWithoutOrder',
      voucherId,
      detail: `${ids.length} user(s): ${listSome(ids)}`,
      ids,
      idsAre: 'users',
    });
  }

  const unlisted = mysql.orders.filter((order) => !buyers.has(order.userId));
  if (unlisted.length) {
    drift.push({
      kind: 'orderWithoutBuyer',
      voucherId,
      detail: `${unlisted.length} order(s): ${listSome(unlisted.map((o) => `${o.id} (user ${o.userId})`))}`,
      ids: unlisted.map((order) => order.id),
      idsAre: 'orders',
    });
  }

  const pendingUnlisted = unwritten.filter((entry) => !buyers.has(entry.userId));
  if (pendingUnlisted.length) {
    drift.push({
      kind: 'pendingWithoutBuyer',
      voucherId,
      detail: `${pendingUnlisted.length} order(s): ${listSome(pendingUnlisted.map((e) => `${e.orderId} (user ${e.userId}, entry ${e.streamId})`))}`,
      ids: pendingUnlisted.map((entry) => entry.orderId),
      idsAre: 'orders',
    });
  }

  // Two orders of one user: the UNIQUE key refuses the second, so it would end dead-lettered.
  const conflicts = unwritten.filter(
    (entry) => ordersOf.has(entry.userId) || (pendingOf.get(entry.userId)?.length ?? 0) > 1,
  );
  if (conflicts.length) {
    drift.push({
      kind: 'pendingConflict',
      voucherId,
      detail: `${conflicts.length} order(s): ${listSome(
        conflicts.map(
          (e) =>
            `${e.orderId} (user ${e.userId}, who also has ${[
              ...(ordersOf.get(e.userId) ?? []),
              ...(pendingOf.get(e.userId) ?? []).filter((id) => id !== e.orderId),
            ].join(', ')})`,
        ),
      )}`,
      ids: conflicts.map((entry) => entry.orderId),
      idsAre: 'orders',
    });
  }
  return drift;
}

/**
 * On a voucher that is being sold, a look at Redis and then at MySQL can see an
 * order in one and not yet in the other. A difference counts only if a second
 * look finds it again: of the second look's drift, what the first also had
 * (for id lists, the ids both name).
 */
export function persistentDrift(first: readonly Drift[], second: readonly Drift[]): Drift[] {
  return second.flatMap((drift) => {
    const earlier = first.find((d) => d.kind === drift.kind && d.voucherId === drift.voucherId);
    if (!earlier) return [];
    if (drift.idsAre === 'voucher') return [drift];
    const before = new Set(earlier.ids);
    const ids = drift.ids.filter((id) => before.has(id));
    if (ids.length === 0) return [];
    if (ids.length === drift.ids.length) return [drift];
    return [{ ...drift, ids, detail: `${ids.length} seen in both looks: ${listSome(ids)}` }];
  });
}
