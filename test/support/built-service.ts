import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '..', '..');

export interface ServiceRun {
  /** null when the process was killed (it did not exit by itself in time). */
  code: number | null;
  /** The signal that ended it, if one did (Nest re-raises SIGTERM after a clean shutdown). */
  signal: NodeJS.Signals | null;
  /** stdout then stderr. */
  output: string;
  elapsedMs: number;
}

export interface RunningService {
  pid: number | undefined;
  /** Resolves when the process has ended (never rejects once started). */
  exited: Promise<ServiceRun>;
  /** stdout then stderr so far. */
  output(): string;
  kill(signal: NodeJS.Signals): void;
}

/**
 * The service compiled as `npm run build` compiles it, but into a private
 * directory: `nest build` empties the shared dist/, which others may be running.
 * The compiled code finds sql/ next to its output and node_modules by NODE_PATH.
 * Every process run() or start() starts is killed by PID in dispose(), if still alive.
 */
export class BuiltService {
  private readonly children = new Set<ChildProcess>();

  private constructor(private readonly dir: string) {}

  static async build(): Promise<BuiltService> {
    const dir = mkdtempSync(join(tmpdir(), 'seckill-build-'));
    try {
      await promisify(execFile)(
        join(ROOT, 'node_modules', '.bin', 'tsc'),
        ['-p', 'tsconfig.build.json', '--outDir', join(dir, 'dist')],
        { cwd: ROOT },
      );
      symlinkSync(join(ROOT, 'sql'), join(dir, 'sql'));
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      // tsc reports compile errors on stdout.
      const { stdout } = error as { stdout?: string };
      throw new Error(`the service does not compile:\n${stdout ?? String(error)}`);
    }
    return new BuiltService(dir);
  }

  /** Runs `node dist/main.js` with exactly `env` (plus PATH and NODE_PATH); killed after `timeoutMs`. */
  run(env: Record<string, string>, timeoutMs: number): Promise<ServiceRun> {
    const service = this.start(env);
    const timer = setTimeout(() => service.kill('SIGKILL'), timeoutMs);
    return service.exited.finally(() => clearTimeout(timer));
  }

  /**
   * Starts `node dist/main.js` (or another entry point, e.g. `cluster.js`) like
   * run() and hands back the process to talk to and signal.
   */
  start(env: Record<string, string>, entry = 'main.js'): RunningService {
    const started = performance.now();
    const child = spawn(process.execPath, [join(this.dir, 'dist', entry)], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<ServiceRun>((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        this.children.delete(child);
        resolvePromise({
          code,
          signal,
          output: stdout + stderr,
          elapsedMs: performance.now() - started,
        });
      });
    });
    return {
      pid: child.pid,
      exited,
      output: () => stdout + stderr,
      kill: (signal) => {
        if (signal === 'SIGKILL') killQuietly(child);
        else if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  }

  dispose(): void {
    for (const child of this.children) killQuietly(child);
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function killQuietly(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The environment of a production instance on 127.0.0.1:`port`, against the
 * e2e tests' MySQL database and Redis db (test/env.ts set them in process.env).
 */
export function productionEnv(
  port: number,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'info',
    DB_HOST: process.env.DB_HOST ?? '',
    DB_PORT: process.env.DB_PORT ?? '',
    DB_USER: process.env.DB_USER ?? '',
    DB_PASSWORD: process.env.DB_PASSWORD ?? '',
    DB_NAME: process.env.DB_NAME ?? '',
    REDIS_URL: process.env.REDIS_URL ?? '',
    ADMIN_TOKEN: process.env.ADMIN_TOKEN ?? '',
    // Production does not start without a way to deliver login codes. Port 9 ("discard")
    // answers nothing: a spec that asks for a code overrides this with a SmsWebhook's URL.
    SMS_WEBHOOK_URL: 'http://127.0.0.1:9/sms',
    ...overrides,
  };
}

/** Polls GET /health until it answers 200; throws with the output if the process dies or `timeoutMs` passes. */
export async function waitUntilServing(
  service: RunningService,
  baseUrl: string,
  timeoutMs = 30_000,
): Promise<void> {
  let exited = false;
  void service.exited.then(() => (exited = true));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${baseUrl}/health`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return;
    if (exited || performance.now() > deadline) {
      throw new Error(`the service is not serving (health ${status}):\n${service.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
