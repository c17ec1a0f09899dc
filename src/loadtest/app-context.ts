import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module';
import { appConfig, AppConfig } from '../config/configuration';

/**
 * The application without its HTTP server: config validated as at boot, the
 * schema applied, MySQL and Redis connected. Importing this file loads the
 * config module, which reads process.env: set any env before.
 */
export async function openAppContext(): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(AppModule, {
    logger: ['error', 'warn'],
    abortOnError: false,
  });
}

/** The service this machine runs by default: HOST and PORT of the same config. */
export function localServiceUrl(app: INestApplicationContext): string {
  const { host, port } = app.get<AppConfig>(appConfig.KEY);
  return `http://${host}:${port}`;
}
