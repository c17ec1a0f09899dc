import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { appConfig, AppConfig } from './config/configuration';
import { StartupError } from './common/startup-error';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const { host, port } = app.get<AppConfig>(appConfig.KEY);
  await app.listen(port, host);
  Logger.log(`listening on ${await app.getUrl()} (OpenAPI UI at /docs)`, 'Bootstrap');
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
