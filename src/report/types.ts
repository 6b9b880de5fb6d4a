/** The month report's data (docs/report.md): what src/report/ computes and src/view/month-report*.ts render. */
import type { Bill, StoredLine } from '../ledger.js';
import type { Decimal } from '../model/decimal.js';
import type { Micros } from '../model/time.js';
import type { BillingWindow } from '../model/types.js';

/** Bills of one month of the history (those whose window starts in it), with the lines of its committed bills. */
export interface MonthBills {
  window: BillingWindow;
  bills: Bill[];
  committed: Bill[];
  lines: Map<string, StoredLine[]>;
}

/** Sums per currency (a ledger may hold bills in several). */
export type PerCurrency = Map<string, Decimal>;

/** One row of a total over the months: a tenant, a service, a datacenter or the cloud, in one currency. */
export interface TotalRow {
  /** The tenant id, service name or datacenter; `cloud` for the whole. */
  key: string;
  /** The tenant's latest name, when it is a tenant and the ledger knows one. */
  name?: string;
  currency: string;
  /** This month's total (0 when nothing was billed). */
  total: Decimal;
  /** The previous month's, or null when nothing was billed then. */
  previous: Decimal | null;
  /** The median of the (up to) six months before this one that have bills, or null when none has. */
  median: Decimal | null;
  /** Totals of every month of `MonthReport.months`, oldest first; null where nothing was billed. */
  history: (Decimal | null)[];
}

export interface BillRef {
  bill: string;
  tenant: string;
  name?: string;
  start: Micros;
  end: Micros;
}

export interface GapResource {
  resource: string;
  meter: string;
  hours: Decimal;
}

/** Something a reviewer should look at before invoices go out, ranked by `rankFindings`. */
export type Finding =
  | (BillRef & { kind: 'failed'; error: string })
  | (BillRef & { kind: 'pending'; since: string | null })
  | { kind: 'missing'; tenant: string; name?: string; currency: string; previous: Decimal }
  | { kind: 'changed'; tenant: string; name?: string; currency: string; previous: Decimal; total: Decimal; factor: Decimal | null }
  | (BillRef & { kind: 'gap'; hours: Decimal; resources: GapResource[] })
  | { kind: 'service-new'; tenant: string; name?: string; service: string; currency: string; amount: Decimal }
  | { kind: 'service-gone'; tenant: string; name?: string; service: string; currency: string; previous: Decimal }
  | (BillRef & { kind: 'voided'; reason: string; rebilled: boolean })
  | { kind: 'new-tenant'; tenant: string; name?: string; currency: string; total: Decimal };

export type FindingKind = Finding['kind'];

export interface BillCounts {
  committed: number;
  pending: number;
  failed: number;
  voided: number;
}

export interface MonthReport {
  /** `YYYY-MM` in `timezone`, and its window. */
  month: string;
  start: Micros;
  end: Micros;
  timezone: string;
  changeFactor: Decimal;
  currencyDigits: number;
  /** The months of the histories, oldest first; the last is `month`. */
  months: string[];
  cloud: TotalRow[];
  tenants: TotalRow[];
  services: TotalRow[];
  datacenters: TotalRow[];
  findings: Finding[];
  bills: BillCounts;
}
