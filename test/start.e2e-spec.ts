import { ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  BuiltService,
  productionEnv,
  RunningService,
  ServiceRun,
  waitUntilServing,
} from './support/built-service';
import { freePort } from './support/free-port';
import { until } from './support/until';

const ROOT = resolve(__dirname, '..');

/** Every live process below `pid` (children, grandchildren, ...), from /proc. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is dead but still listed until its parent reaps it.
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** `npm start` in `dir`, as a developer or a process manager runs it. */
function npmStart(
  dir: string,
  env: Record<string, string>,
): RunningService & { child: ChildProcess } {
  const child = spawn('npm', ['start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = performance.now();
  const exited = new Promise<ServiceRun>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) =>
      resolvePromise({ code, signal, output, elapsedMs: performance.now() - started }),
    );
  });
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    kill: (signal) => child.kill(signal),
  };
}

describe('npm start: builds once, runs node directly, says where, stops on SIGTERM', () => {
  let dir: string;
  const started = new Set<number>();

  beforeAll(() => {
    // A checkout of its own: `nest build` empties dist/, which others may be running.
    dir = mkdtempSync(join(tmpdir(), 'seckill-npm-start-'));
    for (const file of [
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'nest-cli.json',
    ]) {
      cpSync(join(ROOT, file), join(dir, file));
    }
    cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
    symlinkSync(join(ROOT, 'sql'), join(dir, 'sql'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  });
  afterAll(() => {
    for (const pid of started) killQuietly(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `npm start`, waits until it serves; returns it with every process it started. */
  async function startAndServe() {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: String(port),
      LOG_LEVEL: 'warn',
    };
    const npm = npmStart(dir, env);
    started.add(npm.pid!);
    await waitUntilServing(npm, baseUrl, 120_000);
    const tree = descendantsOf(npm.pid!);
    tree.forEach((pid) => started.add(pid));
    return { npm, port, baseUrl, tree };
  }

  /** SIGTERM to npm only (what a process manager does): nothing may keep running or listening. */
  async function stopWithSigterm(instance: Awaited<ReturnType<typeof startAndServe>>) {
    process.kill(instance.npm.pid!, 'SIGTERM');
    await instance.npm.exited;
    await until(
      'every process npm started to end',
      () => Promise.resolve(!instance.tree.some(isAlive)),
      20_000,
    );
    const health = await fetch(`${instance.baseUrl}/health`).then(
      (res) => res.status,
      () => 'refused',
    );
    expect(health).toBe('refused');
  }

  it('on a fresh checkout compiles, serves, prints its URL, /docs and mode at LOG_LEVEL=warn; SIGTERM to npm stops it', async () => {
    const instance = await startAndServe();
    expect(instance.npm.output()).toContain(
      `listening on ${instance.baseUrl} (OpenAPI UI at ${instance.baseUrl}/docs), SECKILL_MODE=sync`,
    );
    // node serves as npm's own child: no shell or nest process in between to orphan it.
    const node = instance.tree.filter((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dist/main'),
    );
    expect(node).toHaveLength(1);
    await stopWithSigterm(instance);
  }, 180_000);

  it('the next start does not compile again, and stops on SIGTERM too', async () => {
    const builtAt = statSync(join(dir, 'dist', 'main.js')).mtimeMs;
    const instance = await startAndServe();
    expect(statSync(join(dir, 'dist', 'main.js')).mtimeMs).toBe(builtAt);
    await stopWithSigterm(instance);
  }, 180_000);
});

describe('the start-up line, whatever LOG_LEVEL says (built service)', () => {
  let built: BuiltService | undefined;

  beforeAll(async () => {
    built = await BuiltService.build();
  }, 120_000);
  afterAll(() => {
    built?.dispose();
  });

  it.each([
    [
      'warn',
      { DOCS_ENABLED: 'true', SECKILL_MODE: 'async' },
      'listening on BASE (OpenAPI UI at BASE/docs), SECKILL_MODE=async',
    ],
    ['silent', {}, 'listening on BASE, SECKILL_MODE=sync'],
  ])(
    'LOG_LEVEL=%s %j prints "listening on ..."',
    async (level, overrides, line) => {
      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const service = built!.start(productionEnv(port, { LOG_LEVEL: level, ...overrides }));
      try {
        await waitUntilServing(service, baseUrl);
        expect(service.output()).toContain(line.replaceAll('BASE', baseUrl));
        // One line, nothing else at these levels.
        expect(service.output().trim().split('\n')).toHaveLength(1);
      } finally {
        service.kill('SIGTERM');
        await service.exited;
      }
    },
    60_000,
  );
});
