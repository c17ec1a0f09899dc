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

/**
 * The service compiled as `npm run build` compiles it, but into a private
 * directory: `nest build` empties the shared dist/, which others may be running.
 * The compiled code finds sql/ next to its output and node_modules by NODE_PATH.
 * Every process run() starts is killed by PID in dispose(), if still alive.
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
    return this.start(env, timeoutMs).exited;
  }

  /** As run(), but hands back the PID at once (to kill -9 it), and the exit later. */
  start(
    env: Record<string, string>,
    timeoutMs: number,
  ): { pid: number; exited: Promise<ServiceRun> } {
    const started = performance.now();
    const child = spawn(process.execPath, [join(this.dir, 'dist', 'main.js')], {
      cwd: this.dir,
      env: { PATH: process.env.PATH ?? '', NODE_PATH: join(ROOT, 'node_modules'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => killQuietly(child), timeoutMs);
    const exited = new Promise<ServiceRun>((resolvePromise, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        this.children.delete(child);
        resolvePromise({
          code,
          signal,
          output: stdout + stderr,
          elapsedMs: performance.now() - started,
        });
      });
    });
    return { pid: child.pid ?? 0, exited };
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
