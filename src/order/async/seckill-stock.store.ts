import { Inject, Injectable } from '@nestjs/common';
import type { ChainableCommander, Result } from 'ioredis';
import { asyncSeckillConfig, AsyncSeckillConfig } from '../../config/configuration';
import { REDIS, RedisClient } from '../../redis/redis.constants';
import { RedisKeyPrefixes, RedisKeys, voucherShard } from '../../redis/redis-keys';
import { orderIdSequenceAt } from '../order-id.generator';
import { OrderBacklog } from './order-backlog';
import {
  ADMIT_AND_RELEASE_SCRIPT,
  ADMIT_SCRIPT,
  DEAD_LETTER_SCRIPT,
  LOCK_UNLESS_BUYER_SCRIPT,
  RAISE_STOCK_SCRIPT,
  SYNC_BUYER_SCRIPT,
} from './seckill-scripts';
import {
  compareStreamIds,
  OrderStreamEntry,
  RawStreamEntry,
  streamIdTimeMs,
  toOrderStreamEntry,
} from './stream-entries';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    seckillAdmit(
      stock: string,
      buyers: string,
      window: string,
      stream: string,
      orderIdSequence: string,
      userId: string,
      voucherId: string,
      stateTtlSeconds: number,
      stateKeyPrefix: string,
      sequenceTtlSeconds: number,
      idEpochSeconds: number,
      shard: number,
    ): Result<Exclude<AdmissionOutcome, 'accepted'> | ['accepted', string], Context>;
    seckillAdmitAndRelease(
      ...keysAndArgs: (string | number)[]
    ): Result<Exclude<AdmissionOutcome, 'accepted'> | ['accepted', string], Context>;
    seckillLockUnlessBuyer(
      buyers: string,
      lock: string,
      userId: string,
      lockValue: string,
      leaseMs: number,
    ): Result<LockUnlessBuyer, Context>;
    seckillDeadLetter(...keysAndArgs: (string | number)[]): Result<number, Context>;
    seckillRaiseStock(stock: string, window: string, units: number): Result<number, Context>;
    seckillSyncBuyer(buyers: string, window: string, userId: string): Result<number, Context>;
  }
}

/** What LOCK_UNLESS_BUYER_SCRIPT answered. */
export type LockUnlessBuyer = 'already-purchased' | 'busy' | 'locked';

/** An order lock the admission script may release itself: its key and its holder's value. */
export interface ScriptReleasedLock {
  key: string;
  value: string;
}

export type AdmissionOutcome =
  'missing' | 'not-started' | 'ended' | 'already-purchased' | 'sold-out' | 'accepted';

/** What the admission script answered: the order id when it admitted the order. */
export type Admission =
  | { outcome: 'accepted'; orderId: string }
  | { outcome: 'missing' }
  | { outcome: Exclude<AdmissionOutcome, 'accepted' | 'missing'> };

export interface AcceptedOrder {
  orderId: string;
  userId: number;
  voucherId: number;
  state: 'pending' | 'failed';
  /** On Redis's clock. */
  acceptedAt: Date | undefined;
}

export interface SeckillStockSnapshot {
  stock: number;
  buyers: readonly string[];
  beginTime: Date;
  endTime: Date;
}

/**
 * One order stream: shard n of ASYNC_STREAM_SHARDS (`stream.orders:{s<n>}`), or
 * the legacy `stream.orders` of a Redis upgraded from before the shards, which
 * the writers drain and nothing writes to any more.
 */
export interface OrderStreamShard {
  /** For logs: `s3` or `legacy`. */
  name: string;
  stream: string;
  deadLetters: string;
  /** The state key of an order of this stream. */
  stateKey: (orderId: string) => string;
  legacy: boolean;
}

export function orderStreamShard(shard: number): OrderStreamShard {
  return {
    name: `s${shard}`,
    stream: RedisKeys.orderStream(shard),
    deadLetters: RedisKeys.orderDeadLetters(shard),
    stateKey: RedisKeys.asyncOrderState,
    legacy: false,
  };
}

export const LEGACY_ORDER_STREAM: OrderStreamShard = {
  name: 'legacy',
  stream: RedisKeys.legacyOrderStream,
  deadLetters: RedisKeys.legacyOrderDeadLetters,
  stateKey: RedisKeys.legacyAsyncOrderState,
  legacy: true,
};

export interface DeadLetter {
  /** The stream the entry came from. */
  shard: OrderStreamShard;
  entry: OrderStreamEntry;
  error: string;
  deliveries: number;
  giveStockBack: boolean;
  giveBuyerBack: boolean;
}

const SCAN_PAGE = 10_000;
const SADD_CHUNK = 5_000;

/**
 * The Redis side of the async seckill: the stock, buyer set and window keys of
 * each voucher, the admission and dead-letter scripts, and what the order
 * streams hold. Scripts go by EVALSHA (ioredis defineCommand) on the shared,
 * auto-pipelined client. A voucher's keys and orders are in the shard
 * voucherId mod ASYNC_STREAM_SHARDS (RedisKeys): every script and MULTI here
 * touches the keys of one shard only, as a Redis Cluster requires.
 */
@Injectable()
export class SeckillStockStore {
  constructor(
    @Inject(REDIS) private readonly redis: RedisClient,
    @Inject(asyncSeckillConfig.KEY) private readonly config: AsyncSeckillConfig,
  ) {
    redis.defineCommand('seckillAdmit', { numberOfKeys: 5, lua: ADMIT_SCRIPT });
    redis.defineCommand('seckillAdmitAndRelease', {
      numberOfKeys: 6,
      lua: ADMIT_AND_RELEASE_SCRIPT,
    });
    redis.defineCommand('seckillLockUnlessBuyer', {
      numberOfKeys: 2,
      lua: LOCK_UNLESS_BUYER_SCRIPT,
    });
    redis.defineCommand('seckillDeadLetter', { numberOfKeys: 5, lua: DEAD_LETTER_SCRIPT });
    redis.defineCommand('seckillRaiseStock', { numberOfKeys: 2, lua: RAISE_STOCK_SCRIPT });
    redis.defineCommand('seckillSyncBuyer', { numberOfKeys: 2, lua: SYNC_BUYER_SCRIPT });
  }

  /** The streams the writers read: one per shard (the legacy one is found by the writer). */
  get streamShards(): OrderStreamShard[] {
    return Array.from({ length: this.config.streamShards }, (_, shard) => orderStreamShard(shard));
  }

  /** The client the scripts run on (LockService.scriptedAttempt asks whether the locks live there). */
  get client(): RedisClient {
    return this.redis;
  }

  /**
   * Runs ADMIT_SCRIPT; an admitted order's id is drawn by the script (its time:
   * `now`). With `release`, ADMIT_AND_RELEASE_SCRIPT: the order lock goes in the
   * same step (unless the answer is `missing`).
   */
  async admit(
    order: { userId: number; voucherId: number },
    now = new Date(),
    release?: ScriptReleasedLock,
  ): Promise<Admission> {
    const shards = this.config.streamShards;
    const shard = voucherShard(order.voucherId, shards);
    const sequence = orderIdSequenceAt(now, shard);
    const keys = [
      RedisKeys.seckillStock(order.voucherId, shards),
      RedisKeys.seckillBuyers(order.voucherId, shards),
      RedisKeys.seckillWindow(order.voucherId, shards),
      RedisKeys.orderStream(shard),
      sequence.key,
    ] as const;
    const args = [
      String(order.userId),
      String(order.voucherId),
      this.config.orderStateTtlSeconds,
      RedisKeyPrefixes.asyncOrderState(shard),
      sequence.keyTtlSeconds,
      sequence.epochSeconds,
      shard,
    ] as const;
    const answer = release
      ? await this.redis.seckillAdmitAndRelease(...keys, release.key, ...args, release.value)
      : await this.redis.seckillAdmit(...keys, ...args);
    return typeof answer === 'string'
      ? { outcome: answer }
      : { outcome: 'accepted', orderId: answer[1] };
  }

  /** LOCK_UNLESS_BUYER_SCRIPT: the buyer check and, for anyone else, the order lock. */
  lockUnlessBuyer(
    voucherId: number,
    userId: number,
    lock: { key: string; value: string; leaseMs: number },
  ): Promise<LockUnlessBuyer> {
    return this.redis.seckillLockUnlessBuyer(
      RedisKeys.seckillBuyers(voucherId, this.config.streamShards),
      lock.key,
      String(userId),
      lock.value,
      lock.leaseMs,
    );
  }

  /**
   * Whether the user is in the voucher's buyer set: one SISMEMBER, so a known
   * buyer is refused without a lock or a script. No keys (not loaded): false,
   * and admission decides.
   */
  async isBuyer(voucherId: number, userId: number): Promise<boolean> {
    return (
      (await this.redis.sismember(
        RedisKeys.seckillBuyers(voucherId, this.config.streamShards),
        userId,
      )) === 1
    );
  }

  /** Sync mode: the user has an order in MySQL (see SYNC_BUYER_SCRIPT). */
  async addSyncBuyer(voucherId: number, userId: number): Promise<void> {
    await this.redis.seckillSyncBuyer(
      RedisKeys.seckillBuyers(voucherId, this.config.streamShards),
      RedisKeys.seckillWindow(voucherId, this.config.streamShards),
      String(userId),
    );
  }

  /**
   * The stream and the writers' group, created if missing (MKSTREAM: hm-dianping's
   * NOGROUP error), reading from the first entry, so that nothing queued before
   * the group existed is skipped.
   */
  async ensureGroup(shard: OrderStreamShard, client: RedisClient = this.redis): Promise<void> {
    try {
      // The legacy stream is only drained: never created again.
      if (shard.legacy) {
        await client.xgroup('CREATE', shard.stream, RedisKeys.orderWriterGroup, '0');
      } else {
        await client.xgroup('CREATE', shard.stream, RedisKeys.orderWriterGroup, '0', 'MKSTREAM');
      }
    } catch (error) {
      if (!/BUSYGROUP/.test((error as Error).message)) throw error;
    }
  }

  /** Adds units to a loaded voucher's stock (see RAISE_STOCK_SCRIPT); null: not loaded. */
  async raiseStock(voucherId: number, units: number): Promise<number | null> {
    const stock = await this.redis.seckillRaiseStock(
      RedisKeys.seckillStock(voucherId, this.config.streamShards),
      RedisKeys.seckillWindow(voucherId, this.config.streamShards),
      units,
    );
    return stock < 0 ? null : stock;
  }

  /** Whether a Redis upgraded from before the shards still holds the legacy stream. */
  async hasLegacyStream(client: RedisClient = this.redis): Promise<boolean> {
    return (await client.exists(LEGACY_ORDER_STREAM.stream)) === 1;
  }

  /** The streams that may hold entries: every shard's, and the legacy one while it exists. */
  async allStreams(): Promise<OrderStreamShard[]> {
    const legacy = (await this.hasLegacyStream()) ? [LEGACY_ORDER_STREAM] : [];
    return [...this.streamShards, ...legacy];
  }

  /** Whether admission can run for the voucher (see the window key). */
  async isLoaded(voucherId: number): Promise<boolean> {
    const found = await this.redis.exists(
      RedisKeys.seckillWindow(voucherId, this.config.streamShards),
      RedisKeys.seckillStock(voucherId, this.config.streamShards),
    );
    return found === 2;
  }

  /** Stops admission for the voucher until write() (the script answers `missing`). */
  async unload(voucherId: number): Promise<void> {
    await this.redis.del(RedisKeys.seckillWindow(voucherId, this.config.streamShards));
  }

  /** Forgets the voucher (it does not exist in MySQL). */
  async forget(voucherId: number): Promise<void> {
    await this.redis.del(
      RedisKeys.seckillWindow(voucherId, this.config.streamShards),
      RedisKeys.seckillStock(voucherId, this.config.streamShards),
      RedisKeys.seckillBuyers(voucherId, this.config.streamShards),
    );
  }

  /** Replaces the voucher's keys in one MULTI; the window last, as the "loaded" mark. */
  async write(voucherId: number, snapshot: SeckillStockSnapshot): Promise<void> {
    const buyersKey = RedisKeys.seckillBuyers(voucherId, this.config.streamShards);
    const multi: ChainableCommander = this.redis.multi();
    multi.del(buyersKey);
    for (let i = 0; i < snapshot.buyers.length; i += SADD_CHUNK) {
      multi.sadd(buyersKey, ...snapshot.buyers.slice(i, i + SADD_CHUNK));
    }
    multi.set(RedisKeys.seckillStock(voucherId, this.config.streamShards), snapshot.stock);
    multi.hset(RedisKeys.seckillWindow(voucherId, this.config.streamShards), {
      begin: snapshot.beginTime.getTime(),
      end: snapshot.endTime.getTime(),
    });
    const results = await multi.exec();
    const failed = results?.find(([error]) => error);
    if (!results || failed) throw failed?.[0] ?? new Error('MULTI was discarded');
  }

  /** What the voucher's keys hold now (the reconcile command compares it with MySQL). */
  async read(
    voucherId: number,
  ): Promise<{ stock: number | undefined; buyers: string[]; loaded: boolean }> {
    const [stock, buyers, window] = await Promise.all([
      this.redis.get(RedisKeys.seckillStock(voucherId, this.config.streamShards)),
      this.redis.smembers(RedisKeys.seckillBuyers(voucherId, this.config.streamShards)),
      this.redis.exists(RedisKeys.seckillWindow(voucherId, this.config.streamShards)),
    ]);
    return {
      stock: stock === null ? undefined : Number(stock),
      buyers,
      loaded: window === 1 && stock !== null,
    };
  }

  async findAccepted(orderId: string): Promise<AcceptedOrder | undefined> {
    let state = await this.redis.hgetall(RedisKeys.asyncOrderState(orderId));
    if (!state.state) {
      // An order accepted before the shards, still on its way (one Redis only).
      state = await this.redis.hgetall(RedisKeys.legacyAsyncOrderState(orderId));
    }
    if (state.state !== 'pending' && state.state !== 'failed') return undefined;
    return {
      orderId,
      userId: Number(state.userId),
      voucherId: Number(state.voucherId),
      state: state.state,
      acceptedAt: state.acceptedAt ? new Date(Number(state.acceptedAt)) : undefined,
    };
  }

  /** Moves an entry to the dead-letter stream (see DEAD_LETTER_SCRIPT); false if already acknowledged. */
  async deadLetter(letter: DeadLetter): Promise<boolean> {
    const { entry, shard } = letter;
    const moved = await this.redis.seckillDeadLetter(
      shard.stream,
      shard.deadLetters,
      RedisKeys.seckillStock(entry.voucherId, this.config.streamShards),
      RedisKeys.seckillBuyers(entry.voucherId, this.config.streamShards),
      shard.stateKey(entry.orderId),
      RedisKeys.orderWriterGroup,
      entry.streamId,
      entry.orderId,
      entry.userId,
      entry.voucherId,
      letter.error,
      letter.deliveries,
      letter.giveStockBack ? 1 : 0,
      letter.giveBuyerBack ? 1 : 0,
      this.config.orderStateTtlSeconds,
    );
    return moved === 1;
  }

  /**
   * Entries not yet acknowledged by the writers' group: delivered and pending,
   * or not delivered yet, of every stream (`voucherId`: of that voucher's shard
   * and the legacy stream, keeping that voucher's).
   */
  async unacknowledgedEntries(voucherId?: number): Promise<OrderStreamEntry[]> {
    let streams = await this.allStreams();
    if (voucherId !== undefined) {
      const own = RedisKeys.orderStream(voucherShard(voucherId, this.config.streamShards));
      streams = streams.filter((shard) => shard.legacy || shard.stream === own);
    }
    const entries: OrderStreamEntry[] = [];
    for (const shard of streams) {
      entries.push(...(await this.unacknowledgedOf(shard.stream, voucherId)));
    }
    return entries;
  }

  private async unacknowledgedOf(stream: string, voucherId?: number): Promise<OrderStreamEntry[]> {
    const group = await this.groupInfo(stream);
    if (!group.streamExists) return [];
    const pendingIds = new Set<string>();
    if (group.pending > 0) {
      let start = '-';
      for (;;) {
        const page = (await this.redis.xpending(
          stream,
          RedisKeys.orderWriterGroup,
          start,
          '+',
          SCAN_PAGE,
        )) as [string, string, number, number][];
        for (const [id] of page) pendingIds.add(id);
        if (page.length < SCAN_PAGE) break;
        start = `(${page[page.length - 1][0]}`;
      }
    }
    const lastDelivered = group.lastDeliveredId;
    let start = '-';
    if (pendingIds.size === 0 && lastDelivered) start = `(${lastDelivered}`;
    const wanted = voucherId === undefined ? undefined : String(voucherId);
    const entries: OrderStreamEntry[] = [];
    for (;;) {
      const page = (await this.redis.xrange(
        stream,
        start,
        '+',
        'COUNT',
        SCAN_PAGE,
      )) as RawStreamEntry[];
      for (const raw of page) {
        const unacknowledged =
          pendingIds.has(raw[0]) ||
          lastDelivered === undefined ||
          compareStreamIds(raw[0], lastDelivered) > 0;
        if (!unacknowledged) continue;
        const entry = toOrderStreamEntry(raw);
        if (wanted === undefined || entry.voucherId === wanted) entries.push(entry);
      }
      if (page.length < SCAN_PAGE) break;
      start = `(${page[page.length - 1][0]}`;
    }
    return entries;
  }

  /**
   * Accepted orders not yet written, and dead letters, as /health and /metrics
   * show them: summed over every stream, the oldest of them all.
   */
  async backlog(): Promise<OrderBacklog> {
    const streams = await this.allStreams();
    const parts = await Promise.all(streams.map((shard) => this.backlogOf(shard)));
    return {
      pending: parts.reduce((sum, part) => sum + part.pending, 0),
      oldestAgeMs: Math.max(0, ...parts.map((part) => part.oldestAgeMs)),
      deadLetters: parts.reduce((sum, part) => sum + part.deadLetters, 0),
    };
  }

  private async backlogOf(shard: OrderStreamShard): Promise<OrderBacklog> {
    const stream = shard.stream;
    const [group, deadLetters, [seconds, micros]] = await Promise.all([
      this.groupInfo(stream),
      this.redis.xlen(shard.deadLetters),
      // The clock of the stream's own node (on a cluster, TIME goes to any node).
      this.redis.time(),
    ]);
    if (!group.streamExists) return { pending: 0, oldestAgeMs: 0, deadLetters };
    let undelivered = group.lag;
    const firstUndelivered = (await this.redis.xrange(
      stream,
      group.lastDeliveredId ? `(${group.lastDeliveredId}` : '-',
      '+',
      'COUNT',
      undelivered === undefined ? SCAN_PAGE : 1,
    )) as RawStreamEntry[];
    undelivered ??= firstUndelivered.length;
    let oldestId: string | undefined = firstUndelivered[0]?.[0];
    if (group.pending > 0) {
      const summary = (await this.redis.xpending(stream, RedisKeys.orderWriterGroup)) as [
        number,
        string | null,
        string | null,
        unknown,
      ];
      if (summary[1]) oldestId = summary[1];
    }
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    return {
      pending: group.pending + undelivered,
      oldestAgeMs: oldestId ? Math.max(0, nowMs - streamIdTimeMs(oldestId)) : 0,
      deadLetters,
    };
  }

  /** Every dead-letter stream's entries, oldest first per stream (for tools and tests). */
  async deadLetters(count = SCAN_PAGE): Promise<Record<string, string>[]> {
    const letters: Record<string, string>[] = [];
    for (const shard of await this.allDeadLetterStreams()) {
      const page = (await this.redis.xrange(shard, '-', '+', 'COUNT', count)) as RawStreamEntry[];
      for (const [id, fields] of page) {
        const values: Record<string, string> = { id };
        for (let i = 0; i + 1 < fields.length; i += 2) values[fields[i]] = fields[i + 1];
        letters.push(values);
      }
    }
    return letters;
  }

  private async allDeadLetterStreams(): Promise<string[]> {
    const shards = this.streamShards.map((shard) => shard.deadLetters);
    const legacy = (await this.redis.exists(LEGACY_ORDER_STREAM.deadLetters)) === 1;
    return legacy ? [...shards, LEGACY_ORDER_STREAM.deadLetters] : shards;
  }

  private async groupInfo(stream: string): Promise<{
    streamExists: boolean;
    pending: number;
    lastDeliveredId: string | undefined;
    lag: number | undefined;
  }> {
    let groups: unknown[][];
    try {
      groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
    } catch (error) {
      if (/no such key/i.test((error as Error).message)) {
        return { streamExists: false, pending: 0, lastDeliveredId: undefined, lag: undefined };
      }
      throw error;
    }
    for (const fields of groups) {
      const info: Record<string, unknown> = {};
      for (let i = 0; i + 1 < fields.length; i += 2) info[String(fields[i])] = fields[i + 1];
      if (info.name !== RedisKeys.orderWriterGroup) continue;
      return {
        streamExists: true,
        pending: Number(info.pending),
        lastDeliveredId: String(info['last-delivered-id']),
        lag: typeof info.lag === 'number' ? info.lag : undefined,
      };
    }
    // No group yet: every entry is still to be written.
    return { streamExists: true, pending: 0, lastDeliveredId: undefined, lag: undefined };
  }
}
