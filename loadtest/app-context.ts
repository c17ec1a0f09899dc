import { INestApplicationContext } from '@nestjs/common';
import { createAppContext } from '../src/app.factory';
import { appConfig, AppConfig } from '../src/config/configuration';

/**
 * The application without its HTTP server (see createAppContext). Importing
 * this file loads the config module, which reads process.env: set any env before.
 */
export const openAppContext = createAppContext;

/** The service this machine runs by default: HOST and PORT of the same config. */
export function localServiceUrl(app: INestApplicationContext): string {
  const { host, port } = app.get<AppConfig>(appConfig.KEY);
  return `http://${host}:${port}`;
}
