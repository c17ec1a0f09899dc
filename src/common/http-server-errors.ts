import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { failure } from './envelope';
import { ERROR_TABLE, ErrorCode } from './error-codes';
import type { SecurityHeaders } from './security-headers';

/*
 * Failures that Fastify and Node answer themselves, before a route runs (and so
 * before AllExceptionsFilter can): they get the same envelope and table codes.
 * Body parsing errors (bad JSON, too large, wrong media type) and unknown routes
 * do reach the filter and are answered there.
 */

/** A URL Fastify cannot decode (`/voucher/list/%zz`): 400, saying so. No hook runs for it. */
export function answerFrameworkError(securityHeaders: SecurityHeaders) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    void reply
      .code(400)
      .headers(securityHeaders.api)
      .send(failure('VALIDATION_FAILED', error.message));
  };
}

/**
 * A request Node's HTTP parser refuses (no valid request line, headers over the
 * limit, too slow to arrive). There is no request object, only the socket: the
 * answer is written raw, then the connection closed, as Fastify's own handler does.
 */
export function answerClientError(securityHeaders: SecurityHeaders) {
  const extraHeaders = Object.entries(securityHeaders.api)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const code: ErrorCode =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 'HEADERS_TOO_LARGE'
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 'REQUEST_TIMEOUT'
          : 'VALIDATION_FAILED';
    const { status } = ERROR_TABLE[code];
    const body = JSON.stringify(
      code === 'VALIDATION_FAILED'
        ? failure(code, `malformed HTTP request (${error.code ?? error.message})`)
        : failure(code),
    );
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          extraHeaders +
          'Connection: close\r\n\r\n' +
          body,
      );
    }
    socket.destroy(error);
  };
}

/**
 * Graceful drain, started by fastify.close() (app.close(), SIGTERM in main.ts).
 * Fastify then stops accepting connections and Node closes the idle keep-alive
 * ones; this adds what they lack:
 * - connections that have not sent a byte yet (opened ahead of time) are closed
 *   too: Node counts them as busy, and they would hold the drain up;
 * - a request that arrives anyway (its bytes were on the way, or pipelined)
 *   answers 503 SHUTTING_DOWN in the envelope instead of Fastify's own 503 body
 *   (`return503OnClosing: false`), so GET /health stops answering 200 at once;
 * - every response sent while draining, including those of requests already in
 *   flight, carries `Connection: close`, so their connections end with them
 *   instead of idling until the keep-alive timeout.
 */
export function drainOnClose(fastify: FastifyInstance): void {
  let draining = false;
  const connections = new Set<Socket>();
  fastify.server.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
  });
  fastify.addHook('preClose', (done) => {
    draining = true;
    for (const socket of connections) if (socket.bytesRead === 0) socket.destroy();
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!draining) return done();
    void reply.code(ERROR_TABLE.SHUTTING_DOWN.status).send(failure('SHUTTING_DOWN'));
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
}
