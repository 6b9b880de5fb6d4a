/** The words of the month report (docs/report.md), shared by its table, JSON and HTML. */
import { Decimal, formatMoney } from '../model/decimal.js';
import { formatTimestamp } from '../model/time.js';
import type { Finding, FindingKind, MonthReport, TotalRow } from '../report/types.js';

/** How each kind of finding is labelled, in words (never by colour alone). */
export const KIND_LABEL: Record<FindingKind, string> = {
  failed: 'failed bill',
  pending: 'pending bill',
  missing: 'tenant missing',
  changed: 'total changed',
  gap: 'coverage gap',
  'service-new': 'new service',
  'service-gone': 'service gone',
  voided: 'voided bill',
  'new-tenant': 'new tenant',
};

export function money(value: Decimal, currency: string, digits: number): string {
  return `${formatMoney(value, digits)} ${currency}`;
}

/** `name (id)`, or the id alone. */
export function tenantLabel(f: { tenant: string; name?: string }): string {
  return f.name !== undefined && f.name !== f.tenant ? `${f.name} (${f.tenant})` : f.tenant;
}

/** A row's change against the previous month: `+12.30`, `-4.00`, or `new` when nothing was billed then. */
export function changeText(row: TotalRow, digits: number): string {
  if (row.previous === null) return 'new';
  const change = row.total.minus(row.previous);
  return `${change.isNegative() ? '' : '+'}${formatMoney(change, digits)}`;
}

/** `×3.00` against the previous month, or '' when there is nothing to divide by. */
export function ratioText(row: TotalRow): string {
  return row.previous === null || row.previous.isZero() ? '' : `×${row.total.dividedBy(row.previous).toFixed(2, Decimal.ROUND_HALF_UP)}`;
}

export function hoursText(hours: Decimal): string {
  return `${hours.toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toFixed()} h`;
}

/** One sentence saying what the finding is and, where it helps, what to do. */
export function describeFinding(f: Finding, digits: number): string {
  const m = (value: Decimal, currency: string) => money(value, currency, digits);
  switch (f.kind) {
    case 'failed':
      return `the bill of ${formatTimestamp(f.start)} failed and was not billed again: ${f.error}`;
    case 'pending':
      return `the bill of ${formatTimestamp(f.start)} is still pending${f.since ? ` (claimed ${f.since})` : ''}: a run is on it or crashed; the next run resumes it`;
    case 'missing':
      return `billed ${m(f.previous, f.currency)} last month, nothing this month`;
    case 'changed':
      return `${m(f.total, f.currency)}, was ${m(f.previous, f.currency)}${f.factor ? ` (×${f.factor.toFixed(2, Decimal.ROUND_HALF_UP)})` : ''}`;
    case 'gap': {
      const shown = f.resources.slice(0, 3).map((r) => `${r.meter} ${r.resource} ${hoursText(r.hours)}`).join(', ');
      const more = f.resources.length > 3 ? `, and ${f.resources.length - 3} more` : '';
      return `${hoursText(f.hours)} without telemetry, not billed (${shown}${more})`;
    }
    case 'service-new':
      return `${f.service}: ${m(f.amount, f.currency)}, not billed last month`;
    case 'service-gone':
      return `${f.service}: billed ${m(f.previous, f.currency)} last month, not this month`;
    case 'voided':
      return `a bill was voided (${f.reason || 'no reason given'}) and ${f.rebilled ? 'billed again' : 'not billed again yet'}`;
    case 'new-tenant':
      return `${m(f.total, f.currency)}, not billed last month`;
  }
}

/** The report's first line: month, zone and the bills behind it. */
export function summaryText(report: MonthReport): string {
  const { committed, pending, failed, voided } = report.bills;
  return `${report.month} (${report.timezone}): ${committed} committed bill${committed === 1 ? '' : 's'}, ${pending} pending, ${failed} failed, ${voided} voided`;
}
