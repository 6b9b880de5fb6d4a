/**
 * How one tenant's bill ended (docs/architecture.md, "The ledger"): a discriminated union on
 * `status`, so a failure always has its error, a skip its reason, and only a `busy` skip names
 * who holds the window. A leaf: it imports only src/model/.
 */
import type { Decimal } from './decimal.js';
import { EXIT } from './errors.js';
import type { RunIdentity } from './owner.js';
import type { BillingWindow, InvoiceLine, Tenant, UsageRecord } from './types.js';

/** What every outcome carries: the tenant, the window, and what was measured and priced before it ended. */
export interface OutcomeBase {
  tenant: Tenant;
  window: BillingWindow;
  currency: string;
  total: Decimal | null;
  invoice: string | null;
  lines: InvoiceLine[];
  usage: UsageRecord[];
  billId: string | null;
  /** Services billed at 0 because they have no price (allow_unpriced). */
  unpriced: string[];
  dropped: { untrusted: number; duplicates: number };
  /** The claim was taken over from a run that is gone (a crashed run's bill, resumed). */
  resumed: boolean;
  /** A resumed bill committed with the usage and lines recorded before it was stopped (not measured again). */
  asRecorded: boolean;
  /** How long this tenant took, by the context's clock (set by the batch). */
  ms?: number;
}

/** Billed now; `invoice` is the adapter's reference. */
export interface Committed extends OutcomeBase {
  status: 'committed';
}

/** Nothing used: the window is recorded as billed, with no invoice. */
export interface Empty extends OutcomeBase {
  status: 'empty';
}

/** Measured and priced, nothing written (`usage`, `--dry-run`). */
export interface Preview extends OutcomeBase {
  status: 'preview';
}

export interface Failed extends OutcomeBase {
  status: 'failed';
  error: string;
}

/** Why a window was skipped: already billed, or not billable now (exit 3). */
export type SkipReason = 'billed' | 'open' | 'busy' | 'overlap';

/** Already billed (`billed`), not settled yet (`open`), or overlapping other bills (`overlap`). */
export interface Skipped extends OutcomeBase {
  status: 'skipped';
  skip: Exclude<SkipReason, 'busy'>;
  reason: string;
}

/** Another run holds the window. */
export interface Busy extends OutcomeBase {
  status: 'skipped';
  skip: 'busy';
  reason: string;
  /** Who holds the window, when the ledger says. */
  heldBy: RunIdentity | null;
}

export type Outcome = Committed | Empty | Preview | Failed | Skipped | Busy;
export type OutcomeStatus = Outcome['status'];

/** A bill of this window is committed in the ledger: billed now, billed empty, or billed before. */
export function holdsBill(o: Outcome): boolean {
  return o.status === 'committed' || o.status === 'empty' || (o.status === 'skipped' && o.skip === 'billed');
}

/** The one text a table shows for an outcome: its error, else why it was skipped, else its invoice. */
export function outcomeNote(o: Outcome): string {
  if (o.status === 'failed') return o.error;
  if (o.status === 'skipped') return o.reason;
  return o.invoice ?? '';
}

/** README "Exit codes": 1 if any tenant failed; 3 if nothing could be billed (all skipped); else 0. */
export function outcomesExitCode(outcomes: readonly Outcome[]): number {
  if (outcomes.some((o) => o.status === 'failed')) return EXIT.someFailed;
  if (outcomes.length > 0 && outcomes.every((o) => o.status === 'skipped')) return EXIT.notBillable;
  return EXIT.ok;
}
