/**
 * Settled months not billed, per tenant the ledger knows: the rule of src/billing/health.ts's module
 * comment (from the month of a tenant's first bill, at most LOOK_BACK_MONTHS back, through the
 * last settled month).
 */
import type { Bill, Ledger } from '../ledger.js';
import { ownerAlive } from '../ledger/owner.js';
import { hostPid } from '../model/owner.js';
import { formatTimestamp, fromDate, toDate, US_PER_HOUR } from '../model/time.js';
import type { BillingWindow } from '../model/types.js';
import { monthOf, monthWindow, nextMonth, previousMonthOf, type Month } from '../period.js';
import type { HealthContext, RunSummary } from './context.js';

export const LOOK_BACK_MONTHS = 24;

export interface Unbilled {
  tenant: string;
  tenant_name: string | null;
  month: string;
  start: string;
  end: string;
  why: string;
}

/** `now − hours` as a Date. */
export function minusHours(now: Date, hours: number): Date {
  return toDate(fromDate(now) - Math.round(hours * US_PER_HOUR));
}

/** The latest month whose end is at least `hours` before now. */
export function lastMonthEndedBy(now: Date, hours: number, timeZone: string): Month {
  return previousMonthOf(monthOf(minusHours(now, hours), timeZone));
}

function isSummary(value: unknown): value is RunSummary {
  return typeof value === 'object' && value !== null && 'window' in value && 'complete' in value;
}

/** [start, end) of windows fully covered by `bills`' windows? */
function covers(bills: Bill[], start: number, end: number): 'full' | 'part' | 'none' {
  const spans = bills.filter((b) => b.start < end && start < b.end).sort((a, b) => a.start - b.start);
  if (spans.length === 0) return 'none';
  let at = start;
  for (const span of spans) {
    if (span.start > at) return 'part';
    at = Math.max(at, span.end);
    if (at >= end) return 'full';
  }
  return 'part';
}

/** `start/end` of the windows of `bill --all` runs that ran to their end. */
async function completeAllRuns(ledger: Ledger): Promise<Set<string>> {
  const complete = new Set<string>();
  for (const run of await ledger.runs(100_000)) {
    if (run.command === 'bill' && isSummary(run.summary) && run.summary.all && run.summary.complete) {
      complete.add(`${run.summary.window.start}/${run.summary.window.end}`);
    }
  }
  return complete;
}

async function billsByTenant(ledger: Ledger): Promise<Map<string, Bill[]>> {
  const byTenant = new Map<string, Bill[]>();
  for (const bill of await ledger.bills()) {
    let list = byTenant.get(bill.tenant);
    if (!list) byTenant.set(bill.tenant, (list = []));
    list.push(bill);
  }
  return byTenant;
}

/** What unbilledMonths looks at for every month of every tenant. */
interface MonthCheck {
  ctx: HealthContext;
  /** End of the last overdue month. */
  overdueEnd: number;
  completeAll: Set<string>;
}

/** Why month `w` of a tenant with these bills is reported unbilled; undefined when it is not (see the module comment). */
function whyUnbilled(bills: Bill[], committed: Bill[], w: BillingWindow, check: MonthCheck): string | undefined {
  const coverage = covers(committed, w.start, w.end);
  if (coverage === 'full') return undefined;
  const attempts = bills
    .filter((b) => b.status !== 'committed' && b.start < w.end && w.start < b.end)
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
  const latest = attempts[attempts.length - 1];
  if (latest?.status === 'pending') {
    if (ownerAlive(latest.owner, latest, check.ctx)) return undefined; // being billed right now
    return `pending, its run is gone (${latest.owner ? hostPid(latest.owner) : 'no owner'}): the next bill run resumes it`;
  }
  if (latest?.status === 'failed') return `failed: ${latest.error ?? 'no reason recorded'}`;
  if (latest?.status === 'voided') return `voided (${latest.voidReason ?? ''}) and not billed again`;
  if (coverage === 'part') return 'partly billed: committed bills cover only part of the month';
  if (w.end <= check.overdueEnd && !check.completeAll.has(`${formatTimestamp(w.start)}/${formatTimestamp(w.end)}`)) {
    return `not billed, and no \`bill --all\` run for ${w.label} ran to its end (missed or crashed run?)`;
  }
  return undefined;
}

export async function unbilledMonths(ledger: Ledger, ctx: HealthContext): Promise<{ unbilled: Unbilled[]; from: Month | null; through: Month }> {
  const { config } = ctx;
  const tz = config.main.timezone;
  const through = lastMonthEndedBy(ctx.now, config.main.settleHours, tz);
  const lastOverdue = lastMonthEndedBy(ctx.now, config.main.settleHours + config.main.graceHours, tz);
  let floor = through;
  for (let i = 1; i < LOOK_BACK_MONTHS; i++) floor = previousMonthOf(floor);
  const floorStart = monthWindow(floor, tz).start;
  const throughEnd = monthWindow(through, tz).end;
  const check: MonthCheck = { ctx, overdueEnd: monthWindow(lastOverdue, tz).end, completeAll: await completeAllRuns(ledger) };
  const byTenant = await billsByTenant(ledger);

  const unbilled: Unbilled[] = [];
  let earliest: Month | null = null;
  for (const tenant of await ledger.tenants()) {
    const bills = byTenant.get(tenant.id) ?? [];
    if (bills.length === 0) continue;
    const first = Math.max(Math.min(...bills.map((b) => b.start)), floorStart);
    if (first >= throughEnd) continue;
    let month = monthOf(toDate(first), tz);
    if (!earliest || monthWindow(month, tz).start < monthWindow(earliest, tz).start) earliest = month;
    const committed = bills.filter((b) => b.status === 'committed');
    for (; monthWindow(month, tz).start < throughEnd; month = nextMonth(month)) {
      const w = monthWindow(month, tz);
      const why = whyUnbilled(bills, committed, w, check);
      if (why) {
        unbilled.push({
          tenant: tenant.id, tenant_name: tenant.name, month: w.label, start: formatTimestamp(w.start), end: formatTimestamp(w.end), why,
        });
      }
    }
  }
  return { unbilled, from: earliest, through };
}
