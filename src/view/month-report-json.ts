/** The month report as one JSON object (`report --json`, docs/report.md): decimals as strings, instants ISO-8601 UTC. */
import { formatMoney, formatQuantity, type Decimal } from '../model/decimal.js';
import { formatTimestamp } from '../model/time.js';
import type { Finding, MonthReport, TotalRow } from '../report/types.js';
import { describeFinding } from './month-report-words.js';

function rowJson(row: TotalRow, months: string[], digits: number, key: string): Record<string, unknown> {
  const money = (value: Decimal | null) => (value === null ? null : formatMoney(value, digits));
  return {
    [key]: row.key,
    ...(row.name !== undefined ? { name: row.name } : {}),
    currency: row.currency,
    total: money(row.total),
    previous: money(row.previous),
    change: row.previous === null ? null : money(row.total.minus(row.previous)),
    median_6: money(row.median),
    by_month: Object.fromEntries(months.map((month, i) => [month, money(row.history[i] ?? null)])),
  };
}

/** A finding's fields in snake case; amounts with the currency's digits, hours exact to 6 places. */
function findingJson(f: Finding, rank: number, digits: number): Record<string, unknown> {
  const m = (value: Decimal) => formatMoney(value, digits);
  const base: Record<string, unknown> = { rank, kind: f.kind, tenant: f.tenant, ...(f.name !== undefined ? { name: f.name } : {}) };
  if ('bill' in f) Object.assign(base, { bill: f.bill, start: formatTimestamp(f.start), end: formatTimestamp(f.end) });
  switch (f.kind) {
    case 'failed': Object.assign(base, { error: f.error }); break;
    case 'pending': Object.assign(base, { since: f.since }); break;
    case 'missing': Object.assign(base, { currency: f.currency, previous: m(f.previous) }); break;
    case 'changed': Object.assign(base, { currency: f.currency, previous: m(f.previous), total: m(f.total), factor: f.factor && formatQuantity(f.factor) }); break;
    case 'gap': Object.assign(base, { gap_hours: formatQuantity(f.hours), resources: f.resources.map((r) => ({ resource_id: r.resource, meter: r.meter, gap_hours: formatQuantity(r.hours) })) }); break;
    case 'service-new': Object.assign(base, { service: f.service, currency: f.currency, total: m(f.amount) }); break;
    case 'service-gone': Object.assign(base, { service: f.service, currency: f.currency, previous: m(f.previous) }); break;
    case 'voided': Object.assign(base, { reason: f.reason, rebilled: f.rebilled }); break;
    case 'new-tenant': Object.assign(base, { currency: f.currency, total: m(f.total) }); break;
  }
  return { ...base, why: describeFinding(f, digits) };
}

export function monthReportJson(report: MonthReport): Record<string, unknown> {
  const digits = report.currencyDigits;
  const rows = (list: TotalRow[], key: string) => list.map((row) => rowJson(row, report.months, digits, key));
  return {
    month: report.month,
    start: formatTimestamp(report.start),
    end: formatTimestamp(report.end),
    timezone: report.timezone,
    change_factor: report.changeFactor.toFixed(),
    months: report.months,
    bills: report.bills,
    totals: rows(report.cloud, 'scope'),
    findings: report.findings.map((f, i) => findingJson(f, i + 1, digits)),
    tenants: rows(report.tenants, 'tenant'),
    services: rows(report.services, 'service'),
    datacenters: rows(report.datacenters, 'datacenter'),
  };
}
