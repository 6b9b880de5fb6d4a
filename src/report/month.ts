/**
 * The month at a glance (docs/report.md), from the ledger alone: totals per tenant, service and
 * datacenter of a month and of the six before it, per currency, and what a reviewer should look at
 * (./findings.ts). Bills belong to the month, in the configured zone, in which their window starts.
 * Only committed bills count in totals; the others appear as findings.
 */
import { Decimal } from '../model/decimal.js';
import type { Bill, Ledger, StoredLine, StoredUsage } from '../ledger.js';
import { formatMonth, monthWindow, previousMonthOf, type Month } from '../period.js';
import type { BillingWindow } from '../model/types.js';
import { findingsOf, rankFindings, serviceOf } from './findings.js';
import type { MonthBills, MonthReport, PerCurrency, TotalRow } from './types.js';

/** The months before the report month that the medians and charts look at. */
export const HISTORY_MONTHS = 6;

/** What the report reads of the ledger: only its public read methods. */
export type LedgerReader = Pick<Ledger, 'bills' | 'lines' | 'usage' | 'tenants'>;

export interface ReportInput {
  ledger: LedgerReader;
  month: Month;
  timezone: string;
  changeFactor: Decimal;
  currencyDigits: number;
}

export async function monthReport(input: ReportInput): Promise<MonthReport> {
  const windows: BillingWindow[] = [];
  for (let m = input.month, i = 0; i <= HISTORY_MONTHS; i++, m = previousMonthOf(m)) windows.unshift(monthWindow(m, input.timezone));
  const months = await readMonths(input.ledger, windows);
  const current = months.at(-1)!;
  const names = new Map((await input.ledger.tenants()).flatMap((t) => (t.name ? [[t.id, t.name] as const] : [])));
  const usage = new Map<string, StoredUsage[]>();
  for (const b of current.bills) if (b.status === 'committed' || b.status === 'pending') usage.set(b.id, await input.ledger.usage(b.id));
  const tenants = rowsOf(months.map((m) => sumBy(m.committed, (b) => [[b.tenant, b.currency!, new Decimal(b.total!)]])));
  for (const row of tenants) {
    const name = names.get(row.key);
    if (name !== undefined) row.name = name;
  }
  const byLine = (key: (line: StoredLine) => string) => rowsOf(months.map((m) => sumBy(m.committed, (b) =>
    (m.lines.get(b.id) ?? []).map((line) => [key(line), b.currency!, line.amount] as const))));
  const findings = findingsOf({ months, usage, tenants, names, changeFactor: input.changeFactor });
  return {
    month: formatMonth(input.month),
    start: current.window.start,
    end: current.window.end,
    timezone: input.timezone,
    changeFactor: input.changeFactor,
    currencyDigits: input.currencyDigits,
    months: windows.map((w) => w.label),
    cloud: rowsOf(months.map((m) => sumBy(m.committed, (b) => [['cloud', b.currency!, new Decimal(b.total!)]]))),
    tenants,
    services: byLine(serviceOf),
    datacenters: byLine((line) => line.datacenter),
    findings: rankFindings(findings),
    bills: {
      committed: current.committed.length,
      pending: current.bills.filter((b) => b.status === 'pending').length,
      failed: current.bills.filter((b) => b.status === 'failed').length,
      voided: current.bills.filter((b) => b.status === 'voided').length,
    },
  };
}

/** Every bill starting in one of `windows` (consecutive months), grouped by month. */
async function readMonths(ledger: LedgerReader, windows: BillingWindow[]): Promise<MonthBills[]> {
  const all = await ledger.bills({ start: windows[0]!.start, end: windows.at(-1)!.end });
  const months: MonthBills[] = [];
  for (const window of windows) {
    const bills = all.filter((b) => b.start >= window.start && b.start < window.end);
    // A committed bill always has a total and a currency; a row without them is not counted.
    const committed = bills.filter((b) => b.status === 'committed' && b.total !== null && b.currency !== null);
    const lines = new Map<string, StoredLine[]>();
    for (const b of committed) lines.set(b.id, await ledger.lines(b.id));
    months.push({ window, bills, committed, lines });
  }
  return months;
}

type Keyed = Map<string, Map<string, Decimal>>;

/** Sums of (key, currency, amount) triples over `bills`: key → currency → sum. */
function sumBy(bills: Bill[], parts: (bill: Bill) => (readonly [string, string, Decimal])[]): Keyed {
  const sums: Keyed = new Map();
  for (const bill of bills) {
    for (const [key, currency, amount] of parts(bill)) {
      const perCurrency: PerCurrency = sums.get(key) ?? new Map();
      perCurrency.set(currency, (perCurrency.get(currency) ?? new Decimal(0)).plus(amount));
      sums.set(key, perCurrency);
    }
  }
  return sums;
}

/**
 * Rows of every (key, currency) billed this month or the month before, biggest total first:
 * a tenant that vanished keeps its row, with a total of 0.
 */
function rowsOf(months: Keyed[]): TotalRow[] {
  const last = months.length - 1;
  const rows: TotalRow[] = [];
  const seen = new Set<string>();
  for (const sums of [months[last]!, months[last - 1]!]) {
    for (const [key, perCurrency] of sums) {
      for (const currency of perCurrency.keys()) {
        if (seen.has(`${key}\0${currency}`)) continue;
        seen.add(`${key}\0${currency}`);
        const history = months.map((m) => m.get(key)?.get(currency) ?? null);
        rows.push({ key, currency, total: history[last] ?? new Decimal(0), previous: history[last - 1] ?? null, median: median(history.slice(0, last)), history });
      }
    }
  }
  return rows.sort((a, b) => a.currency.localeCompare(b.currency) || b.total.comparedTo(a.total) || a.key.localeCompare(b.key));
}

/** The median of the months that have a value (exact: the mean of the middle two is a half). */
export function median(values: (Decimal | null)[]): Decimal | null {
  const known = values.filter((v): v is Decimal => v !== null).sort((a, b) => a.comparedTo(b));
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[mid]! : known[mid - 1]!.plus(known[mid]!).dividedBy(2);
}
