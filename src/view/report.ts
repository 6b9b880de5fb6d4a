/** How outcomes are shown: the table, the `--json` object of docs/architecture.md, "Stable interfaces", and `--explain`. */
import type { ChalkInstance } from 'chalk';
import { Decimal, formatMoney, formatQuantity, formatRate } from '../model/decimal.js';
import { outcomeNote, type Failed, type Outcome, type OutcomeStatus } from '../model/outcome.js';
import { renderTable } from './table.js';
import { formatTimestamp, US_PER_HOUR } from '../model/time.js';
import type { InvoiceLine, LineBasis, UsageRecord, Window } from '../model/types.js';
import { basisText, lineLabel } from '../invoice/line-text.js';

/** One invoice line with the resources (usage records) behind it: what `--explain` shows. */
export interface ExplainedLine {
  datacenter: string;
  name: string;
  unit: string;
  quantity: Decimal;
  /** null when the line was never priced (the tenant failed before, e.g. no price). */
  rate: Decimal | null;
  amount: Decimal | null;
  /** The part of the window, when a price change split the service's usage. */
  period?: Window;
  basis?: LineBasis;
  /** The usage records behind it; a further part or tier of one service shares the first line's. */
  resources: UsageRecord[];
  /** Not the first line of its (datacenter, service): its resources are listed with that one. */
  continued?: boolean;
}

/**
 * Pairs lines with their resources: the records of the same (datacenter, service). Records
 * without a line (pricing failed) still appear, unpriced, so a failure can be explained too.
 */
export function explainLines(lines: readonly InvoiceLine[], usage: readonly UsageRecord[]): ExplainedLine[] {
  const key = (datacenter: string, name: string) => `${datacenter}\u0000${name}`;
  const explained: ExplainedLine[] = [];
  const first = new Map<string, ExplainedLine>();
  for (const line of lines) {
    const k = key(line.datacenter, line.name);
    const entry: ExplainedLine = {
      datacenter: line.datacenter, name: line.name, unit: line.unit, quantity: line.quantity, rate: line.rate, amount: line.amount, resources: [],
      ...(line.period ? { period: line.period } : {}), ...(line.basis ? { basis: line.basis } : {}), ...(first.has(k) ? { continued: true } : {}),
    };
    if (!first.has(k)) first.set(k, entry);
    explained.push(entry);
  }
  for (const record of usage) {
    const k = key(record.datacenter, record.service);
    let entry = first.get(k);
    if (!entry) {
      entry = { datacenter: record.datacenter, name: record.service, unit: record.unit, quantity: new Decimal(0), rate: null, amount: null, resources: [] };
      first.set(k, entry);
      explained.push(entry);
    }
    if (entry.rate === null) entry.quantity = entry.quantity.plus(record.quantity);
    entry.resources.push(record);
  }
  return explained;
}

function gapHours(record: UsageRecord): Decimal {
  return record.gaps.reduce((sum, gap) => sum.plus(new Decimal(gap.end - gap.start).div(US_PER_HOUR)), new Decimal(0));
}

function explainJson(lines: ExplainedLine[], digits: number) {
  return lines.map((line) => ({
    datacenter: line.datacenter,
    name: line.name,
    unit: line.unit,
    quantity: formatQuantity(line.quantity, 12),
    rate: line.rate === null ? null : formatRate(line.rate),
    amount: line.amount === null ? null : formatMoney(line.amount, digits),
    ...periodBasisJson(line),
    resources: line.resources.map((r) => ({
      resource_id: r.resourceId,
      meter: r.meter,
      quantity: formatQuantity(r.quantity, 12),
      unit: r.unit,
      samples: r.samples,
      first_sample: r.firstSample === null ? null : formatTimestamp(r.firstSample),
      last_sample: r.lastSample === null ? null : formatTimestamp(r.lastSample),
      gaps: r.gaps.map((g) => ({ start: formatTimestamp(g.start), end: formatTimestamp(g.end) })),
      gap_hours: formatQuantity(gapHours(r), 6),
      ...(r.fallbacks?.length ? { fallbacks: r.fallbacks } : {}),
    })),
  }));
}

/** A line's period and basis for --json (absent when the line has none). */
function periodBasisJson(line: { period?: Window; basis?: LineBasis }) {
  return {
    ...(line.period ? { period: { start: formatTimestamp(line.period.start), end: formatTimestamp(line.period.end) } } : {}),
    ...(line.basis ? { basis: line.basis, why: basisText(line) } : {}),
  };
}

export interface JsonOptions {
  /** `--explain`: the explained lines of an outcome (absent: no `explain` key). */
  explain?: (o: Outcome) => ExplainedLine[];
}

export function outcomesJson(outcomes: Outcome[], digits: number, options: JsonOptions = {}): string {
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
    ...(o.status === 'failed' ? { error: o.error } : {}),
    ...(o.status === 'skipped' ? { reason: o.reason } : {}),
    ...(o.billId ? { bill: o.billId } : {}),
    ...(o.resumed ? { resumed: true } : {}),
    ...(o.asRecorded ? { as_recorded: true } : {}),
    ...(options.explain ? { explain: explainJson(options.explain(o), digits) } : {}),
  }));
  return `${JSON.stringify({ bills, summary: summaryJson(outcomes, digits) }, null, 2)}\n`;
}

/** Counts per status and totals per currency, for `--json`, the runs table and the status file. */
export function summaryJson(outcomes: Outcome[], digits: number) {
  const counts: Record<string, number> = { committed: 0, skipped: 0, empty: 0, failed: 0 };
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  const totals: Record<string, string> = {};
  for (const [currency, total] of totalsByCurrency(outcomes)) totals[currency] = formatMoney(total, digits);
  return { tenants: outcomes.length, ...counts, totals };
}

function totalsByCurrency(outcomes: Outcome[]): Map<string, Decimal> {
  const totals = new Map<string, Decimal>();
  for (const o of outcomes) {
    if ((o.status === 'committed' || o.status === 'preview') && o.total) {
      totals.set(o.currency, (totals.get(o.currency) ?? new Decimal(0)).plus(o.total));
    }
  }
  return totals;
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
      ...o.lines.map((l) => [l.datacenter, lineLabel(l), formatQuantity(l.quantity, 4), l.unit, formatRate(l.rate), formatMoney(l.amount, digits)]),
      ['total', '', '', '', '', `${formatMoney(o.total ?? new Decimal(0), digits)} ${o.currency}`],
    ],
  );
}

/** The colour of a status word on a terminal. */
export function paintStatus(style: ChalkInstance | undefined, status: string, text = status): string {
  if (!style) return text;
  switch (status) {
    case 'committed':
    case 'ok':
    case 'PASS':
      return style.green(text);
    case 'failed':
    case 'FAIL':
      return style.red.bold(text);
    case 'skipped':
    case 'pending':
      return style.yellow(text);
    default:
      return style.dim(text);
  }
}

export function summaryTable(outcomes: Outcome[], digits: number, style?: ChalkInstance): string {
  return renderTable(
    [
      { header: 'tenant' }, { header: 'window' }, { header: 'status', paint: (padded, raw) => paintStatus(style, raw, padded) },
      { header: 'lines', align: 'right' }, { header: 'total', align: 'right' }, { header: 'invoice / reason' },
    ],
    outcomes.map((o) => [
      tenantLabel(o),
      o.window.label,
      o.status,
      o.status === 'skipped' || o.status === 'failed' ? '' : String(o.lines.length),
      o.total === null || o.status === 'failed' ? '' : `${formatMoney(o.total, digits)} ${o.currency}`,
      outcomeNote(o),
    ]),
  );
}

/** `3 committed, 1 skipped, 0 failed; billed 123.45 USD` */
export function summaryLine(outcomes: Outcome[], digits: number): string {
  const order: OutcomeStatus[] = ['committed', 'preview', 'skipped', 'empty', 'failed'];
  const counts = order
    .map((status) => [status, outcomes.filter((o) => o.status === status).length] as const)
    .filter(([status, n]) => n > 0 || ['committed', 'skipped', 'failed'].includes(status))
    .map(([status, n]) => `${n} ${status}`);
  const money = [...totalsByCurrency(outcomes)].map(([currency, total]) => `${formatMoney(total, digits)} ${currency}`).join(', ');
  const verb = outcomes.some((o) => o.status === 'preview') ? 'would bill' : 'billed';
  return `${counts.join(', ')}${money ? `; ${verb} ${money}` : ''}\n`;
}

/** After a long table: the failed tenants again, one line each, so three failures in 500 rows are not missed. */
export function failuresText(outcomes: Outcome[]): string {
  const failed = outcomes.filter((o): o is Failed => o.status === 'failed');
  if (failed.length === 0) return '';
  return `failed (${failed.length}):\n${failed.map((o) => `  ${tenantLabel(o)} ${o.window.label}: ${o.error}\n`).join('')}`;
}

function gapsText(record: UsageRecord): string {
  if (record.gaps.length === 0) return 'none';
  const shown = record.gaps.slice(0, 3).map((g) => `${formatTimestamp(g.start)}..${formatTimestamp(g.end)}`);
  const more = record.gaps.length > 3 ? `, +${record.gaps.length - 3} more` : '';
  return `${record.gaps.length} (${formatQuantity(gapHours(record), 2)} h): ${shown.join(', ')}${more}`;
}

/** One note per resource whose service name came from a template fallback (meters.ini `{attribute|fallback}`). */
function fallbackNotes(line: ExplainedLine): string[] {
  return line.resources.flatMap((r) => (r.fallbacks?.length
    ? [`    fallback: ${r.resourceId} reported no ${r.fallbacks.join(', ')}, so ${line.name} is named by the fallback of [${r.meter}] service\n`]
    : []));
}

/** Records read back from the ledger with the fallbacks of the same records measured in this run (the ledger does not keep them). */
export function withFallbacks(stored: readonly UsageRecord[], measured: readonly UsageRecord[]): UsageRecord[] {
  const key = (r: UsageRecord) => `${r.meter}\u0000${r.resourceId}\u0000${r.service}\u0000${r.datacenter}`;
  const fallbacks = new Map(measured.filter((r) => r.fallbacks?.length).map((r) => [key(r), r.fallbacks]));
  if (fallbacks.size === 0) return [...stored];
  return stored.map((r) => (fallbacks.has(key(r)) ? { ...r, fallbacks: fallbacks.get(key(r)) } : r));
}

/**
 * `--explain` as text: per line, `datacenter / service: quantity unit × rate = amount`, then
 * a table of its resources (id, meter, quantity, samples, first/last sample, coverage gaps).
 */
export function explainText(o: Outcome, lines: ExplainedLine[], digits: number): string {
  const head = `${tenantLabel(o)} ${o.window.label}: how each line came to be` +
    (o.billId ? ` (bill ${o.billId.slice(0, 8)}${o.status === 'skipped' ? ', as stored in the ledger' : ''})` : '');
  if (lines.length === 0) return `${head}\n  no usage: no resource of a configured meter had samples in the window\n`;
  const parts = [`${head}\n`];
  for (const line of lines) {
    const priced = line.rate === null || line.amount === null
      ? 'not priced'
      : `× ${formatRate(line.rate)} = ${formatMoney(line.amount, digits)} ${o.currency}`;
    const why = basisText(line);
    parts.push(`\n  ${line.datacenter} / ${lineLabel(line)}: ${formatQuantity(line.quantity, 4)} ${line.unit} ${priced}` +
      (line.continued ? '' : ` (${line.resources.length} resource${line.resources.length === 1 ? '' : 's'}${line.period ? ', their quantities over the whole window' : ''})`) + '\n' +
      (why ? `    priced by ${why}\n` : ''));
    if (line.continued || line.resources.length === 0) continue;
    const table = renderTable(
      [
        { header: 'resource' }, { header: 'meter' }, { header: 'quantity', align: 'right' }, { header: 'samples', align: 'right' },
        { header: 'first sample' }, { header: 'last sample' }, { header: 'coverage gaps' },
      ],
      line.resources.map((r) => [
        r.resourceId, r.meter, formatQuantity(r.quantity, 4), String(r.samples),
        r.firstSample === null ? '' : formatTimestamp(r.firstSample), r.lastSample === null ? '' : formatTimestamp(r.lastSample), gapsText(r),
      ]),
    );
    parts.push(table.split('\n').filter(Boolean).map((row) => `    ${row}\n`).join(''));
    parts.push(...fallbackNotes(line));
  }
  return parts.join('');
}
