import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { RunStats } from './run-summary';
import { Verdict } from './sale.verifier';

/** One burst of requests to chart, with the invariant checks when it was a sale. */
export interface ChartedRun {
  title: string;
  rows: [string, string][];
  stats: RunStats;
  verdict?: Verdict;
}

/** Chart.js's UMD build, inlined so the report is one file that opens anywhere, offline. */
function chartJsSource(): string {
  // The package's exports map hides dist/, but the UMD file sits beside its main entry.
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** JSON that cannot close the <script> element it is embedded in. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

function keyValueTable(rows: [string, string][]): string {
  const body = rows
    .map(
      ([key, value]) =>
        `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value).replace(/\n/g, '<br>')}</td></tr>`,
    )
    .join('');
  return `<table>${body}</table>`;
}

function verdictTable(verdict: Verdict): string {
  const body = verdict.checks
    .map(
      (check) =>
        `<tr class="${check.passed ? 'pass' : 'fail'}"><td>${escapeHtml(check.description)}</td>` +
        `<td>${check.passed ? 'pass' : 'FAIL'}</td><td>${escapeHtml(check.detail)}</td></tr>`,
    )
    .join('');
  const overall = verdict.passed ? 'all invariants hold' : 'INVARIANTS BROKEN';
  return (
    `<h3 class="${verdict.passed ? 'pass' : 'fail'}">${overall}</h3>` +
    `<table><tr><th>invariant</th><th>verdict</th><th>detail</th></tr>${body}</table>`
  );
}

function runSection(run: ChartedRun, index: number): string {
  return `<section>
<h2>${escapeHtml(run.title)}</h2>
${keyValueTable(run.rows)}
${run.verdict ? verdictTable(run.verdict) : ''}
<div class="charts">
  <figure><canvas id="histogram-${index}"></canvas><figcaption>latency histogram (ms; the last bar holds everything above p99)</figcaption></figure>
  <figure><canvas id="throughput-${index}"></canvas><figcaption>answers per second, per ${run.stats.throughputIntervalMs} ms interval</figcaption></figure>
</div>
</section>`;
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; font-weight: 600; }
.pass { color: #176b2c; } .fail { color: #b00020; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 2rem; }
figure { width: 560px; margin: 0; } figcaption { color: #666; font-size: 12px; }
section { border-top: 2px solid #eee; padding-top: 1rem; }
`;

const CHART_SCRIPT = `
for (const [index, run] of RUNS.entries()) {
  new Chart(document.getElementById('histogram-' + index), {
    type: 'bar',
    data: {
      labels: run.histogram.map((b) => b.fromMs.toFixed(1) + '-' + b.toMs.toFixed(1)),
      datasets: [{ label: 'requests', data: run.histogram.map((b) => b.count), backgroundColor: '#4e79a7' }],
    },
    options: { animation: false, scales: { x: { title: { display: true, text: 'latency (ms)' } },
      y: { title: { display: true, text: 'requests' } } } },
  });
  new Chart(document.getElementById('throughput-' + index), {
    type: 'line',
    data: {
      labels: run.throughput.map((p) => p.atSeconds.toFixed(2)),
      datasets: [{ label: 'requests/s', data: run.throughput.map((p) => p.requestsPerSecond),
        borderColor: '#f28e2b', pointRadius: 0, tension: 0.2 }],
    },
    options: { animation: false, scales: { x: { title: { display: true, text: 'seconds since start' } },
      y: { beginAtZero: true, title: { display: true, text: 'requests/s' } } } },
  });
}
`;

/** A self-contained page: figures, checks, a latency histogram and throughput over time per run. */
export function renderHtmlReport(
  title: string,
  header: [string, string][],
  runs: readonly ChartedRun[],
): string {
  const chartData = runs.map((run) => ({
    histogram: run.stats.histogram,
    throughput: run.stats.throughput,
  }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${keyValueTable(header)}
${runs.map(runSection).join('\n')}
<script>${chartJsSource()}</script>
<script>const RUNS = ${scriptJson(chartData)};${CHART_SCRIPT}</script>
</body></html>
`;
}
