/**
 * What to look at before invoices go out (docs/report.md, "What to look at"), ranked: bills that
 * did not go out (failed, pending), tenants billed last month and missing now, totals that moved
 * more than `[report] change_factor`, coverage gaps, services new or gone for a tenant, voided
 * bills, new tenants. Within a kind, the biggest first.
 */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR } from '../model/time.js';
import type { Bill, StoredLine, StoredUsage } from '../ledger.js';
import type { BillRef, MonthBills, Finding, FindingKind, GapResource, TotalRow } from './types.js';

export interface FindingsInput {
  /** Oldest first; the last is the report month. */
  months: MonthBills[];
  /** Usage rows of the report month's committed and pending bills. */
  usage: Map<string, StoredUsage[]>;
  tenants: TotalRow[];
  names: Map<string, string>;
  changeFactor: Decimal;
}

export function findingsOf(input: FindingsInput): Finding[] {
  const current = input.months.at(-1)!;
  const previous = input.months.at(-2)!;
  const ref = (bill: Bill): BillRef => {
    const name = input.names.get(bill.tenant);
    return { bill: bill.id, tenant: bill.tenant, ...(name !== undefined ? { name } : {}), start: bill.start, end: bill.end };
  };
  const open = notGoneOut(current.bills, ref);
  const explained = new Set(open.map((f) => f.tenant));
  const billedNow = new Set(current.committed.map((b) => b.tenant));
  const billedBefore = new Set(previous.committed.map((b) => b.tenant));
  return [
    ...open,
    ...input.tenants.flatMap((row) => totalFindings(row, input.changeFactor, billedNow, billedBefore, explained)),
    ...current.bills.flatMap((bill) => {
      const gap = gapOf(input.usage.get(bill.id) ?? []);
      return gap ? [{ kind: 'gap' as const, ...ref(bill), ...gap }] : [];
    }),
    ...serviceFindings(current, previous, input.names),
    ...current.bills.filter((b) => b.status === 'voided').map((bill) => ({
      kind: 'voided' as const, ...ref(bill), reason: bill.voidReason ?? '',
      rebilled: current.committed.some((b) => b.tenant === bill.tenant && b.start === bill.start && b.end === bill.end),
    })),
  ];
}

/** Pending bills, and failed bills whose window no later bill holds (the latest attempt of each). */
function notGoneOut(bills: Bill[], ref: (bill: Bill) => BillRef): Finding[] {
  const findings: Finding[] = [];
  const held = (b: Bill) => bills.some((o) => (o.status === 'committed' || o.status === 'pending') && o.tenant === b.tenant && o.start === b.start && o.end === b.end);
  const failed = new Map<string, Bill>();
  for (const bill of bills) {
    if (bill.status === 'pending') findings.push({ kind: 'pending', ...ref(bill), since: bill.claimedAt });
    // Bills come ordered by creation: the last failed attempt of a window wins.
    if (bill.status === 'failed' && !held(bill)) failed.set(`${bill.tenant}\0${bill.start}\0${bill.end}`, bill);
  }
  for (const bill of failed.values()) findings.push({ kind: 'failed', ...ref(bill), error: bill.error ?? '' });
  return findings;
}

/** missing, changed or new-tenant, from one tenant's row. */
function totalFindings(row: TotalRow, factor: Decimal, billedNow: Set<string>, billedBefore: Set<string>, explained: Set<string>): Finding[] {
  const who = { tenant: row.key, ...(row.name !== undefined ? { name: row.name } : {}), currency: row.currency };
  if (!billedNow.has(row.key)) {
    if (row.previous === null || explained.has(row.key)) return [];
    return [{ kind: 'missing', ...who, previous: row.previous }];
  }
  if (!billedBefore.has(row.key)) return [{ kind: 'new-tenant', ...who, total: row.total }];
  if (row.previous === null) return [];
  const [small, big] = row.total.lt(row.previous) ? [row.total, row.previous] : [row.previous, row.total];
  if (big.isZero() || (!small.isZero() && big.dividedBy(small).lte(factor))) return [];
  return [{ kind: 'changed', ...who, previous: row.previous, total: row.total, factor: row.previous.isZero() ? null : row.total.dividedBy(row.previous) }];
}

/** The coverage gaps of one bill's usage rows, in hours, per resource and in all. */
function gapOf(usage: StoredUsage[]): { hours: Decimal; resources: GapResource[] } | undefined {
  const resources = usage.flatMap((u) => {
    const micros = u.gaps.reduce((sum, g) => sum + Math.max(0, g.end - g.start), 0);
    return micros > 0 ? [{ resource: u.resourceId, meter: u.meter, hours: new Decimal(micros).dividedBy(US_PER_HOUR) }] : [];
  });
  if (resources.length === 0) return undefined;
  return { hours: resources.reduce((sum, r) => sum.plus(r.hours), new Decimal(0)), resources };
}

/** Services (invoice line names) a tenant billed both months has this month and not the last, or the reverse. */
function serviceFindings(current: MonthBills, previous: MonthBills, names: Map<string, string>): Finding[] {
  const now = servicesOf(current);
  const before = servicesOf(previous);
  const findings: Finding[] = [];
  for (const [tenant, services] of now) {
    const earlier = before.get(tenant);
    if (!earlier) continue;
    const name = names.get(tenant);
    const who = { tenant, ...(name !== undefined ? { name } : {}) };
    for (const [key, amount] of services) {
      const [service, currency] = key.split('\0') as [string, string];
      if (!earlier.has(key)) findings.push({ kind: 'service-new', ...who, service, currency, amount });
    }
    for (const [key, amount] of earlier) {
      const [service, currency] = key.split('\0') as [string, string];
      if (!services.has(key)) findings.push({ kind: 'service-gone', ...who, service, currency, previous: amount });
    }
  }
  return findings;
}

/**
 * The service a line counts under in the report: its name, but every discount line under
 * `discounts` and every monthly-minimum line under `monthly minimums` (their names carry the
 * percent and the price list, which would make each price list a service of its own).
 */
export function serviceOf(line: StoredLine): string {
  const kind = line.basis?.kind;
  return kind === 'discount' ? 'discounts' : kind === 'minimum' ? 'monthly minimums' : line.name;
}

/** tenant → `service\0currency` → amount, over a month's committed bills. */
function servicesOf(month: MonthBills): Map<string, Map<string, Decimal>> {
  const result = new Map<string, Map<string, Decimal>>();
  for (const bill of month.committed) {
    const services = result.get(bill.tenant) ?? new Map<string, Decimal>();
    for (const line of month.lines.get(bill.id) ?? []) {
      const key = `${serviceOf(line)}\0${bill.currency}`;
      services.set(key, (services.get(key) ?? new Decimal(0)).plus(line.amount));
    }
    result.set(bill.tenant, services);
  }
  return result;
}

const ORDER: readonly FindingKind[] = ['failed', 'pending', 'missing', 'changed', 'gap', 'service-new', 'service-gone', 'voided', 'new-tenant'];

/** How big a finding is within its kind: money moved, or hours missing. */
function size(f: Finding): Decimal {
  switch (f.kind) {
    case 'missing': return f.previous;
    case 'changed': return f.total.minus(f.previous).abs();
    case 'gap': return f.hours;
    case 'service-new': return f.amount;
    case 'service-gone': return f.previous;
    case 'new-tenant': return f.total;
    default: return new Decimal(0);
  }
}

export function rankFindings(findings: Finding[]): Finding[] {
  const detail = (f: Finding) => ('service' in f ? f.service : 'bill' in f ? f.bill : '');
  return [...findings].sort((a, b) =>
    ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || size(b).comparedTo(size(a)) || a.tenant.localeCompare(b.tenant) || detail(a).localeCompare(detail(b)));
}
