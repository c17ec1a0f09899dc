import { ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const WORKER = join(__dirname, 'lock-counter.worker.ts');

/**
 * Runs `processes` lock-counter workers at once (each its own Node process and
 * Redis connection) and resolves when all have exited 0. Workers still alive on
 * failure are killed by PID.
 */
export async function runCounterWorkers(options: {
  redisUrl: string;
  lockKey: string;
  counterKey: string;
  processes: number;
  increments: number;
  mode: 'locked' | 'unlocked';
}): Promise<void> {
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  try {
    for (let i = 0; i < options.processes; i += 1) {
      const child = spawn(
        process.execPath,
        [
          '-r',
          'ts-node/register/transpile-only',
          WORKER,
          options.redisUrl,
          options.lockKey,
          options.counterKey,
          String(options.increments),
          options.mode,
        ],
        { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
      );
      children.push(child);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      ready.push(
        new Promise((resolveReady, reject) => {
          child.stdout.on('data', (chunk: Buffer) => {
            if (chunk.toString().includes('ready')) resolveReady();
          });
          child.once('exit', () => reject(new Error(`worker exited before ready: ${stderr}`)));
        }),
      );
      exits.push(
        new Promise((resolveExit, reject) => {
          child.once('exit', (code) =>
            code === 0 ? resolveExit() : reject(new Error(`worker exited ${code}: ${stderr}`)),
          );
        }),
      );
    }
    // Marked handled now; a failure is still reported by Promise.all(exits) below.
    for (const exit of exits) exit.catch(() => undefined);
    await Promise.all(ready);
    for (const child of children) child.stdin!.write('go\n');
    await Promise.all(exits);
  } finally {
    for (const child of children) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
