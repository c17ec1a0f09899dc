import { Logger } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger } from 'nestjs-pino';
import { createApp } from './app.factory';
import {
  appConfig,
  AppConfig,
  asyncSeckillConfig,
  AsyncSeckillConfig,
} from './config/configuration';
import { StartupError } from './common/startup-error';

/** A signal this soon after the first is the same one delivered twice (see shutDownOnSignals). */
const DUPLICATE_SIGNAL_MS = 1000;

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const { host, port, docsEnabled, shutdownTimeoutMs } = app.get<AppConfig>(appConfig.KEY);
  await app.listen(port, host);
  shutDownOnSignals(app, shutdownTimeoutMs);
  const url = await app.getUrl();
  const docs = docsEnabled ? ` (OpenAPI UI at ${url}/docs)` : '';
  const { mode } = app.get<AsyncSeckillConfig>(asyncSeckillConfig.KEY);
  // Printed whatever LOG_LEVEL says (a load test runs at warn): an operator always
  // learns where the service listens and in which mode. Through the logger (and
  // stream) of the other start-up lines: same format, and it comes after them.
  const { logger } = await app.resolve(PinoLogger);
  logger
    .child({ context: 'Bootstrap' }, { level: 'info' })
    .info(`listening on ${url}${docs}, SECKILL_MODE=${mode}`);
}

/**
 * SIGTERM or SIGINT: drain, then exit 0. Closing the HTTP server stops accepting
 * connections, answers new requests 503 SHUTTING_DOWN, closes idle keep-alive
 * connections and lets requests in flight finish (http-server-errors.ts); then
 * app.close() runs the modules' shutdown hooks and closes MySQL and Redis. The
 * HTTP server goes first on purpose: app.close() alone would run every
 * onModuleDestroy hook before it, while requests still need those services.
 * Whatever is still running after SHUTDOWN_TIMEOUT_MS is cut: exit 1 at the
 * deadline, however many sockets clients hold open. A second signal exits at once
 * (one within DUPLICATE_SIGNAL_MS of the first is the first delivered twice).
 */
function shutDownOnSignals(app: NestFastifyApplication, timeoutMs: number): void {
  const logger = new Logger('Shutdown');
  let drainingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (drainingSince !== undefined) {
      // The same signal delivered twice (to the process group, and forwarded by
      // a parent: npm, timeout, the start:cluster primary) is not a second one.
      if (Date.now() - drainingSince < DUPLICATE_SIGNAL_MS) return;
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    drainingSince = Date.now();
    logger.log(`${signal}: draining, at most ${timeoutMs} ms`);
    setTimeout(() => {
      logger.error(
        `SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms) passed: cutting requests still in flight`,
      );
      process.exit(1);
    }, timeoutMs).unref();
    app
      .getHttpAdapter()
      .getInstance()
      .close()
      .then(() => app.close())
      .then(
        () => {
          logger.log('drained; exiting');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

bootstrap().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // A missing dependency or a bad setting is one clear line, not a stack trace.
  const portTaken = (error as { code?: unknown } | null)?.code === 'EADDRINUSE';
  const expected =
    portTaken || error instanceof StartupError || message.startsWith('Config validation error');
  const reason = portTaken
    ? `${message}: another process holds it, set PORT to a free one`
    : message;
  console.error(expected ? `seckill: cannot start: ${reason}` : error);
  process.exit(1);
});
