import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port';

const READY_TIMEOUT_MS = 5_000;
const BINARY = 'redis-server';

/**
 * Undefined when a redis-server binary is on the PATH, else what to do about it.
 * Checked once, so that a missing binary is one clear line, not a wait for a
 * PING per test.
 */
export function redisServerMissing(): string | undefined {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, BINARY), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return found ? undefined : `${BINARY} not found: install it (apt-get install redis-server)`;
}

/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

export interface RedisServerOptions {
  /** A port of the caller's choosing (one try); unset, a free one (a few tries). */
  port?: number;
  /** A Redis Cluster node (`--cluster-enabled yes`, its nodes.conf in the server's dir). */
  clusterEnabled?: boolean;
}

/**
 * A redis-server of the test's own (no persistence, a temporary dir), so an
 * outage can be made without touching the shared server. kill() is SIGKILL by
 * PID; restart() comes back on the same port. stop() must run in afterAll; an
 * exit hook kills the server too if the test process dies first.
 */
export class RedisServerProcess {
  private child?: ChildProcess;
  private readonly killOnExit = () => {
    if (this.child?.pid) killQuietly(this.child.pid);
  };

  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly clusterEnabled: boolean,
  ) {
    process.once('exit', this.killOnExit);
  }

  /**
   * Starts on options.port, or on a free port (a few tries, in case another
   * process took the port first).
   */
  static async start(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
    const missing = redisServerMissing();
    if (missing) throw new Error(missing);
    let lastError: unknown;
    for (let attempt = 0; attempt < (options.port ? 1 : 3); attempt += 1) {
      const server = new RedisServerProcess(
        options.port ?? (await freePort()),
        mkdtempSync(join(tmpdir(), 'seckill-redis-')),
        options.clusterEnabled ?? false,
      );
      try {
        await server.restart();
        return server;
      } catch (error) {
        lastError = error;
        await server.stop();
      }
    }
    throw lastError;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** A URL for the app, on db 0 of this private server. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts the server (again) on its port and resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.child) throw new Error(`redis-server on ${this.port} is already running`);
    const child = spawn(
      BINARY,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        ...(this.clusterEnabled
          ? [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              join(this.dir, 'nodes.conf'),
              '--cluster-node-timeout',
              '2000',
            ]
          : []),
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await ping(this.port))) {
      if (exited) throw new Error(`redis-server exited at start on port ${this.port}`);
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server on port ${this.port} did not answer PING`);
      }
      await sleep(25);
    }
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.child?.pid) throw new Error(`redis-server on port ${this.port} is not running`);
    process.kill(this.child.pid, signal);
  }

  /** SIGKILL, by PID: the outage. Resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    if (child.exitCode === null && child.signalCode === null) {
      const exit = new Promise((resolve) => child.once('exit', resolve));
      killQuietly(child.pid);
      await exit;
    }
    this.child = undefined;
  }

  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): void {
    this.signal('SIGSTOP');
  }

  /** SIGCONT after pause(); does nothing when the server is not running. */
  resume(): void {
    if (this.child) this.signal('SIGCONT');
  }

  /** Kills the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    process.removeListener('exit', this.killOnExit);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
