import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { failure } from '../common/envelope';
import { SNAPSHOT_INTERVAL_MS } from './sales.constants';

/**
 * Sends `next()` as an event every `intervalMs` (and at once) until stopped;
 * never two reads at a time (a slow read skips a tick instead of piling up).
 */
export class SnapshotTicker {
  private timer: NodeJS.Timeout | undefined;
  private reading = false;
  private stopped = false;

  constructor(
    private readonly next: () => Promise<unknown>,
    private readonly send: (event: 'snapshot' | 'unavailable', data: unknown) => void,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.reading || this.stopped) return;
    this.reading = true;
    try {
      const data = await this.next();
      if (!this.stopped) this.send('snapshot', data);
    } catch {
      // MySQL or Redis did not answer: say so, and try again at the next tick.
      if (!this.stopped) this.send('unavailable', failure('SERVICE_UNAVAILABLE'));
    } finally {
      this.reading = false;
    }
  }
}

/** One `text/event-stream` message: snapshots are unnamed (an EventSource's onmessage). */
export function eventMessage(event: 'snapshot' | 'unavailable', data: unknown): string {
  const name = event === 'snapshot' ? '' : `event: ${event}\n`;
  return `${name}data: ${JSON.stringify(data)}\n\n`;
}

/**
 * This instance's open event streams. Each sends a snapshot every
 * SNAPSHOT_INTERVAL_MS while its client listens, and stops its timer when the
 * client goes. All of them end when the HTTP server starts closing (a SIGTERM
 * drain waits for requests in flight, and a stream would never finish by itself)
 * or the application shuts down.
 */
@Injectable()
export class SaleEventStreams implements OnModuleInit, BeforeApplicationShutdown {
  private readonly streams = new Set<() => void>();

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    // No HTTP server in a tool's application context.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.addHook('preClose', (done) => {
      this.endAll();
      done();
    });
  }

  beforeApplicationShutdown(): void {
    this.endAll();
  }

  /** Streams open right now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * Takes the response over from Fastify and streams `next()` on it. The
   * security headers the app's hook put on the reply are kept.
   */
  open(reply: FastifyReply, next: () => Promise<unknown>): void {
    const response = reply.raw;
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    reply.hijack();
    response.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      // Neither a cache nor a compressing or buffering proxy may hold the events back.
      'cache-control': 'no-cache, no-transform',
      'x-accel-buffering': 'no',
      // The connection serves this stream only, and must not idle on after it.
      connection: 'close',
    });
    const ticker = new SnapshotTicker(
      next,
      (event, data) => {
        if (!response.writableEnded && !response.destroyed) {
          response.write(eventMessage(event, data));
        }
      },
      SNAPSHOT_INTERVAL_MS,
    );
    const end = () => {
      ticker.stop();
      this.streams.delete(end);
      if (!response.writableEnded) response.end();
    };
    this.streams.add(end);
    response.once('close', end);
    ticker.start();
  }

  private endAll(): void {
    for (const end of [...this.streams]) end();
  }
}
