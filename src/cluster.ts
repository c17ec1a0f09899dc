import cluster, { Worker } from 'node:cluster';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { appConfig, asyncSeckillConfig, clusterConfig } from './config/configuration';
import { validateEnv } from './config/env.validation';

/** A worker that dies within this long of its start counts as a crash in a loop. */
const QUICK_DEATH_MS = 10_000;
const RESTART_DELAY_MS = { firstMs: 100, maxMs: 10_000 };
/** A signal this soon after the first is the same one delivered twice. */
const DUPLICATE_SIGNAL_MS = 1000;

/**
 * `npm run start:cluster`: WORKERS processes (default: one per core), each the
 * whole service (dist/main.js), behind one port (node's cluster module: the
 * primary accepts and hands connections round robin to the workers). Nothing
 * is shared in memory: every worker is an instance like one on another machine
 * (see README, Scaling).
 *
 * - A worker that dies is replaced; one that keeps dying soon after its start
 *   is replaced after a delay that doubles (up to 10 s), so a crash loop (MySQL
 *   gone, a bad setting) does not spin the CPU.
 * - SIGTERM or SIGINT: passed to every worker, which runs its own drain
 *   (main.ts); the primary waits for all of them and exits 0 (1 if one failed
 *   to drain). A second signal (more than a second later) kills the workers at
 *   once and exits 1.
 */
function runPrimary(): void {
  // The workers load .env themselves (@nestjs/config); the primary needs it for WORKERS and PORT.
  if (existsSync('.env')) process.loadEnvFile('.env');
  let env;
  try {
    env = validateEnv(process.env);
  } catch (error) {
    console.error(`seckill: cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  const { workers } = clusterConfig.build(env);
  const { host, port } = appConfig.build(env);
  const { mode } = asyncSeckillConfig.build(env);
  cluster.setupPrimary({ exec: join(__dirname, 'main.js') });

  let stopping = false;
  let failedDrain = false;
  let quickDeaths = 0;
  const started = new Map<Worker, number>();
  const fork = () => started.set(cluster.fork(), Date.now());

  // One line once the first N workers listen (each worker prints its own too).
  let listening = 0;
  cluster.on('listening', () => {
    listening += 1;
    if (listening !== workers) return;
    console.log(
      `seckill cluster: ${workers} workers listening on http://${host}:${port}, SECKILL_MODE=${mode} (primary pid ${process.pid})`,
    );
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? Date.now());
    started.delete(worker);
    if (stopping) {
      if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') failedDrain = true;
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        console.log(`seckill cluster: every worker has drained; exiting`);
        process.exit(failedDrain ? 1 : 0);
      }
      return;
    }
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delayMs =
      quickDeaths === 0
        ? 0
        : Math.min(RESTART_DELAY_MS.firstMs * 2 ** (quickDeaths - 1), RESTART_DELAY_MS.maxMs);
    console.error(
      `seckill cluster: worker ${worker.process.pid} died (${signal ?? `exit ${code}`}); a new one in ${delayMs} ms`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs);
  });

  // A repeat within DUPLICATE_SIGNAL_MS is the same signal delivered twice (to
  // the process group and forwarded by npm or timeout): not a second one. The
  // workers get it from here, and maybe from their group too; main.ts ignores
  // the duplicate the same way.
  let stoppingSince = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    if (stopping) {
      if (Date.now() - stoppingSince < DUPLICATE_SIGNAL_MS) return;
      console.error(`seckill cluster: ${signal} again: killing the workers`);
      for (const worker of alive) worker.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    stoppingSince = Date.now();
    console.log(`seckill cluster: ${signal}: draining ${alive.length} workers`);
    if (alive.length === 0) process.exit(0);
    for (const worker of alive) worker.process.kill(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  for (let i = 0; i < workers; i++) fork();
}

if (cluster.isPrimary) runPrimary();
