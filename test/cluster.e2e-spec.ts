import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BuiltService, RunningService } from './support/built-service';
import { freePort } from './support/free-port';
import { ADMIN_TOKEN } from './support/test-app';
import { until } from './support/until';

const STARTUP_MS = 40_000;

/** The PIDs of a process's children (the cluster's workers). */
async function childrenOf(pid: number): Promise<number[]> {
  const { stdout } = await promisify(execFile)('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(
    () => ({ stdout: '' }),
  );
  return stdout
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((n) => n > 0);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm run start:cluster` as it runs (dist/cluster.js, real processes): two
 * workers behind one port; a worker killed with SIGKILL is replaced while the
 * port keeps answering; SIGTERM to the primary drains every worker and exits 0.
 */
describe('start:cluster (e2e, real processes)', () => {
  let service: BuiltService;
  let primary: RunningService | undefined;

  beforeAll(async () => {
    service = await BuiltService.build();
  }, 120_000);
  afterAll(async () => {
    // Workers first (dispose() kills only the processes it started: the primary).
    for (const pid of primary?.pid ? await childrenOf(primary.pid) : []) {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    service?.dispose();
  });

  it('serves from 2 workers, replaces a killed one, drains all on SIGTERM', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    primary = service.start(
      {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        PORT: String(port),
        DB_HOST: process.env.DB_HOST ?? '127.0.0.1',
        DB_NAME: process.env.DB_NAME!,
        REDIS_URL: process.env.REDIS_URL!,
        ADMIN_TOKEN,
        WORKERS: '2',
      },
      'cluster.js',
    );
    const primaryPid = primary.pid!;
    const health = () =>
      fetch(`${url}/health`).then(
        (res) => res.status,
        () => 0,
      );

    await until(
      'the primary to say that 2 workers listen',
      () =>
        Promise.resolve(
          /seckill cluster: 2 workers listening on http:\/\/127\.0\.0\.1:\d+, SECKILL_MODE=sync/.test(
            primary!.output(),
          ),
        ),
      STARTUP_MS,
    );
    expect(await health()).toBe(200);
    const workers = await childrenOf(primaryPid);
    expect(workers).toHaveLength(2);

    // kill -9 of one worker: the port keeps answering (the other worker), and a new one comes.
    process.kill(workers[0], 'SIGKILL');
    await until('the port to answer with one worker', async () => (await health()) === 200, 5000);
    await until(
      'a new worker to replace the killed one',
      async () => {
        const now = await childrenOf(primaryPid);
        return now.length === 2 && !now.includes(workers[0]);
      },
      STARTUP_MS,
    );
    await until('the new worker to listen', async () => (await health()) === 200, STARTUP_MS);
    expect(primary.output()).toMatch(new RegExp(`worker ${workers[0]} died \\(SIGKILL\\)`));
    const replaced = await childrenOf(primaryPid);

    // SIGTERM to the primary: every worker drains, the primary exits 0, no orphan left.
    // Delivered as a process group's signal under npm or timeout is: to every
    // process, and to the primary twice (once forwarded): the same signal, not a second.
    for (const pid of replaced) process.kill(pid, 'SIGTERM');
    primary.kill('SIGTERM');
    primary.kill('SIGTERM');
    const exit = await primary.exited;
    expect(exit.code).toBe(0);
    expect(exit.output).toMatch(/every worker has drained; exiting/);
    expect(exit.output).not.toMatch(/again/);
    for (const pid of replaced) expect(isAlive(pid)).toBe(false);
    expect(await health()).toBe(0);
  }, 120_000);
});
