import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClient } from '../src/redis/redis.constants';
import { DataSource, In } from 'typeorm';
import { VoucherOrder } from '../src/order/voucher-order.entity';
import { RedisKeys } from '../src/redis/redis-keys';
import { compareSeckill, DRIFT_KINDS } from '../src/reconcile/seckill-drift';
import {
  SeckillSnapshotReader,
  UnacknowledgedEntries,
} from '../src/reconcile/seckill-snapshot.reader';
import { SeckillVoucher } from '../src/voucher/seckill-voucher.entity';

/** An order id the service answered 2xx with, and the shopper who sent that request. */
export interface AcknowledgedOrder {
  userId: number;
  orderId: string;
}

/** What the run did, as the load generator knows it: all the verifier trusts besides the stores. */
export interface SaleFacts {
  voucherId: number;
  initialStock: number;
  /** Every shopper that sent at least one order request. */
  shopperIds: readonly number[];
  acknowledged: readonly AcknowledgedOrder[];
  /** ORDER_LOCK_LEASE_MS of the service: no lock may outlive it. */
  lockLeaseMs: number;
  /**
   * SECKILL_MODE of the service (default sync). async: a 2xx is a 202 acceptance,
   * the orders reach MySQL through the stream, and the async checks run too.
   */
  mode?: SeckillMode;
  /** async: whether waiting for the stream writers ended with every order written. */
  drain?: { drained: boolean; waitedMs: number };
  /** async: [order id, HTTP status] of every 2xx, to tell 202 from 201. */
  acknowledgedStatuses?: readonly [string, number][];
}

export type SeckillMode = 'sync' | 'async';

export const SALE_CHECKS = {
  orderCount: 'orders = min(stock, shoppers)',
  onePerShopper: 'no shopper holds two orders',
  stockBalance: 'stock >= 0 and stock + orders = initial stock',
  acknowledgedPersisted: 'every 2xx order id is in the database, owned by its shopper',
  nothingUnacknowledged: 'no order exists without a 2xx',
  locksReleased: 'no lock key outlives its lease',
} as const;

/** Checked as well when the service runs SECKILL_MODE=async. */
export const ASYNC_SALE_CHECKS = {
  acceptedAs202: 'every 2xx is a 202 acceptance (the service runs SECKILL_MODE=async)',
  drained: 'the stream drained: every accepted order reached MySQL or the dead-letter stream',
  noDeadLetters: 'no accepted order was dead-lettered',
  redisAgrees: 'Redis stock and buyers agree with MySQL (as npm run reconcile compares them)',
} as const;

export type SaleCheck = keyof typeof SALE_CHECKS | keyof typeof ASYNC_SALE_CHECKS;

export interface CheckResult {
  check: SaleCheck;
  description: string;
  passed: boolean;
  detail: string;
  /** Order ids, user ids, voucher ids or Redis keys, as the check names them. */
  offendingIds: string[];
}

export interface SaleVerdict {
  passed: boolean;
  checks: CheckResult[];
}

/** Any verdict a report can show: a sale's, or a bench case's own checks. */
export interface Verdict {
  passed: boolean;
  checks: readonly Omit<CheckResult, 'check'>[];
}

export interface VerifyOptions {
  /**
   * A lock key that still has time left on its lease is not yet a violation.
   * true: wait until the longest such lease has run out and look again (at most
   * the configured lease); false: report such keys as passed, still held.
   */
  waitForLeases?: boolean;
  /** async: the service's reading of the order stream (AsyncSeckillState). */
  stream?: UnacknowledgedEntries;
}

/** A detail names this many offenders; offendingIds holds them all. */
const DETAILED = 10;

function listSome(reasons: readonly string[]): string {
  const more = reasons.length > DETAILED ? `; and ${reasons.length - DETAILED} more` : '';
  return `${reasons.length}: ${reasons.slice(0, DETAILED).join('; ')}${more}`;
}

const DESCRIPTIONS: Record<SaleCheck, string> = { ...SALE_CHECKS, ...ASYNC_SALE_CHECKS };

function result(check: SaleCheck, offendingIds: string[], detail: string): CheckResult {
  return {
    check,
    description: DESCRIPTIONS[check],
    passed: offendingIds.length === 0,
    detail,
    offendingIds,
  };
}

/**
 * Checks a finished sale against MySQL and Redis: everything the issue calls an
 * invariant. Reads only; never repairs anything.
 */
export async function verifySale(
  dataSource: DataSource,
  redis: RedisClient,
  facts: SaleFacts,
  options: VerifyOptions = {},
): Promise<SaleVerdict> {
  const orders = await dataSource
    .getRepository(VoucherOrder)
    .find({ where: { voucherId: facts.voucherId }, select: { id: true, userId: true } });
  const seckill = await dataSource
    .getRepository(SeckillVoucher)
    .findOneBy({ voucherId: facts.voucherId });

  const checks = [
    checkOrderCount(facts, orders),
    checkOnePerShopper(facts, orders),
    checkStockBalance(facts, orders, seckill?.stock),
    await checkAcknowledgedPersisted(dataSource, facts, orders),
    checkNothingUnacknowledged(facts, orders),
    await checkLocksReleased(redis, facts, options.waitForLeases ?? true),
  ];
  if (facts.mode === 'async') {
    if (!options.stream) throw new Error('the async checks need the order stream reader');
    checks.push(
      ...(await asyncChecks(new SeckillSnapshotReader(dataSource, redis, options.stream), facts)),
    );
  }
  return { passed: checks.every((check) => check.passed), checks };
}

type OrderRow = Pick<VoucherOrder, 'id' | 'userId'>;

function checkOrderCount(facts: SaleFacts, orders: OrderRow[]): CheckResult {
  const shoppers = new Set(facts.shopperIds).size;
  const expected = Math.min(facts.initialStock, shoppers);
  const detail = `${orders.length} orders for stock ${facts.initialStock} and ${shoppers} shoppers (expected ${expected})`;
  return result('orderCount', orders.length === expected ? [] : [String(facts.voucherId)], detail);
}

function checkOnePerShopper(facts: SaleFacts, orders: OrderRow[]): CheckResult {
  const offending = new Set<string>();
  const ordersOf = groupBy(orders, (order) => order.userId);
  for (const [userId, held] of ordersOf) {
    if (held.length > 1) offending.add(String(userId));
  }
  // Two 2xx answers for one shopper break the promise at the API, whatever the table holds.
  const acksOf = groupBy(facts.acknowledged, (ack) => ack.userId);
  for (const [userId, acks] of acksOf) {
    if (new Set(acks.map((ack) => ack.orderId)).size > 1) offending.add(String(userId));
  }
  const detail = offending.size
    ? listSome(
        [...offending].map((userId) => {
          const held = ordersOf.get(Number(userId)) ?? [];
          const acks = acksOf.get(Number(userId)) ?? [];
          return `user ${userId} holds orders [${held.map((order) => order.id).join(', ')}], was acknowledged [${acks.map((ack) => ack.orderId).join(', ')}]`;
        }),
      )
    : `${ordersOf.size} shoppers hold one order each`;
  return result('onePerShopper', [...offending], detail);
}

function checkStockBalance(
  facts: SaleFacts,
  orders: OrderRow[],
  stock: number | undefined,
): CheckResult {
  if (stock === undefined) {
    return result('stockBalance', [String(facts.voucherId)], 'the seckill voucher is missing');
  }
  const balanced = stock >= 0 && stock + orders.length === facts.initialStock;
  const detail = `stock ${stock} + orders ${orders.length} = ${stock + orders.length}, initial stock ${facts.initialStock}`;
  return result('stockBalance', balanced ? [] : [String(facts.voucherId)], detail);
}

async function checkAcknowledgedPersisted(
  dataSource: DataSource,
  facts: SaleFacts,
  orders: OrderRow[],
): Promise<CheckResult> {
  const owners = new Map(orders.map((order) => [order.id, order.userId]));
  const strays = facts.acknowledged.filter((ack) => owners.get(ack.orderId) !== ack.userId);
  // Look the strays up anywhere, to tell "lost" from "someone else's / another voucher's".
  const found = strays.length
    ? await dataSource.getRepository(VoucherOrder).find({
        where: { id: In(strays.map((ack) => ack.orderId)) },
        select: { id: true, userId: true, voucherId: true },
      })
    : [];
  const byId = new Map(found.map((order) => [order.id, order]));
  const reasons = strays.map((ack) => {
    const order = byId.get(ack.orderId);
    const where = order
      ? `belongs to user ${order.userId}, voucher ${order.voucherId}`
      : 'is not in the database';
    return `order ${ack.orderId} acknowledged to user ${ack.userId} ${where}`;
  });
  const detail = reasons.length
    ? listSome(reasons)
    : `${facts.acknowledged.length} acknowledged orders all found`;
  return result(
    'acknowledgedPersisted',
    strays.map((ack) => ack.orderId),
    detail,
  );
}

function checkNothingUnacknowledged(facts: SaleFacts, orders: OrderRow[]): CheckResult {
  const acknowledged = new Set(facts.acknowledged.map((ack) => ack.orderId));
  const unexpected = orders.filter((order) => !acknowledged.has(order.id));
  const detail = unexpected.length
    ? listSome(unexpected.map((order) => `order ${order.id} of user ${order.userId}`))
    : `every one of ${orders.length} orders was acknowledged`;
  return result(
    'nothingUnacknowledged',
    unexpected.map((order) => order.id),
    detail,
  );
}

/** PTTL answers: -2 the key is gone, -1 it has no expiry. */
const KEY_MISSING = -2;
const NO_EXPIRY = -1;
/** Slack for clock granularity when waiting for a lease to run out. */
const LEASE_SLACK_MS = 100;

async function lockLeases(
  redis: RedisClient,
  keys: readonly string[],
): Promise<Map<string, number>> {
  // One command per key, not one pipeline: on a Redis Cluster the keys are in many slots.
  // The app's client auto-pipelines them into few round trips all the same.
  const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
  const leases = new Map<string, number>();
  ttls.forEach((ttl, i) => {
    if (ttl !== KEY_MISSING) leases.set(keys[i], ttl);
  });
  return leases;
}

async function checkLocksReleased(
  redis: RedisClient,
  facts: SaleFacts,
  waitForLeases: boolean,
): Promise<CheckResult> {
  const keys = [...new Set(facts.shopperIds)].map((userId) => RedisKeys.orderLock(userId));
  let leases = await lockLeases(redis, keys);
  const outlives = (ttl: number) => ttl === NO_EXPIRY || ttl > facts.lockLeaseMs;
  const pending = [...leases.values()].filter((ttl) => !outlives(ttl));
  if (waitForLeases && pending.length > 0) {
    await sleep(Math.max(...pending) + LEASE_SLACK_MS);
    leases = await lockLeases(redis, [...leases.keys()]);
  }
  const offending: string[] = [];
  const reasons: string[] = [];
  const held: string[] = [];
  for (const [key, ttl] of leases) {
    if (ttl === NO_EXPIRY) {
      offending.push(key);
      reasons.push(`${key} has no expiry`);
    } else if (ttl > facts.lockLeaseMs || waitForLeases) {
      offending.push(key);
      reasons.push(`${key} still held, ${ttl} ms left (lease ${facts.lockLeaseMs} ms)`);
    } else {
      held.push(`${key} (${ttl} ms left)`);
    }
  }
  const detail = reasons.length
    ? listSome(reasons)
    : held.length
      ? `no leftover lock; still within their lease: ${listSome(held)}`
      : `none of ${keys.length} shoppers' lock keys is left`;
  return result('locksReleased', offending, detail);
}

/**
 * What async mode adds: the answers were acceptances, the writers caught up, no
 * order ended in the dead-letter stream, and Redis still mirrors MySQL.
 */
async function asyncChecks(
  reader: SeckillSnapshotReader,
  facts: SaleFacts,
): Promise<CheckResult[]> {
  const wrongStatus = (facts.acknowledgedStatuses ?? []).filter(([, status]) => status !== 202);
  const acceptedAs202 = result(
    'acceptedAs202',
    wrongStatus.map(([orderId]) => orderId),
    wrongStatus.length
      ? listSome(wrongStatus.map(([orderId, status]) => `order ${orderId} answered ${status}`))
      : `${facts.acknowledged.length} acceptances, all 202`,
  );

  const redisSide = (await reader.readRedis([facts.voucherId])).get(facts.voucherId)!;
  const mysqlSide = await reader.readMysql(facts.voucherId);
  const written = new Set(mysqlSide.orders.map((order) => order.id));
  const unwritten = redisSide.pending.filter((entry) => !written.has(entry.orderId));
  const drain = facts.drain;
  const drained = result(
    'drained',
    unwritten.map((entry) => entry.orderId),
    unwritten.length
      ? `${unwritten.length} accepted orders still in the stream after ${drain?.waitedMs ?? 0} ms: ${listSome(unwritten.map((e) => `order ${e.orderId} of user ${e.userId} (entry ${e.streamId})`))}`
      : drain && !drain.drained
        ? `the writers stopped after ${drain.waitedMs} ms with orders neither written nor pending (see the other checks)`
        : drain && drain.waitedMs < 0
          ? `drained ${-drain.waitedMs} ms before the last answer`
          : `drained ${drain?.waitedMs ?? 0} ms after the last answer`,
  );

  const letters = (await reader.deadLetters()).filter((l) => l.voucherId === facts.voucherId);
  const noDeadLetters = result(
    'noDeadLetters',
    letters.map((letter) => letter.orderId),
    letters.length
      ? listSome(
          letters.map(
            (l) =>
              `order ${l.orderId} of user ${l.userId} (entry ${l.streamId}) after ${l.deliveries} deliveries: ${l.error}`,
          ),
        )
      : 'the dead-letter stream holds nothing of this voucher',
  );

  const drift = compareSeckill(redisSide, mysqlSide);
  const redisAgrees = result(
    'redisAgrees',
    drift.flatMap((d) => d.ids.map((id) => `${d.kind}:${id}`)),
    drift.length
      ? drift.map((d) => `${d.kind}: ${d.detail} (${DRIFT_KINDS[d.kind]})`).join('; ')
      : `Redis stock ${redisSide.stock}, ${redisSide.buyers.length} buyers = MySQL stock ${mysqlSide.stock}, ${mysqlSide.orders.length} orders`,
  );
  return [acceptedAs202, drained, noDeadLetters, redisAgrees];
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
