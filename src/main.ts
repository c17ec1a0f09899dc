import { createApp } from './app.factory';
import { appConfig, AppConfig } from './config/configuration';
import { StartupError } from './common/startup-error';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const { host, port } = app.get<AppConfig>(appConfig.KEY);
  await app.listen(port, host);
}

bootstrap().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  // A missing dependency or a bad setting is one clear line, not a stack trace.
  const expected = error instanceof StartupError || message.startsWith('Config validation error');
  console.error(expected ? `seckill: cannot start: ${message}` : error);
  process.exit(1);
});
