import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';

const READY_TIMEOUT_MS = 5_000;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * Throw-away redis-server processes (no persistence, a temporary dir, free ports)
 * for the lock quorum of the bench (REDIS_LOCK_URLS). stop() kills them by PID.
 */
export class RedisMasters {
  private constructor(
    private readonly children: ChildProcess[],
    readonly urls: string[],
    private readonly dir: string,
  ) {}

  static async start(count: number): Promise<RedisMasters> {
    const dir = mkdtempSync(join(tmpdir(), 'seckill-bench-redis-'));
    const children: ChildProcess[] = [];
    const urls: string[] = [];
    const masters = new RedisMasters(children, urls, dir);
    try {
      for (let i = 0; i < count; i += 1) {
        const port = await freePort();
        const child = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
          { cwd: dir, stdio: 'ignore' },
        );
        children.push(child);
        urls.push(`redis://127.0.0.1:${port}/0`);
        await waitForPing(port, child);
      }
      return masters;
    } catch (error) {
      masters.stop();
      throw error;
    }
  }

  /** What the redis-server processes say they are. */
  async version(): Promise<string> {
    const client = new Redis(this.urls[0], { lazyConnect: true });
    try {
      await client.connect();
      return /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? 'unknown';
    } finally {
      client.disconnect();
    }
  }

  stop(): void {
    for (const child of this.children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitForPing(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start on port ${port}`);
      const answered = await client
        .connect()
        .then(() => client.ping())
        .then(
          (reply) => reply === 'PONG',
          () => false,
        );
      if (answered) return;
      client.disconnect();
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer PING`);
      await sleep(50);
    }
  } finally {
    client.disconnect();
  }
}
