import { load } from 'js-yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dashboardExpressions,
  exportedMetricNames,
  metricNamesIn,
  unknownMetricNames,
} from './support/promql';
import { overrideEnv, startTestApp, TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DASHBOARD = 'observability/grafana/dashboards/seckill.json';
const METRICS_TOKEN = 'observability-metrics-token-0123';

type Dashboard = Parameters<typeof dashboardExpressions>[0];

describe('PromQL metric names (the dashboard check itself)', () => {
  it.each<[string, string[]]>([
    ['sum(rate(seckill_orders_total[$__rate_interval]))', ['seckill_orders_total']],
    [
      'histogram_quantile(0.99, sum by (le) (rate(seckill_order_duration_seconds_bucket{job="seckill", outcome=~"a|b"}[5m])))',
      ['seckill_order_duration_seconds_bucket'],
    ],
    [
      'sum(rate(lock_acquire_duration_seconds_sum[1m])) / on(instance) group_left sum without (le) (rate(lock_acquire_duration_seconds_count[1m]))',
      ['lock_acquire_duration_seconds_sum', 'lock_acquire_duration_seconds_count'],
    ],
    ['max(up offset 5m) > bool 0 and nan', ['up']],
    ['sum by (outcome) (increase(lock_lost_total[1h:5m]))', ['lock_lost_total']],
  ])('%s reads %p', (expr, names) => {
    expect(metricNamesIn(expr).sort()).toEqual([...names].sort());
  });

  const exposition = [
    '# HELP a_total x',
    '# TYPE a_total counter',
    'a_total 0',
    '# TYPE h_seconds histogram',
    'h_seconds_bucket{le="+Inf"} 0',
    'h_seconds_sum 0',
    'h_seconds_count 0',
    '# TYPE labelled_total counter',
  ].join('\n');

  it('accepts a histogram’s series and refuses a name the service does not export, or has no sample of', () => {
    const dashboard = {
      panels: [
        {
          type: 'row',
          panels: [{ targets: [{ expr: 'rate(seckill_bogus_total[1m])' }] }],
        },
        { targets: [{ expr: 'sum(rate(a_total[1m])) + sum(rate(h_seconds_count[1m]))' }] },
        { targets: [{ expr: 'histogram_quantile(0.5, rate(h_seconds_bucket[1m])) or h' }] },
        { targets: [{ expr: 'sum by (outcome) (rate(labelled_total[1m]))' }] },
      ],
    };

    expect(exportedMetricNames(exposition)).toContain('h_seconds_sum');
    expect(unknownMetricNames(dashboard, exposition)).toEqual([
      'h',
      'labelled_total',
      'seckill_bogus_total',
    ]);
  });
});

/**
 * The Grafana dashboard cannot rot silently: every metric it queries is exported
 * by /metrics of a running service, in async mode (so the async metrics exist),
 * before any order (so nothing needs a first observation).
 */
describe('observability (e2e)', () => {
  let t: TestApp;
  let restoreEnv: () => void;

  beforeAll(async () => {
    restoreEnv = overrideEnv({ SECKILL_MODE: 'async', METRICS_TOKEN });
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
    restoreEnv();
  });

  it('every metric the dashboard queries is exported by /metrics', async () => {
    const dashboard = JSON.parse(read(DASHBOARD)) as Dashboard;
    // Scraped as prometheus.yml scrapes it: a bearer token.
    const res = await t.api
      .get('/metrics')
      .set('authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);

    const exprs = dashboardExpressions(dashboard);
    expect(exprs.length).toBeGreaterThan(10);
    expect(unknownMetricNames(dashboard, res.text)).toEqual([]);
    // The panels the operators asked for are there.
    const queried = new Set(exprs.flatMap(metricNamesIn));
    for (const name of [
      'seckill_orders_total',
      'seckill_order_duration_seconds_bucket',
      'lock_attempts_total',
      'seckill_async_backlog_pending',
      'seckill_async_dead_letter_stream_length',
    ]) {
      expect(queried).toContain(name);
    }
  });

  it('Prometheus sends the metrics token as the guard expects, and Grafana loads the dashboard from the repo', () => {
    const prometheus = load(read('observability/prometheus.yml')) as {
      scrape_configs: {
        metrics_path: string;
        authorization: { type: string; credentials_file: string };
        static_configs: { targets: string[] }[];
      }[];
    };
    const [job] = prometheus.scrape_configs;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.authorization.type).toBe('Bearer');

    const compose = load(read('docker-compose.yml')) as {
      services: Record<
        string,
        {
          profiles?: string[];
          image?: string;
          ports?: string[];
          volumes?: string[];
          entrypoint?: string[];
          healthcheck?: unknown;
        }
      >;
    };
    const { prometheus: prom, grafana } = compose.services;
    for (const service of [prom, grafana]) {
      expect(service.profiles).toEqual(['observability']);
      expect(service.healthcheck).toBeDefined();
      for (const port of service.ports ?? []) expect(port).toMatch(/^'?127\.0\.0\.1:/);
    }
    expect(prom.image).toMatch(/^prom\/prometheus:/);
    expect(grafana.image).toMatch(/^grafana\/grafana:/);
    // The entrypoint writes the token where the scrape config reads it.
    expect(prom.entrypoint!.join(' ')).toContain(`> ${job.authorization.credentials_file}`);
    expect(prom.volumes).toContain(
      './observability/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
    );
    // Its targets are services of the compose file.
    for (const target of job.static_configs.flatMap((c) => c.targets)) {
      expect(Object.keys(compose.services)).toContain(target.split(':')[0]);
    }

    const provider = load(read('observability/grafana/provisioning/dashboards/seckill.yml')) as {
      providers: { options: { path: string } }[];
    };
    const dashboardsMount = grafana.volumes!.find((v) =>
      v.startsWith('./observability/grafana/dashboards:'),
    );
    expect(dashboardsMount?.split(':')[1]).toBe(provider.providers[0].options.path);
    const datasources = load(
      read('observability/grafana/provisioning/datasources/prometheus.yml'),
    ) as {
      datasources: { uid: string; url: string }[];
    };
    expect(datasources.datasources[0].url).toBe('http://prometheus:9090');
    // Every panel queries that datasource.
    const dashboard = JSON.parse(read(DASHBOARD)) as {
      panels: { type: string; datasource?: { uid: string } }[];
    };
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect(panel.datasource?.uid).toBe(datasources.datasources[0].uid);
    }
  });
});
