import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { RedisClient } from '../../redis/redis.constants';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { dependencyBehind } from '../../common/dependency-failure';
import {
  asyncSeckillConfig,
  AsyncSeckillConfig,
  redisConfig,
  RedisConfig,
} from '../../config/configuration';
import { OrderStreamMetrics } from '../../metrics/order-stream.metrics';
import { RedisKeys } from '../../redis/redis-keys';
import { createRedisClient } from '../../redis/redis.factory';
import { AsyncOrderRepository, BatchWriteResult } from './async-order.repository';
import { AsyncSeckillState } from './async-seckill.state';
import { LEGACY_ORDER_STREAM, OrderStreamShard, SeckillStockStore } from './seckill-stock.store';
import {
  compareStreamIds,
  isUnsignedId,
  OrderStreamEntry,
  RawStreamEntry,
  toOrderStreamEntry,
} from './stream-entries';

const GROUP = RedisKeys.orderWriterGroup;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;
/** A consumer with nothing pending, idle this long, is a process that has gone: removed. */
const GONE_CONSUMER_IDLE_MS = 3_600_000;

/** One stream as one reading loop sees it: its own connection and cursors. */
interface ShardReader {
  shard: OrderStreamShard;
  client: RedisClient;
  claimCursor: string;
  nextClaimAt: number;
  nextTrimAt: number;
}

interface Delivered {
  entry: OrderStreamEntry;
  /** Times the entry was delivered, this delivery included. */
  deliveries: number;
}

/**
 * Writes accepted orders from the order streams to MySQL (async mode): one
 * consumer of the group `order-writers` per process, named host-pid-random so
 * that a restarted process is a new consumer and never mistakes a dead one's
 * entries for its own. Each stream shard (`stream.orders:{s<n>}`, see
 * RedisKeys) is read by a loop of its own on a connection of its own, so a
 * blocking read of one shard never holds up another; every process reads
 * every shard, and claims every shard's idle entries. While a Redis upgraded
 * from before the shards holds the legacy `stream.orders`, one more loop
 * drains it and deletes it once empty.
 *
 * Loop: claim entries idle longer than ASYNC_CLAIM_IDLE_MS (a dead consumer's,
 * or this one's own failed writes: XAUTOCLAIM, which counts a delivery), read
 * new ones (XREADGROUP COUNT BLOCK), write them in one MySQL transaction,
 * XACK only after COMMIT. A crash between COMMIT and XACK redelivers entries
 * that MySQL already has: the write ignores them and they are acknowledged.
 *
 * MySQL unavailable (down, hung, a lock wait timed out) is not the entry's
 * fault: the batch is retried in memory until MySQL is back, its entries kept
 * claimed (XCLAIM JUSTID, which does not count a delivery), so an outage never
 * dead-letters anything. Any other failure is the entry's: the batch is split
 * to find it, and an entry that failed on its ASYNC_MAX_DELIVERIES-th delivery
 * goes to `stream.orders.dlq`. MySQL's fences refusing an entry (the user has
 * another order, the id is taken) is final at once: dead-lettered.
 */
@Injectable()
export class OrderStreamWriter implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OrderStreamWriter.name);
  /** Unique per process: host, pid and a random part (pids are reused, in containers always 1). */
  readonly consumerName = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readers: ShardReader[] = [];
  private running = false;
  private loops: Promise<void> | undefined;
  private lastWarning = 0;

  constructor(
    private readonly orders: AsyncOrderRepository,
    private readonly state: AsyncSeckillState,
    private readonly store: SeckillStockStore,
    private readonly metrics: OrderStreamMetrics,
    @Inject(asyncSeckillConfig.KEY) private readonly config: AsyncSeckillConfig,
    @Inject(redisConfig.KEY) private readonly redisConfig: RedisConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.mode !== 'async' || !this.config.writerEnabled) return;
    const shards = this.store.streamShards;
    if (await this.store.hasLegacyStream()) shards.push(LEGACY_ORDER_STREAM);
    for (const shard of shards) {
      const client = await this.connect();
      this.readers.push({ shard, client, claimCursor: '0-0', nextClaimAt: 0, nextTrimAt: 0 });
      await this.store.ensureGroup(shard, client);
    }
    this.running = true;
    this.loops = Promise.all(this.readers.map((reader) => this.run(reader))).then(() => undefined);
    this.logger.log(
      `order writer ${this.consumerName} started on ${shards.map((shard) => shard.stream).join(', ')}`,
    );
  }

  /**
   * A connection of its own per stream: XREADGROUP BLOCK would hold up every
   * command queued behind it on the shared, auto-pipelined client (on a
   * cluster, everything bound for that node).
   */
  private async connect(): Promise<RedisClient> {
    const client = createRedisClient(this.redisConfig, {
      autoPipelining: false,
      commandTimeoutMs: this.config.blockMs + this.redisConfig.timeoutMs,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      throw error;
    }
    return client;
  }

  /**
   * Stops reading, lets the batch in hand finish (or abandons it: its entries
   * stay pending and another consumer claims them after ASYNC_CLAIM_IDLE_MS).
   * Before the database and the shared Redis client close (onApplicationShutdown).
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.readers.length === 0) return;
    this.running = false;
    const limit = this.config.blockMs + 3 * this.redisConfig.timeoutMs;
    await Promise.race([this.loops, sleep(limit, undefined, { ref: false })]);
    for (const reader of this.readers) reader.client.disconnect();
    this.readers = [];
  }

  private async run(reader: ShardReader): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        if (reader.shard.legacy && (await this.legacyDrained(reader))) return;
        await this.step(reader);
        failures = 0;
      } catch (error) {
        if (!this.running) break;
        // The legacy stream deleted (by another instance's loop, which drained it): done.
        if (reader.shard.legacy && /NOGROUP|no such key/i.test((error as Error).message)) return;
        if (/NOGROUP/.test((error as Error).message)) {
          // The stream or the group is gone (Redis lost its data): start over.
          await this.store.ensureGroup(reader.shard, reader.client).catch(() => undefined);
        } else {
          this.warn(`order writer: ${(error as Error).message}`);
        }
        failures += 1;
        await sleep(backoffMs(failures));
      }
    }
  }

  /**
   * The legacy stream, once every entry in it is delivered and acknowledged
   * (nothing writes to it any more): deleted with its group, and its loop ends.
   * Its dead letters stay. Checked once per trim interval.
   */
  private async legacyDrained(reader: ShardReader): Promise<boolean> {
    if (Date.now() < reader.nextTrimAt) return false;
    const { client, shard } = reader;
    const groups = (await client.xinfo('GROUPS', shard.stream)) as unknown[][];
    for (const fields of groups) {
      const info = toRecord(fields);
      if (Number(info.pending) > 0) return false;
      const undelivered = (await client.xrange(
        shard.stream,
        `(${String(info['last-delivered-id'])}`,
        '+',
        'COUNT',
        1,
      )) as RawStreamEntry[];
      if (undelivered.length > 0) return false;
    }
    await client.del(shard.stream);
    this.logger.log(`legacy order stream ${shard.stream} drained and deleted`);
    return true;
  }

  private async step(reader: ShardReader): Promise<void> {
    const now = Date.now();
    if (now >= reader.nextClaimAt) {
      const claimed = await this.claimIdle(reader);
      // A full page: more may be waiting, claim again at once.
      if (claimed < this.config.batchSize) {
        reader.nextClaimAt = now + Math.max(50, Math.floor(this.config.claimIdleMs / 4));
      }
      if (claimed > 0) return;
    }
    if (now >= reader.nextTrimAt) {
      reader.nextTrimAt = now + this.config.trimIntervalMs;
      await this.trim(reader);
    }
    const reply = (await reader.client.xreadgroup(
      'GROUP',
      GROUP,
      this.consumerName,
      'COUNT',
      this.config.batchSize,
      'BLOCK',
      this.config.blockMs,
      'STREAMS',
      reader.shard.stream,
      '>',
    )) as [string, RawStreamEntry[]][] | null;
    const raw = reply?.[0]?.[1] ?? [];
    if (raw.length === 0) return;
    await this.writeDelivered(
      reader,
      raw.map((item) => ({ entry: toOrderStreamEntry(item), deliveries: 1 })),
    );
    // A partial batch: orders are trickling in, a sale is on. Read again at once and
    // every transaction carries a handful of orders, its round trips and CPU paid
    // per handful, in the same process that admits them; a few ms later it carries
    // dozens. A full batch means a backlog: no pause.
    if (raw.length < this.config.batchSize && this.config.batchLingerMs > 0 && this.running) {
      await sleep(this.config.batchLingerMs);
    }
  }

  /** XAUTOCLAIM one page of entries idle too long; answers how many it claimed. */
  private async claimIdle(reader: ShardReader): Promise<number> {
    const [cursor, raw] = (await reader.client.xautoclaim(
      reader.shard.stream,
      GROUP,
      this.consumerName,
      this.config.claimIdleMs,
      reader.claimCursor,
      'COUNT',
      this.config.batchSize,
    )) as [string, (RawStreamEntry | null)[], string[]?];
    reader.claimCursor = cursor;
    const claimed = raw.filter((item): item is RawStreamEntry => item !== null);
    if (claimed.length === 0) return 0;
    this.metrics.recordReclaimed(claimed.length);
    const counts = await this.deliveryCounts(
      reader,
      claimed.map(([id]) => id),
    );
    await this.writeDelivered(
      reader,
      claimed.map((item) => ({
        entry: toOrderStreamEntry(item),
        // Not found: no longer ours (claimed by another in between). Never
        // dead-letter on a guess: the next claim knows its count.
        deliveries: counts.get(item[0]) ?? 1,
      })),
    );
    return claimed.length;
  }

  private async deliveryCounts(reader: ShardReader, ids: string[]): Promise<Map<string, number>> {
    const sorted = [...ids].sort(compareStreamIds);
    const rows = (await reader.client.xpending(
      reader.shard.stream,
      GROUP,
      sorted[0],
      sorted[sorted.length - 1],
      ids.length * 4 + 100,
      this.consumerName,
    )) as [string, string, number, number][];
    return new Map(rows.map(([id, , , count]) => [id, Number(count)]));
  }

  /** Writes a delivered batch; acknowledges what MySQL has, dead-letters what it refused. */
  private async writeDelivered(reader: ShardReader, batch: Delivered[]): Promise<void> {
    const malformed = batch.filter(({ entry }) => !isWellFormed(entry));
    const wellFormed = batch.filter(({ entry }) => isWellFormed(entry));
    for (const item of malformed) {
      await this.failed(reader, item, 'malformed entry: orderId, userId and voucherId must be ids');
    }
    if (wellFormed.length === 0) return;
    const result = await this.writeRetryingOutages(reader, wellFormed);
    if (result) {
      await this.settle(reader, wellFormed, result);
      return;
    }
    if (!this.running) return;
    // The batch failed for a reason of its own: find the entries that cause it.
    for (const item of wellFormed) {
      if (!this.running) return;
      const single = await this.writeRetryingOutages(reader, [item], (error) =>
        this.failed(reader, item, (error as Error).message),
      );
      if (single) await this.settle(reader, [item], single);
    }
  }

  /**
   * One transaction, retried while MySQL is unavailable (and the writer runs).
   * Undefined when it failed for another reason (passed to `onFailure`), or
   * when shutting down (the entries stay pending).
   */
  private async writeRetryingOutages(
    reader: ShardReader,
    batch: Delivered[],
    onFailure?: (error: unknown) => Promise<void>,
  ): Promise<BatchWriteResult | undefined> {
    let nextKeepAlive = Date.now() + this.config.claimIdleMs / 2;
    for (let attempt = 1; ; attempt += 1) {
      const done = this.metrics.startBatch();
      try {
        const result = await this.orders.writeBatch(batch.map(({ entry }) => entry));
        done('committed', result.inserted);
        return result;
      } catch (error) {
        done('failed');
        if (dependencyBehind(error) !== 'mysql') {
          await onFailure?.(error);
          return undefined;
        }
        if (!this.running) return undefined;
        this.warn(
          `order writer: MySQL unavailable, ${batch.length} orders wait: ${(error as Error).message}`,
        );
        if (Date.now() >= nextKeepAlive) {
          // Still ours, and not idle: no one claims them (which would count a delivery).
          nextKeepAlive = Date.now() + this.config.claimIdleMs / 2;
          await this.keepClaimed(reader, batch).catch(() => undefined);
        }
        await sleep(backoffMs(attempt));
      }
    }
  }

  private async keepClaimed(reader: ShardReader, batch: Delivered[]): Promise<void> {
    await reader.client.xclaim(
      reader.shard.stream,
      GROUP,
      this.consumerName,
      0,
      ...batch.map(({ entry }) => entry.streamId),
      'JUSTID',
    );
  }

  /** After COMMIT: XACK what MySQL has (and drop its pending state); dead-letter the refused. */
  private async settle(
    reader: ShardReader,
    batch: Delivered[],
    result: BatchWriteResult,
  ): Promise<void> {
    const { shard } = reader;
    if (result.written.length > 0) {
      // One slot: the shard's stream and the state keys of the orders it admitted.
      const pipeline = reader.client.pipeline();
      pipeline.xack(shard.stream, GROUP, ...result.written.map((entry) => entry.streamId));
      pipeline.del(...result.written.map((entry) => shard.stateKey(entry.orderId)));
      const replies = await pipeline.exec();
      const failed = replies?.find(([error]) => error);
      if (failed) throw failed[0] as Error;
    }
    const deliveries = new Map(batch.map((item) => [item.entry.streamId, item.deliveries]));
    for (const { entry, reason } of result.refused) {
      await this.deadLetter(
        reader,
        { entry, deliveries: deliveries.get(entry.streamId) ?? 1 },
        reason,
      );
    }
  }

  /** A failed delivery: dead-lettered if it was the last allowed, else left to be claimed again. */
  private async failed(reader: ShardReader, item: Delivered, error: string): Promise<void> {
    if (item.deliveries < this.config.maxDeliveries) {
      this.warn(
        `order writer: entry ${item.entry.streamId} failed (delivery ${item.deliveries} of ${this.config.maxDeliveries}): ${error}`,
      );
      return;
    }
    await this.deadLetter(reader, item, error);
  }

  /**
   * To the stream's dead letters (`stream.orders.dlq:{s<n>}`). Its unit and its place in the buyer set go back
   * only if MySQL has no such order (then it is written, and acknowledged);
   * the buyer stays in the set if the user has another order of the voucher.
   */
  private async deadLetter(
    reader: ShardReader,
    { entry, deliveries }: Delivered,
    error: string,
  ): Promise<void> {
    const idsUsable = isUnsignedId(entry.userId) && isUnsignedId(entry.voucherId);
    const found = idsUsable
      ? await this.orders.findOrderAndBuyer({
          ...entry,
          orderId: isUnsignedId(entry.orderId) ? entry.orderId : '0',
        })
      : { orderExists: false, buyerHasOrder: false };
    if (found.orderExists) {
      await this.settle(reader, [{ entry, deliveries }], {
        written: [entry],
        refused: [],
        inserted: 0,
      });
      return;
    }
    const moved = await this.state.deadLetter({
      shard: reader.shard,
      entry,
      error,
      deliveries,
      giveStockBack: true,
      giveBuyerBack: !found.buyerHasOrder,
    });
    if (moved) {
      this.metrics.recordDeadLetter();
      this.logger.error(
        `order ${entry.orderId} (user ${entry.userId}, voucher ${entry.voucherId}, entry ${entry.streamId}) dead-lettered after ${deliveries} deliveries: ${error}`,
      );
    }
  }

  /**
   * Trims the stream below what every group has acknowledged: below the oldest
   * pending entry, or up to the last delivered one when nothing is pending.
   * Entries above a group's last-delivered id are not delivered yet, those
   * pending are not written yet: both stay. Also removes consumers long gone.
   */
  private async trim({ client: redis, shard }: ShardReader): Promise<void> {
    const stream = shard.stream;
    const groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
    let keepFrom: string | undefined;
    for (const fields of groups) {
      const info = toRecord(fields);
      let groupKeepFrom = String(info['last-delivered-id']);
      if (Number(info.pending) > 0) {
        const summary = (await redis.xpending(stream, String(info.name))) as [number, string];
        groupKeepFrom = summary[1];
      }
      if (keepFrom === undefined || compareStreamIds(groupKeepFrom, keepFrom) < 0) {
        keepFrom = groupKeepFrom;
      }
    }
    if (keepFrom === undefined || keepFrom === '0-0') return;
    await redis.xtrim(stream, 'MINID', keepFrom);

    const consumers = (await redis.xinfo('CONSUMERS', stream, GROUP)) as unknown[][];
    for (const fields of consumers) {
      const info = toRecord(fields);
      const gone =
        info.name !== this.consumerName &&
        Number(info.pending) === 0 &&
        Number(info.idle) > Math.max(GONE_CONSUMER_IDLE_MS, this.config.claimIdleMs * 4);
      if (gone) await redis.xgroup('DELCONSUMER', stream, GROUP, String(info.name));
    }
  }

  /** At most one warning a second: an outage would otherwise log every retry. */
  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarning < 1000) return;
    this.lastWarning = now;
    this.logger.warn(message);
  }
}

function isWellFormed(entry: OrderStreamEntry): boolean {
  return isUnsignedId(entry.orderId) && isUnsignedId(entry.userId) && isUnsignedId(entry.voucherId);
}

function toRecord(fields: unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = fields[i + 1];
  return record;
}

function backoffMs(attempt: number): number {
  return Math.min(RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 10), RETRY_MAX_MS);
}
