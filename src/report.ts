/** How outcomes are shown: the table, the `--json` object of DESIGN §7, and the exit code. */
import type { Outcome, OutcomeStatus } from './billing.js';
import { Decimal, formatMoney, formatQuantity, formatRate } from './decimal.js';
import { EXIT } from './errors.js';
import { renderTable } from './table.js';
import { formatTimestamp } from './time.js';

/** DESIGN §6: 1 if any tenant failed; 3 if nothing could be billed (all skipped); else 0. */
export function exitCodeFor(outcomes: Outcome[]): number {
  if (outcomes.some((o) => o.status === 'failed')) return EXIT.someFailed;
  if (outcomes.length > 0 && outcomes.every((o) => o.status === 'skipped')) return EXIT.notBillable;
  return EXIT.ok;
}

export function outcomesJson(outcomes: Outcome[], digits: number): string {
  const bills = outcomes.map((o) => ({
    tenant: o.tenant.id,
    ...(o.tenant.name ? { tenant_name: o.tenant.name } : {}),
    start: formatTimestamp(o.window.start),
    end: formatTimestamp(o.window.end),
    status: o.status,
    total: o.total === null ? null : formatMoney(o.total, digits),
    currency: o.currency,
    invoice: o.invoice,
    lines: o.lines.map((line) => ({
      datacenter: line.datacenter,
      name: line.name,
      quantity: formatQuantity(line.quantity, 12),
      unit: line.unit,
      rate: formatRate(line.rate),
      amount: formatMoney(line.amount, digits),
    })),
    ...(o.error !== undefined ? { error: o.error } : {}),
    ...(o.reason !== undefined ? { reason: o.reason } : {}),
  }));
  return `${JSON.stringify({ bills }, null, 2)}\n`;
}

function tenantLabel(o: Outcome): string {
  return o.tenant.name ? `${o.tenant.name} (${o.tenant.id})` : o.tenant.id;
}

export function linesTable(o: Outcome, digits: number): string {
  return renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'quantity', align: 'right' }, { header: 'unit' },
      { header: 'rate', align: 'right' }, { header: 'amount', align: 'right' },
    ],
    [
      ...o.lines.map((l) => [l.datacenter, l.name, formatQuantity(l.quantity, 4), l.unit, formatRate(l.rate), formatMoney(l.amount, digits)]),
      ['total', '', '', '', '', `${formatMoney(o.total ?? new Decimal(0), digits)} ${o.currency}`],
    ],
  );
}

export function summaryTable(outcomes: Outcome[], digits: number): string {
  return renderTable(
    [{ header: 'tenant' }, { header: 'window' }, { header: 'status' }, { header: 'lines', align: 'right' }, { header: 'total', align: 'right' }, { header: 'invoice / reason' }],
    outcomes.map((o) => [
      tenantLabel(o),
      o.window.label,
      o.status,
      o.status === 'skipped' || o.status === 'failed' ? '' : String(o.lines.length),
      o.total === null || o.status === 'failed' ? '' : `${formatMoney(o.total, digits)} ${o.currency}`,
      o.error ?? o.reason ?? o.invoice ?? '',
    ]),
  );
}

/** `3 committed, 1 skipped, 0 empty, 0 failed; billed 123.45 USD` */
export function summaryLine(outcomes: Outcome[], digits: number): string {
  const order: OutcomeStatus[] = ['committed', 'preview', 'skipped', 'empty', 'failed'];
  const counts = order
    .map((status) => [status, outcomes.filter((o) => o.status === status).length] as const)
    .filter(([status, n]) => n > 0 || ['committed', 'skipped', 'failed'].includes(status))
    .map(([status, n]) => `${n} ${status}`);
  const totals = new Map<string, Decimal>();
  for (const o of outcomes) {
    if ((o.status === 'committed' || o.status === 'preview') && o.total) {
      totals.set(o.currency, (totals.get(o.currency) ?? new Decimal(0)).plus(o.total));
    }
  }
  const money = [...totals].map(([currency, total]) => `${formatMoney(total, digits)} ${currency}`).join(', ');
  const verb = outcomes.some((o) => o.status === 'preview') ? 'would bill' : 'billed';
  return `${counts.join(', ')}${money ? `; ${verb} ${money}` : ''}\n`;
}
