import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { load } from 'js-yaml';
import request from 'supertest';
import { BuiltService } from './support/built-service';
import { EventStreamClient } from './support/event-stream';
import { freePort } from './support/free-port';
import { Instance, startInstances, stopInstances } from './support/instances';
import { ADMIN_TOKEN, loginShopper, seckillVoucherBody } from './support/test-app';
import { until } from './support/until';

const ROOT = resolve(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

interface ComposeService {
  profiles?: string[];
  build?: string;
  image?: string;
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  command?: string[];
  entrypoint?: string[];
  volumes?: string[];
}

/** `server host:port ...;` lines of the `upstream seckill` block. */
function upstreamServers(conf: string): string[] {
  const block = /upstream seckill \{([\s\S]*?)\n {2}\}/.exec(conf)?.[1] ?? '';
  return [...block.matchAll(/^\s*server\s+(\S+)/gm)].map(([, address]) => address);
}

function nginxInstalled(): boolean {
  try {
    execFileSync('nginx', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * docker-compose.yml's `cluster` profile and nginx/nginx.conf, read (Docker does
 * not run here), then nginx/nginx.conf run for real (when nginx is installed:
 * apt-get install nginx-light) in front of two built instances.
 */
describe('cluster profile: compose file and nginx (e2e)', () => {
  const compose = load(read('docker-compose.yml')) as { services: Record<string, ComposeService> };
  const conf = read('nginx/nginx.conf');
  const inCluster = Object.entries(compose.services).filter(
    ([, s]) => !s.profiles || s.profiles.includes('cluster'),
  );
  const apps = inCluster.filter(([, s]) => s.build === '.').map(([name]) => name);

  it('runs MySQL, a three-master Redis Cluster, three app instances and nginx, each with a healthcheck', () => {
    const names = inCluster.map(([name]) => name);
    const redisNodes = ['redis-cluster-1', 'redis-cluster-2', 'redis-cluster-3'];
    expect(names).toEqual(expect.arrayContaining(['mysql', ...redisNodes, 'nginx']));
    for (const node of redisNodes) {
      expect(compose.services[node].profiles).toEqual(['cluster']);
      expect(compose.services[node].command).toEqual(
        expect.arrayContaining(['--cluster-enabled', 'yes']),
      );
    }
    const init = compose.services['redis-cluster-init'];
    expect(init.depends_on).toEqual(
      Object.fromEntries(redisNodes.map((node) => [node, { condition: 'service_healthy' }])),
    );
    for (const node of redisNodes) expect(String(init.entrypoint)).toContain(`hosts ${node} `);
    expect(apps).toEqual(['app-1', 'app-2', 'app-3']);
    for (const [, service] of inCluster)
      expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    for (const app of apps) {
      const service = compose.services[app];
      expect(service.environment).toMatchObject({
        NODE_ENV: 'production',
        HOST: '0.0.0.0',
        REDIS_CLUSTER_NODES: redisNodes.map((node) => `${node}:6379`).join(','),
      });
      expect(service.depends_on).toEqual({
        mysql: { condition: 'service_healthy' },
        'redis-cluster-init': { condition: 'service_completed_successfully' },
      });
    }
    const nginx = compose.services.nginx;
    expect(nginx.profiles).toEqual(['cluster']);
    expect(nginx.volumes).toContain('./nginx/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(nginx.depends_on).toEqual(
      Object.fromEntries(apps.map((app) => [app, { condition: 'service_healthy' }])),
    );
  });

  it("balances exactly the compose file's app instances, on their PORT", () => {
    expect(upstreamServers(conf).sort()).toEqual(
      apps.map((app) => `${app}:${compose.services[app].environment!.PORT}`).sort(),
    );
    expect(conf).toMatch(/keepalive \d+;/);
    expect(conf).toMatch(/proxy_set_header Connection "";/);
    // The SSE location does not buffer.
    expect(conf).toMatch(
      /location ~ \^\/admin\/sales\/\[\^\/\]\+\/events\$ \{[^}]*proxy_buffering off;/,
    );
  });

  const live = nginxInstalled() ? describe : describe.skip;
  live('nginx/nginx.conf in front of two real instances', () => {
    let service: BuiltService;
    let instances: Instance[] = [];
    let nginx: ChildProcess | undefined;
    let dir: string;
    let url: string;

    beforeAll(async () => {
      service = await BuiltService.build();
      instances = await startInstances(service, 2, { SECKILL_MODE: 'sync' });
      dir = mkdtempSync(join(tmpdir(), 'seckill-nginx-'));
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      // The shipped file, pointed at the local instances, listening on a free port.
      const servers = instances.map(
        (i) => `    server 127.0.0.1:${i.port} max_fails=1 fail_timeout=2s;`,
      );
      const local = conf
        .replace(/^\s*server app-\d:8081[^\n]*\n/gm, '')
        .replace('    # Idle keep-alive', `${servers.join('\n')}\n    # Idle keep-alive`)
        .replace('listen 8080;', `listen 127.0.0.1:${port};`)
        .replace('pid /tmp/nginx.pid;', `pid ${dir}/nginx.pid;`)
        .replace(
          'http {',
          `http {\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;`,
        );
      writeFileSync(join(dir, 'nginx.conf'), local);
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
        stdio: 'ignore',
      });
      await until(
        'nginx to answer',
        async () =>
          (await fetch(`${url}/nginx-health`).then(
            (r) => r.status,
            () => 0,
          )) === 200,
        10_000,
      );
    }, 180_000);
    afterAll(async () => {
      if (nginx?.pid && nginx.exitCode === null) process.kill(nginx.pid, 'SIGTERM');
      await stopInstances(instances).catch(() => undefined);
      service?.dispose();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('passes x-admin-token and Authorization, streams SSE unbuffered, and survives an instance dying', async () => {
      const api = request(url);
      const created = await api
        .post('/voucher/seckill')
        .set('x-admin-token', ADMIN_TOKEN)
        .send(seckillVoucherBody({ stock: 5 }))
        .expect(201);
      const voucherId = created.body.data as number;
      await api.patch(`/voucher/seckill/${voucherId}`).send({ units: 1 }).expect(403);
      await api
        .patch(`/voucher/seckill/${voucherId}`)
        .set('x-admin-token', ADMIN_TOKEN)
        .send({ units: 1 })
        .expect(200);
      const token = await loginShopper(api);
      await api
        .post(`/voucher-order/seckill/${voucherId}`)
        .set('authorization', `Bearer ${token}`)
        .expect(201);

      // The first snapshots arrive while the stream is open. (The service also sends
      // x-accel-buffering: no, so this passes with either setting; the conf's own
      // `proxy_buffering off` is checked by reading it, above.)
      const events = await EventStreamClient.open(`${url}/admin/sales/${voucherId}/events`, {
        'x-admin-token': ADMIN_TOKEN,
      });
      try {
        await until(
          'two SSE snapshots through nginx',
          () => Promise.resolve(events.events.length >= 2),
          10_000,
        );
      } finally {
        events.close();
      }

      // One instance dies: every request still answers (the other one takes them).
      instances[0].kill('SIGKILL');
      await instances[0].exited;
      for (let i = 0; i < 6; i++) await api.get('/health').expect(200);
    });
  });
});
