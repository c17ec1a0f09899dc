import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { PinoLogger } from 'nestjs-pino';

export type RequestLogLevel = 'debug' | 'info' | 'error';

/**
 * The level a finished request is logged at:
 * - 5xx: error (ours or a dependency's; the filter also logs the cause);
 * - 409: debug. A 409 is a sale's expected refusal (sold out, already purchased,
 *   outside the window, one attempt at a time): a flash crowd answers thousands
 *   a second, and logging them at info cut a load test from ~1,700 to ~630 req/s
 *   in a terminal;
 * - any other 4xx (400, 401, 403, 404, 413, 429, ...): info, a client doing
 *   something a working client does not, worth seeing;
 * - the rest (2xx, 3xx): debug.
 */
export function requestLogLevel(statusCode: number): RequestLogLevel {
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400 && statusCode !== 409) return 'info';
  return 'debug';
}

/**
 * One line per finished request ("request completed": method, url, status,
 * response time), from a Fastify onResponse hook, at requestLogLevel's level.
 *
 * Not pino-http through nestjs-pino's middleware: that builds a child logger per
 * request (serializing and redacting the request's headers even when the line is
 * never written) and runs every request in an AsyncLocalStorage, which on Node 20
 * puts async hooks on every promise: together ~15 % of the CPU of a seckill order
 * (README, Benchmark). Here a request whose level is off costs one comparison;
 * no header is logged, so none needs redacting.
 */
@Injectable()
export class RequestLog implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly pino: PinoLogger,
  ) {}

  onModuleInit(): void {
    // A command-line tool's application context has no HTTP server.
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    const logger = this.pino.logger;
    fastify.addHook('onResponse', (request, reply, done) => {
      const level = requestLogLevel(reply.statusCode);
      if (logger.isLevelEnabled(level)) {
        logger[level](
          {
            req: { id: request.id, method: request.method, url: request.url },
            res: { statusCode: reply.statusCode },
            responseTime: Math.round(reply.elapsedTime),
          },
          'request completed',
        );
      }
      done();
    });
  }
}
