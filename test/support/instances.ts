import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { BuiltService, RunningService, waitUntilServing } from './built-service';
import { freePort } from './free-port';
import { ADMIN_TOKEN } from './test-app';

export interface Instance extends RunningService {
  port: number;
  api: TestAgent;
}

/**
 * `count` service processes of one build against the e2e tests' MySQL database
 * and Redis db, each on its own port: instances that share nothing but the
 * stores, as on separate machines. `env` adds to (or overrides) the defaults.
 */
export async function startInstances(
  service: BuiltService,
  count: number,
  env: Record<string, string>,
): Promise<Instance[]> {
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const run = service.start({
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      DB_HOST: process.env.DB_HOST ?? '127.0.0.1',
      DB_PORT: process.env.DB_PORT ?? '3306',
      DB_USER: process.env.DB_USER ?? 'root',
      DB_PASSWORD: process.env.DB_PASSWORD ?? '',
      DB_NAME: process.env.DB_NAME!,
      REDIS_URL: process.env.REDIS_URL!,
      ADMIN_TOKEN,
      ...env,
    });
    instances.push({ ...run, port, api: request(`http://127.0.0.1:${port}`) });
  }
  // Started together, waited for together: the 2-core box boots them in parallel.
  await Promise.all(
    instances.map((instance) =>
      waitUntilServing(instance, `http://127.0.0.1:${instance.port}`, 45_000),
    ),
  );
  return instances;
}

/** Stops the instances with SIGTERM and waits for them (dispose() kills what is left). */
export async function stopInstances(instances: readonly Instance[]): Promise<void> {
  for (const instance of instances) instance.kill('SIGTERM');
  await Promise.all(instances.map((instance) => instance.exited));
}
