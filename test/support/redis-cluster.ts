import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { RedisServerProcess } from './redis-server';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 20_000;
/** A node's cluster bus listens on its port + 10000: ports stay below this. */
const MAX_PORT = 65_535 - 10_000;

/** Whether 127.0.0.1:port can be bound right now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port whose cluster bus port (port + 10000) is free too. */
async function freeNodePort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * (MAX_PORT - 20_000));
    if (taken.has(port) || taken.has(port + 10_000)) continue;
    if ((await portFree(port)) && (await portFree(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a Redis Cluster node');
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
    timeout: 10_000,
  });
  return stdout;
}

/**
 * A local Redis Cluster of three masters and no replicas (redis-server
 * --cluster-enabled on free ports, `redis-cli --cluster create`), for the
 * cluster e2e specs. Each node is a RedisServerProcess: stop() kills them by
 * PID and removes their dirs, their exit hooks if the test process dies first.
 */
export class RedisClusterProcess {
  private constructor(private readonly nodes: RedisServerProcess[]) {}

  static async start(masters = 3): Promise<RedisClusterProcess> {
    const taken = new Set<number>();
    const cluster = new RedisClusterProcess([]);
    try {
      for (let i = 0; i < masters; i += 1) {
        const port = await freeNodePort(taken);
        taken.add(port).add(port + 10_000);
        // Resolves once the node answers PING.
        cluster.nodes.push(await RedisServerProcess.start({ port, clusterEnabled: true }));
      }
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...cluster.nodes.map((node) => `127.0.0.1:${node.port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        { timeout: 30_000 },
      );
      await cluster.untilEveryNode(async (port) =>
        (await redisCli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'),
      );
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** `127.0.0.1:p1,127.0.0.1:p2,...`: REDIS_CLUSTER_NODES. */
  get nodesVariable(): string {
    return this.nodes.map((node) => `127.0.0.1:${node.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((node) => node.port);
  }

  /** Kills the master on `port` (SIGKILL by PID): its slots have no master (no replicas here). */
  async killNode(port: number): Promise<void> {
    await this.nodes.find((node) => node.port === port)?.kill();
  }

  /** FLUSHALL on every master (FLUSHDB and SCAN are per node on a cluster). */
  async flushAll(): Promise<void> {
    for (const node of this.nodes) {
      if (node.pid) await redisCli(node.port, 'FLUSHALL');
    }
  }

  async stop(): Promise<void> {
    for (const node of this.nodes) await node.stop();
  }

  private async untilEveryNode(check: (port: number) => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (const node of this.nodes) {
      for (;;) {
        if (!node.pid) throw new Error(`redis-server on port ${node.port} exited at start`);
        if (await check(node.port).catch(() => false)) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} not ready`);
        await sleep(50);
      }
    }
  }
}
