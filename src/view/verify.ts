/**
 * What `artifice verify` prints: for people, the verdict (fixed point or DRIFT), then per
 * resource and per line stored vs now, the delta, and the amount delta at the stored rate; for
 * machines (`--json`), the same diff as one object.
 */
import type { ChalkInstance } from 'chalk';
import type { Comparison, LineDiff, ResourceDiff } from '../billing/verify.js';
import type { Bill } from '../ledger.js';
import { Decimal, formatMoney, formatQuantity, formatRate } from '../model/decimal.js';
import { formatTimestamp } from '../model/time.js';
import type { BillingWindow } from '../model/types.js';
import { paintStatus } from './report.js';
import { renderTable } from './table.js';

export interface VerifyReport {
  tenantId: string;
  window: BillingWindow;
  bill: Bill;
  /** The telemetry it was recomputed from (the collector's description). */
  source: string;
  storedRecords: number;
  nowRecords: number;
  comparison: Comparison;
  currency: string;
  digits: number;
  /** The window as command-line options, for the void-and-bill-again hint: `--month 2024-05`. */
  windowArgs: string;
}

export function verifyJson(report: VerifyReport): string {
  const { comparison: result, bill, digits } = report;
  const q = (d: Decimal) => formatQuantity(d, 12);
  const money = (d: Decimal | null) => (d === null ? null : formatMoney(d, digits));
  return `${JSON.stringify({
    tenant: report.tenantId,
    start: formatTimestamp(report.window.start),
    end: formatTimestamp(report.window.end),
    bill: { id: bill.id, committed_at: bill.committedAt, invoice: bill.reference || null, total: bill.total, currency: report.currency },
    source: report.source,
    fixed_point: result.fixedPoint,
    resources_compared: result.resources.length,
    lines_compared: result.lines.length,
    resources: result.changedResources.map((r) => ({
      datacenter: r.datacenter, service: r.service, resource_id: r.resourceId, meter: r.meter, unit: r.unit,
      stored: q(r.stored), now: q(r.now), delta: q(r.now.minus(r.stored)), samples_stored: r.samplesStored, samples_now: r.samplesNow,
    })),
    samples_only: result.samplesOnly.map((r) => ({ resource_id: r.resourceId, meter: r.meter, samples_stored: r.samplesStored, samples_now: r.samplesNow })),
    lines: result.changedLines.map((l) => ({
      datacenter: l.datacenter, name: l.name, unit: l.unit, stored: q(l.stored), now: q(l.now), delta: q(l.now.minus(l.stored)),
      rate: l.rate === null ? null : formatRate(l.rate), rate_source: l.rateSource,
      stored_amount: money(l.storedAmount), now_amount: money(l.nowAmount),
      amount_delta: l.nowAmount === null ? null : money(l.nowAmount.minus(l.storedAmount)),
    })),
    total: {
      stored: money(result.storedTotal),
      now: money(result.nowTotal),
      delta: result.nowTotal === null ? null : money(result.nowTotal.minus(result.storedTotal)),
    },
  }, null, 2)}\n`;
}

/** The text report; `style` paints the verdict (a no-op without colour). */
export function verifyText(report: VerifyReport, style: ChalkInstance): string {
  const { comparison: result } = report;
  const head = `${header(report)}\n`;
  if (result.fixedPoint) {
    return `${head}${paintStatus(style, 'ok', 'fixed point')}: recomputing the window from the telemetry gives exactly the usage that was billed ` +
      `(${plural(result.resources.length, 'resource record')}, ${plural(result.lines.length, 'line')})\n${samplesNote(result)}`;
  }
  return head +
    `${paintStatus(style, 'failed', 'DRIFT')}: the telemetry now gives different usage than was billed (late or changed samples)\n\n` +
    `resources that changed (${result.changedResources.length} of ${result.resources.length}):\n${resourceTable(result.changedResources)}` +
    `\nlines that changed (${result.changedLines.length} of ${result.lines.length}), amounts at the stored rate:\n${lineTable(result.changedLines, report.digits)}` +
    `\n${totalLine(report)}\n${samplesNote(result)}` +
    `to bill it again: artifice void --tenant ${report.tenantId} ${report.windowArgs} --reason "late samples (verify)" && artifice bill --tenant ${report.tenantId} ${report.windowArgs}\n`;
}

function header({ bill, tenantId, window, currency, source, nowRecords, storedRecords }: VerifyReport): string {
  const who = bill.tenantName ? `${bill.tenantName} (${tenantId})` : tenantId;
  return `verify ${who} ${window.label}: bill ${bill.id.slice(0, 8)} committed ${bill.committedAt ?? '?'}` +
    `${bill.reference ? `, invoice ${bill.reference}` : ''}, total ${bill.total ?? '0'} ${currency}\n` +
    `recomputed from ${source}: ${nowRecords} resource record${nowRecords === 1 ? '' : 's'} now, ${storedRecords} stored\n`;
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function signed(value: Decimal, text: string): string {
  return value.gt(0) ? `+${text}` : text;
}

function samplesNote({ samplesOnly }: Comparison): string {
  if (!samplesOnly.length) return '';
  return `note: ${samplesOnly.length} resource${samplesOnly.length === 1 ? ' has' : 's have'} a different sample count but the same quantity ` +
    `(${samplesOnly.map((r) => `${r.resourceId} ${r.samplesStored}→${r.samplesNow}`).slice(0, 5).join(', ')})\n`;
}

function resourceTable(resources: ResourceDiff[]): string {
  return renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'resource' }, { header: 'meter' },
      { header: 'stored', align: 'right' }, { header: 'now', align: 'right' }, { header: 'delta', align: 'right' }, { header: 'unit' }, { header: 'samples' },
    ],
    resources.map((r) => [
      r.datacenter, r.service, r.resourceId, r.meter, formatQuantity(r.stored, 4), formatQuantity(r.now, 4),
      signed(r.now.minus(r.stored), formatQuantity(r.now.minus(r.stored), 4)), r.unit,
      r.samplesStored === 0 ? `new (${r.samplesNow})` : r.samplesNow === 0 ? `gone (was ${r.samplesStored})` : `${r.samplesStored} → ${r.samplesNow}`,
    ]),
  );
}

function lineTable(lines: LineDiff[], digits: number): string {
  return renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'stored', align: 'right' }, { header: 'now', align: 'right' },
      { header: 'delta', align: 'right' }, { header: 'unit' }, { header: 'rate', align: 'right' }, { header: 'billed', align: 'right' },
      { header: 'now', align: 'right' }, { header: 'amount delta', align: 'right' },
    ],
    lines.map((l) => [
      l.datacenter, l.name, formatQuantity(l.stored, 4), formatQuantity(l.now, 4), signed(l.now.minus(l.stored), formatQuantity(l.now.minus(l.stored), 4)), l.unit,
      l.rate === null ? 'no price' : `${formatRate(l.rate)}${l.rateSource === 'current' ? ' (current)' : ''}`,
      formatMoney(l.storedAmount, digits), l.nowAmount === null ? '?' : formatMoney(l.nowAmount, digits),
      l.nowAmount === null ? '?' : signed(l.nowAmount.minus(l.storedAmount), formatMoney(l.nowAmount.minus(l.storedAmount), digits)),
    ]),
  );
}

function totalLine({ comparison: result, currency, digits }: VerifyReport): string {
  const delta = result.nowTotal?.minus(result.storedTotal);
  return `total: billed ${formatMoney(result.storedTotal, digits)} ${currency}, now ${result.nowTotal === null ? '? (a new line has no price)' : `${formatMoney(result.nowTotal, digits)} ${currency}`}` +
    `${delta ? `, difference ${signed(delta, formatMoney(delta, digits))} ${currency}` : ''}`;
}
