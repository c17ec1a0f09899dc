import Table from 'cli-table3';
import { FlashSaleResult, SaleDrain } from './flash-sale';
import { RunStats } from './run-summary';
import { Verdict } from './sale.verifier';

/** No colours: tables are read in terminals, CI logs and READMEs alike. */
export const PLAIN_TABLE = { head: [], border: [] };

/** A check's offending ids are listed up to this many; the JSON report has them all. */
const SHOWN_IDS = 20;

const formatCounts = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([key, count]) => `${key}: ${count}`)
    .join('\n') || '-';

export function statsRows(stats: RunStats): [string, string][] {
  const { latencyMs } = stats;
  return [
    ['requests', `${stats.requests} (${stats.answered} answered, ${stats.unanswered} unanswered)`],
    ['connection errors / timeouts', `${stats.errors} / ${stats.timeouts}`],
    ['duration', `${(stats.durationMs / 1000).toFixed(2)} s`],
    ['requests/s', String(stats.requestsPerSecond)],
    [
      'latency p50 / p90 / p99 / max',
      `${latencyMs.p50} / ${latencyMs.p90} / ${latencyMs.p99} / ${latencyMs.max} ms`,
    ],
    ['status codes', formatCounts(stats.statusCounts)],
    ['error codes', formatCounts(stats.codeCounts)],
  ];
}

export function saleRows(sale: FlashSaleResult): [string, string][] {
  return [
    ['voucher', `${sale.voucherId} (stock ${sale.stock})`],
    [
      'shoppers',
      `${sale.users} x ${sale.repeat} concurrent order(s), ${sale.connections} connections`,
    ],
    ['mode', sale.mode],
    [
      sale.mode === 'async' ? 'orders accepted (2xx: 202)' : 'orders acknowledged (2xx)',
      String(sale.acknowledged),
    ],
    ['last 2xx after', `${(sale.stats.lastSuccessAtMs / 1000).toFixed(2)} s`],
    ...(sale.drain ? drainRows(sale.drain) : []),
    ...statsRows(sale.stats),
  ];
}

function drainRows(drain: SaleDrain): [string, string][] {
  const tail = drain.tail;
  return [
    ['admitted orders/s', String(drain.admittedPerSecond)],
    [
      'stream drain',
      drain.drained
        ? `${drain.written} written, ${drain.deadLettered} dead-lettered`
        : `NOT DRAINED: ${drain.written} written, ${drain.deadLettered} dead-lettered of ${drain.accepted}`,
    ],
    [
      'last admission -> all in MySQL',
      drain.lastAdmissionToDrainedMs === undefined ? '-' : `${drain.lastAdmissionToDrainedMs} ms`,
    ],
    ['orders written/s', `${drain.writesPerSecond} (peak backlog ${drain.peakBacklog})`],
    [
      'drain after the last admission',
      `${tail.backlog} orders in ${tail.ms} ms${tail.writesPerSecond ? ` (${tail.writesPerSecond}/s)` : ''}`,
    ],
  ];
}

export function formatKeyValues(rows: [string, string][]): string {
  const table = new Table({ style: PLAIN_TABLE });
  table.push(...rows.map(([key, value]) => ({ [key]: value })));
  return table.toString();
}

export function formatVerdict(verdict: Verdict): string {
  const table = new Table({
    head: ['invariant', 'verdict', 'detail'],
    wordWrap: true,
    style: PLAIN_TABLE,
    colWidths: [44, 9, 70],
  });
  for (const check of verdict.checks) {
    const shown = check.offendingIds.slice(0, SHOWN_IDS).join(', ');
    const more =
      check.offendingIds.length > SHOWN_IDS
        ? ` and ${check.offendingIds.length - SHOWN_IDS} more`
        : '';
    table.push([
      check.description,
      check.passed ? 'pass' : 'FAIL',
      check.passed ? check.detail : `${check.detail}\noffending: ${shown}${more}`,
    ]);
  }
  return table.toString();
}

export function formatSale(sale: FlashSaleResult): string {
  return `${formatKeyValues(saleRows(sale))}\n${formatVerdict(sale.verdict)}`;
}
