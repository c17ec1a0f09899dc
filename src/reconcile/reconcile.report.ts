import { ReconcileReport, VoucherReconcile } from './reconciler';
import { DRIFT_KINDS, Drift } from './seckill-drift';

/** Dead letters listed per voucher; the JSON output has them all. */
const SHOWN_LETTERS = 20;

function figuresLine(voucher: VoucherReconcile): string {
  const f = voucher.figures;
  const stock = f.redisStock === null ? 'no stock key' : `stock ${f.redisStock}`;
  return `Redis ${stock}, ${f.redisBuyers} buyers, ${f.pending} pending | MySQL stock ${f.mysqlStock}, ${f.mysqlOrders} orders`;
}

const driftLines = (drift: readonly Drift[]): string[] =>
  drift.map(
    (d) =>
      `    ${d.kind}: ${d.detail}\n      (${DRIFT_KINDS[d.kind]}; ${d.idsAre}: ${d.ids.join(', ')})`,
  );

function verdictOf(voucher: VoucherReconcile): string {
  if (voucher.drift.length === 0) return 'agree';
  if (voucher.fixError) return `DRIFT, rebuild failed: ${voucher.fixError}`;
  if (voucher.driftAfterFix === undefined) return 'DRIFT';
  return voucher.driftAfterFix.length === 0 ? 'DRIFT, repaired' : 'DRIFT, still after the rebuild';
}

/** The report as an operator reads it: one line per voucher, every difference with its ids. */
export function formatReconcile(report: ReconcileReport): string {
  const lines: string[] = [];
  for (const voucher of report.vouchers) {
    lines.push(`voucher ${voucher.voucherId}: ${verdictOf(voucher)} (${figuresLine(voucher)})`);
    lines.push(...driftLines(voucher.drift));
    if (voucher.rebuilt) {
      const r = voucher.rebuilt;
      lines.push(
        `  rebuilt from MySQL: stock ${r.stock} (MySQL ${r.mysqlStock} - ${r.pendingOrders} pending), ${r.buyers} buyers (${r.mysqlOrders} orders + pending)`,
      );
    }
    if (voucher.driftAfterFix?.length) {
      lines.push('  still after the rebuild:', ...driftLines(voucher.driftAfterFix));
    }
    for (const letter of voucher.deadLetters.slice(0, SHOWN_LETTERS)) {
      lines.push(
        `  dead letter: order ${letter.orderId} of user ${letter.userId} (entry ${letter.streamId}) after ${letter.deliveries} deliveries: ${letter.error}`,
      );
    }
    if (voucher.deadLetters.length > SHOWN_LETTERS) {
      lines.push(`  and ${voucher.deadLetters.length - SHOWN_LETTERS} more dead letters`);
    }
  }
  const list = (ids: readonly number[]) => (ids.length ? ` [${ids.join(', ')}]` : '');
  lines.push(
    `${report.vouchers.length} voucher(s): ${report.drifting.length} drifting${list(report.drifting)}, ` +
      `${report.repaired.length} repaired${list(report.repaired)}, ${report.deadLetters} dead-lettered order(s)`,
  );
  return lines.join('\n');
}
