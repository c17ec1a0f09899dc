import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { answerClientError, answerFrameworkError, drainOnClose } from './common/http-server-errors';
import {
  securityHeaders as buildSecurityHeaders,
  sendOnEveryReply,
} from './common/security-headers';
import { appConfig, AppConfig } from './config/configuration';
import { ADMIN_AUTH, SHOPPER_AUTH } from './user/auth.decorators';

/** Requests carry small JSON bodies; anything larger is refused with 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Builds the application exactly as it runs, for main.ts and for the e2e tests.
 * Everything else (pipe, filter, guard, interceptor) comes with AppModule.
 */
export async function createApp(): Promise<NestFastifyApplication> {
  const securityHeaders = await buildSecurityHeaders();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    new FastifyAdapter({
      bodyLimit: BODY_LIMIT_BYTES,
      // On close, stop listening and close idle keep-alive connections at once;
      // requests in flight finish (drainOnClose, and main.ts's deadline).
      forceCloseConnections: 'idle',
      return503OnClosing: false,
      frameworkErrors: answerFrameworkError(securityHeaders),
      clientErrorHandler: answerClientError(securityHeaders),
    }),
    // Start-up logs wait for the pino logger; if start-up fails they are dropped
    // and main.ts prints the reason as one line.
    { bufferLogs: true, autoFlushLogs: false, abortOnError: false },
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  const config = app.get<AppConfig>(appConfig.KEY);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON only: without this, fastify would hand a text/plain body to the DTOs.
  fastify.removeContentTypeParser('text/plain');

  // helmet's security headers on every response; first, so that the 503s of a
  // drain carry them too.
  sendOnEveryReply(fastify, securityHeaders);
  drainOnClose(fastify);

  if (config.docsEnabled) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Seckill service')
        .setDescription(
          'Flash-sale voucher ordering. Every response is {success, data | code, errorMsg}.',
        )
        .setVersion('1')
        // "Authorize" in the UI: shoppers paste the token of POST /user/login (the
        // UI sends "Bearer <token>"), admins the ADMIN_TOKEN.
        .addBearerAuth(
          {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'opaque',
            description: 'the token of POST /user/login',
          },
          SHOPPER_AUTH,
        )
        .addApiKey(
          { type: 'apiKey', in: 'header', name: 'x-admin-token', description: 'ADMIN_TOKEN' },
          ADMIN_AUTH,
        )
        .build(),
    );
    SwaggerModule.setup('docs', app, document);
  }
  return app;
}

/**
 * The application without its HTTP server, for command-line tools (reconcile,
 * the load tests): config validated as at boot, the schema applied, MySQL and
 * Redis connected. The config module validates process.env when this file is
 * first imported: set any env before.
 *
 * A tool is never an order writer, whatever SECKILL_MODE says: it would join the
 * consumer group and, when it exits, leave its entries pending until another
 * writer claims them (ASYNC_CLAIM_IDLE_MS). The typed config reads
 * ASYNC_WRITER_ENABLED when the context is created, so setting it here holds.
 */
export async function createAppContext(): Promise<INestApplicationContext> {
  process.env.ASYNC_WRITER_ENABLED = 'false';
  return NestFactory.createApplicationContext(AppModule, {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
}
