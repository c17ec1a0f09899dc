import { ChildProcess, spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository this file lives in (src/loadtest/ → ../..). */
export const REPO_ROOT = resolve(__dirname, '..');

const HEALTH_PATH = '/health';
const START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolvePromise(output)
        : reject(new Error(`${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

/** A production build in a directory of its own, so that nobody's dist/ is touched. */
export interface ProductionBundle {
  mainPath: string;
  remove(): void;
}

/**
 * Compiles src/ with tsconfig.build.json, as `nest build` does, into a temporary
 * directory beside links to node_modules/ and sql/ (the service finds its schema
 * at ../sql from its own files).
 */
export async function buildProductionBundle(): Promise<ProductionBundle> {
  const dir = mkdtempSync(join(tmpdir(), 'seckill-bench-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    symlinkSync(join(REPO_ROOT, 'sql'), join(dir, 'sql'), 'dir');
    const tsc = require.resolve('typescript/bin/tsc');
    const tsconfig = join(REPO_ROOT, 'tsconfig.build.json');
    await run(process.execPath, [tsc, '-p', tsconfig, '--outDir', join(dir, 'dist')], REPO_ROOT);
    return { mainPath: join(dir, 'dist', 'main.js'), remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/**
 * The node flags `npm run start:prod` starts the service with (e.g. a heap
 * limit), so that the bench measures the process production runs.
 */
export function startProdNodeFlags(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const command = manifest.scripts?.['start:prod'] ?? '';
  const flags = /^node\s+((?:--\S+\s+)*)/.exec(command)?.[1] ?? '';
  return flags.split(/\s+/).filter(Boolean);
}

/** Resident set size of a process from /proc, in KiB: VmRSS now, VmHWM its peak so far. */
export function memoryOf(pid: number): { rssKiB: number; peakKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssKiB: field('VmRSS'), peakKiB: field('VmHWM') };
}

/** Polls VmRSS while a case runs, for that case's own peak (VmHWM only ever grows). */
export class RssSampler {
  private peakKiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 20,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peakKiB;
  }

  private sample(): void {
    try {
      this.peakKiB = Math.max(this.peakKiB, memoryOf(this.pid).rssKiB);
    } catch {
      // The process is gone; its last sample stands.
    }
  }
}

/** The service started by the bench, as a child process it stops again by its pid. */
export class ServiceProcess {
  private exited = false;
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    child.on('exit', (code, signal) => {
      this.exited = true;
      // A service that dies mid-run leaves a silent log (LOG_LEVEL=warn): say how it ended.
      if (!this.stopping) {
        appendFileSync(
          logPath,
          `[bench] the service (pid ${child.pid}) exited unasked: code ${code}, signal ${signal}\n`,
        );
      }
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(
    mainPath: string,
    nodeFlags: readonly string[],
    env: NodeJS.ProcessEnv,
    url: string,
    logPath: string,
  ): Promise<ServiceProcess> {
    const log = openSync(logPath, 'w');
    const child = spawn(process.execPath, [...nodeFlags, mainPath], {
      env,
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const service = new ServiceProcess(child, logPath);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (service.exited) {
        throw new Error(`the service exited at start:\n${readFileSync(logPath, 'utf8')}`);
      }
      const healthy = await fetch(new URL(HEALTH_PATH, url)).then(
        (response) => response.ok,
        () => false,
      );
      if (healthy) return service;
      await sleep(200);
    }
    await service.stop();
    throw new Error(`the service did not answer ${HEALTH_PATH} within ${START_TIMEOUT_MS} ms`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exited) return;
    const exit = new Promise((resolveExit) => this.child.once('exit', resolveExit));
    process.kill(this.pid, 'SIGTERM');
    const timer = setTimeout(
      () => !this.exited && process.kill(this.pid, 'SIGKILL'),
      STOP_GRACE_MS,
    );
    await exit;
    clearTimeout(timer);
  }
}
