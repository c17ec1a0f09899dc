/**
 * A process of its own that increments a Redis counter with GET then SET, the
 * classic lost update, `increments` times, under LockService.withLock (`locked`)
 * or without it (`unlocked`). It prints "ready" once connected and starts on a
 * line "go" on stdin, so that every worker of a test runs at the same moment.
 *
 * Run: node -r ts-node/register/transpile-only lock-counter.worker.ts
 *        <redisUrl> <lockKey> <counterKey> <increments> <locked|unlocked>
 */
import 'reflect-metadata';
import { Registry } from 'prom-client';
import { createRedlock } from '../../src/lock/lock.factory';
import { LockService } from '../../src/lock/lock.service';
import { LockMetrics } from '../../src/metrics/lock.metrics';
import { createSingleClient } from '../../src/redis/redis.factory';

const LEASE_MS = 5_000;
const WAIT_MS = 60_000;

async function main(): Promise<void> {
  const [url, lockKey, counterKey, incrementsArg, mode] = process.argv.slice(2);
  const redis = createSingleClient({ url, timeoutMs: 2_000 });
  await redis.connect();
  const locks = new LockService(createRedlock([redis]), new LockMetrics(new Registry()));

  const increment = async () => {
    const value = Number((await redis.get(counterKey)) ?? '0');
    await new Promise((resolve) => setTimeout(resolve, 1)); // widen the race window
    await redis.set(counterKey, String(value + 1));
  };

  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  for (let i = 0; i < Number(incrementsArg); i += 1) {
    if (mode === 'locked') {
      await locks.withLock(lockKey, { leaseMs: LEASE_MS, waitMs: WAIT_MS }, increment);
    } else {
      await increment();
    }
  }
  await redis.quit();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String((error as Error)?.stack ?? error)}\n`);
    process.exit(1);
  },
);
