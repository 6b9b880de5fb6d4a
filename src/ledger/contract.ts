/**
 * The ledger's contract (docs/ledger.md): what every backend — SQLite (src/ledger/sqlite-ledger.ts,
 * the embedded default) and PostgreSQL (src/ledger/postgres/, several hosts) — does, with the same
 * guarantees. Asynchronous because PostgreSQL is a server; SQLite answers at once.
 */
import type { InvoiceLine, UsageRecord } from '../model/types.js';
import type {
  Bill,
  BillFilter,
  ClaimResult,
  Owner,
  Run,
  RunResult,
  StoredLine,
  StoredUsage,
  TenantSeen,
  Window,
} from './types.js';

export type LedgerBackend = 'sqlite' | 'postgresql';

/** What `artifice check` says of a ledger: its backend, the server's version, schema and overlap rule. */
export interface LedgerInfo {
  backend: LedgerBackend;
  /** SQLite's library version, or the PostgreSQL server's. */
  version: string;
  /** The migration level the database is at (SCHEMA_VERSION once opened). */
  schema: number;
  /** What refuses overlapping windows, as found in the database; null when it is missing. */
  overlapRule: string | null;
}

export interface Ledger {
  readonly backend: LedgerBackend;
  /** The SQLite file as given, or the PostgreSQL URL without its password: for messages. */
  readonly file: string;
  close(): Promise<void>;
  info(): Promise<LedgerInfo>;

  /**
   * Claims `window` of `tenant` for `owner` in one short transaction: a new pending bill, or a
   * pending bill of the same run or of an owner that is gone (taken over: resumed).
   */
  claim(tenant: { id: string; name?: string }, window: Window, owner: Owner): Promise<ClaimResult>;
  /** Refreshes the lease of a pending bill; false when it is no longer this run's to work on. */
  heartbeat(billId: string, runId?: string): Promise<boolean>;
  /**
   * Replaces the usage and line rows of a pending bill (a resumed bill recomputes them). With
   * `runId` (as for heartbeat), these three refuse a bill that run no longer owns (taken over).
   */
  recordUsage(billId: string, usage: UsageRecord[], lines: InvoiceLine[], runId?: string): Promise<void>;
  /** pending → committed, with the adapter's reference and the bill's total. */
  markCommitted(billId: string, reference: string, total: string, currency: string, runId?: string): Promise<Bill>;
  /** pending → failed: the window becomes billable again (a new claim inserts a new row). */
  markFailed(billId: string, error: string, runId?: string): Promise<Bill>;
  /** committed → voided, so the exact window can be billed again (as revision + 1). */
  voidBill(tenantId: string, window: Window, reason: string, who: string): Promise<Bill>;

  /** Bills, ordered by tenant, start and creation. */
  bills(filter?: BillFilter): Promise<Bill[]>;
  bill(id: string): Promise<Bill | undefined>;
  pendingBills(): Promise<Bill[]>;
  /** Every tenant that has any bill row, with the name of its latest bill that had one. */
  tenants(): Promise<TenantSeen[]>;
  /** The committed window of `tenant` that ends last, or null when none is committed. */
  lastBilledWindow(tenant: string): Promise<Window | null>;
  usage(billId: string): Promise<StoredUsage[]>;
  lines(billId: string): Promise<StoredLine[]>;

  /** Records the start of a command run (status `running`) by process `by` and returns its id. */
  startRun(command: string, args: string[], by: { host: string; pid: number }): Promise<string>;
  /** running → ok | failed | partial, with a JSON summary and the per-tenant errors. */
  finishRun(runId: string, result: RunResult): Promise<Run>;
  run(runId: string): Promise<Run | undefined>;
  /** The most recently started run (possibly still running), if any. */
  lastRun(): Promise<Run | undefined>;
  /** The latest `limit` runs, newest first. */
  runs(limit?: number): Promise<Run[]>;
}
