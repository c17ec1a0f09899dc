import { performance } from 'node:perf_hooks';
import type { RedisClient } from '../src/redis/redis.constants';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { RedisKeys, voucherShard } from '../src/redis/redis-keys';
import { readDeadLetters } from '../src/reconcile/seckill-snapshot.reader';

/** One look at MySQL while the stream drains. */
export interface DrainSample {
  /** ms since the first order request was sent. */
  atMs: number;
  written: number;
}

export interface DrainResult {
  /** Every accepted order is in MySQL or in the dead-letter stream. */
  drained: boolean;
  accepted: number;
  written: number;
  deadLettered: number;
  /** When the last look found every order written, in ms since the first request; undefined if never. */
  drainedAtMs?: number;
  samples: DrainSample[];
}

export interface DrainOptions {
  /** Give up when the count of written orders has not moved for this long. */
  idleTimeoutMs: number;
  /** performance.now() when the first order request was sent: the samples' origin. */
  startedAt: number;
  onProgress?: (done: number, total: number) => void;
}

const DEFAULT_POLL_MS = 10;

async function countWritten(dataSource: DataSource, voucherId: number): Promise<number> {
  const [row] = await dataSource.query<{ written: string | number }[]>(
    'SELECT COUNT(*) AS written FROM tb_voucher_order WHERE voucher_id = ?',
    [voucherId],
  );
  return Number(row.written);
}

/**
 * Counts a voucher's orders in MySQL every `pollMs` from before the first order
 * is sent, so that the moment the last one is written is seen even while the
 * crowd is still being answered; `until` then waits for the stream writers to
 * catch up (async mode answers before the order is written).
 */
export class DrainWatch {
  /** [performance.now(), orders written] */
  private readonly looks: [number, number][] = [];
  private stopped = false;
  private readonly loop: Promise<void>;
  private failure: Error | undefined;

  constructor(
    private readonly dataSource: DataSource,
    private readonly redis: RedisClient,
    private readonly voucherId: number,
    /** ASYNC_STREAM_SHARDS: where the dead letters are. */
    private readonly shards: number,
    private readonly pollMs = DEFAULT_POLL_MS,
  ) {
    this.loop = this.run().catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const at = performance.now();
      this.looks.push([at, await countWritten(this.dataSource, this.voucherId)]);
      await sleep(this.pollMs);
    }
  }

  /** Stops counting, e.g. when the sale failed before any order was sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * Waits until MySQL holds every accepted order of the voucher or the
   * dead-letter stream holds the rest, or nothing has moved for `idleTimeoutMs`.
   */
  async until(accepted: number, options: DrainOptions): Promise<DrainResult> {
    let deadLetterCount = -1;
    let deadLettered = 0;
    let lastMoveAt = performance.now();
    let seen = 0;
    let lastWritten = -1;
    try {
      for (;;) {
        if (this.failure) throw this.failure;
        const now = performance.now();
        const written = this.looks.length ? this.looks[this.looks.length - 1][1] : 0;
        if (written !== lastWritten) lastMoveAt = now;
        lastWritten = written;
        // The dead-letter stream of the voucher's shard is read only when it has grown.
        const letters = await this.redis.xlen(
          RedisKeys.orderDeadLetters(voucherShard(this.voucherId, this.shards)),
        );
        if (letters !== deadLetterCount) {
          deadLetterCount = letters;
          deadLettered = (await readDeadLetters(this.redis, this.shards)).filter(
            (letter) => letter.voucherId === this.voucherId,
          ).length;
          lastMoveAt = now;
        }
        options.onProgress?.(written + deadLettered, accepted);
        const done = written + deadLettered >= accepted;
        if (done || now - lastMoveAt > options.idleTimeoutMs) {
          await this.stop();
          const samples = this.looks.map(([at, count]) => ({
            atMs: Math.round(at - options.startedAt),
            written: count,
          }));
          // The first look that found them all (dead letters aside: they are reported apart).
          const drainedAt = done
            ? samples.find((sample) => sample.written + deadLettered >= accepted)
            : undefined;
          return {
            drained: done,
            accepted,
            written,
            deadLettered,
            drainedAtMs: drainedAt?.atMs,
            samples,
          };
        }
        seen = this.looks.length;
        // Wait for the next look.
        while (this.looks.length === seen && !this.failure) await sleep(this.pollMs / 2);
      }
    } finally {
      await this.stop();
    }
  }
}

/** Orders written per second, as a bench reports them. */
export interface DrainFigures {
  /** Orders written per second from the first write seen to the last. */
  writesPerSecond: number;
  /** The most accepted-but-unwritten orders at any look. */
  peakBacklog: number;
  /** After the last acceptance: what was left to write, and how fast it went. */
  tail: { backlog: number; ms: number; writesPerSecond?: number };
}

/**
 * From the timeline of written orders and the times of the 202 answers: the
 * write rate, the peak backlog, and the drain after the last admission (the
 * part where the writers, not the admissions, set the pace).
 */
export function drainFigures(
  samples: readonly DrainSample[],
  acceptedAtMs: readonly number[],
): DrainFigures {
  const accepts = [...acceptedAtMs].sort((a, b) => a - b);
  const lastAccept = accepts.length ? accepts[accepts.length - 1] : 0;
  let acceptedSoFar = 0;
  let peakBacklog = 0;
  for (const sample of samples) {
    while (acceptedSoFar < accepts.length && accepts[acceptedSoFar] <= sample.atMs) {
      acceptedSoFar += 1;
    }
    peakBacklog = Math.max(peakBacklog, acceptedSoFar - sample.written);
  }
  const last = samples.length ? samples[samples.length - 1] : { atMs: 0, written: 0 };
  // The first look that saw the final count: later looks only repeat it.
  const total = samples.find((sample) => sample.written === last.written) ?? last;
  const firstWrite = samples.find((sample) => sample.written > 0);
  // The first look that saw orders written was at most one poll after the first write.
  const writing = firstWrite ? total.atMs - firstWrite.atMs : 0;
  const writesPerSecond =
    firstWrite && writing > 0
      ? Math.round(((total.written - firstWrite.written) * 1000) / writing)
      : 0;
  // The last look at or before the last acceptance: what was still to write then.
  const atLastAccept = [...samples].reverse().find((sample) => sample.atMs <= lastAccept);
  const backlog = accepts.length - (atLastAccept?.written ?? 0);
  const ms = Math.max(0, Math.round(total.atMs - lastAccept));
  return {
    writesPerSecond,
    peakBacklog,
    tail: {
      backlog,
      ms,
      writesPerSecond: ms > 0 && backlog > 0 ? Math.round((backlog * 1000) / ms) : undefined,
    },
  };
}
