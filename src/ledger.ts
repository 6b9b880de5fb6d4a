/**
 * The SQLite ledger (docs/architecture.md, "The ledger"; docs/ledger.md): which windows each
 * tenant was billed for, the usage and lines behind every bill, and a record of each command run.
 * The overlap rule lives in the schema (a trigger), so no code path — nor a hand-written INSERT —
 * can bill a window twice.
 *
 * This file is the entry: the Ledger class and what callers import. The work lives in
 * src/ledger/: open.ts (file, journal, schema), claims.ts (claims and leases), bills.ts (usage,
 * commit, fail, void), queries.ts (reading bills), runs.ts (the runs table), integrity.ts and
 * backup.ts (a damaged ledger, backups).
 *
 * Decisions:
 * - Window bounds are integer epoch microseconds; every other instant is ISO-8601 UTC text.
 * - Decimals are stored as plain TEXT (`toFixed()`, never exponent notation). `Bill.total` is a
 *   string; `usage()` and `lines()` give Decimals back, so they compare with fresh UsageRecords.
 * - Only pending and committed bills hold a window; failed and voided ones are history.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { DEFAULT_LEASE_MS, ownerAlive } from './ledger/owner.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from './ledger/open.js';
import { claim, heartbeat, type OwnerAlive } from './ledger/claims.js';
import { markCommitted, markFailed, recordUsage, voidBill } from './ledger/bills.js';
import { lastBilledWindow, select, selectBills, selectLines, selectTenants, selectUsage } from './ledger/queries.js';
import { finishRun, selectRun, selectRuns, startRun } from './ledger/runs.js';
import { guard, type Store } from './ledger/sqlite.js';
import type {
  Bill,
  BillFilter,
  ClaimResult,
  LedgerOptions,
  Owner,
  Run,
  RunResult,
  StoredLine,
  StoredUsage,
  TenantSeen,
  Window,
} from './ledger/types.js';
import type { InvoiceLine, UsageRecord } from './model/types.js';

export type * from './ledger/types.js';
export { MIGRATIONS, SCHEMA_VERSION } from './ledger/schema.js';
export { DEFAULT_BUSY_TIMEOUT_MS } from './ledger/open.js';
export { DEFAULT_LEASE_MS, currentOwner, processAlive } from './ledger/owner.js';
export { LedgerDamagedError } from './ledger/sqlite.js';
export { checkLedger } from './ledger/integrity.js';
export { backupLedger, type BackupOptions, type BackupResult } from './ledger/backup.js';

export class Ledger {
  private readonly store: Store;

  private constructor(
    private readonly db: Database.Database,
    /** The file as given to open(), for messages. */
    readonly file: string,
    now: () => Date,
    private readonly isOwnerAlive: OwnerAlive,
    private readonly busyTimeoutMs: number,
  ) {
    this.store = { db, file, stamp: () => now().toISOString() };
  }

  /**
   * Opens (creating file, directory and schema as needed) the ledger at `file`; `':memory:'`
   * is a private in-memory ledger. Any failure is a one-line LedgerError naming the file.
   */
  static open(file: string, options: LedgerOptions = {}): Ledger {
    const now = options.now ?? (() => new Date());
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const host = os.hostname();
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const isOwnerAlive = options.isOwnerAlive ?? ((owner: Owner, bill: Bill): boolean => ownerAlive(owner, bill, { host, now: now(), leaseMs }));
    const db = openDatabase(file, options, busyTimeoutMs);
    return new Ledger(db, file, now, isOwnerAlive, busyTimeoutMs);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- bills (src/ledger/claims.ts, src/ledger/bills.ts) ---------------------------------------

  /** Claims `window` of `tenant` for `owner` (src/ledger/claims.ts). */
  claim(tenant: { id: string; name?: string }, window: Window, owner: Owner): ClaimResult {
    return this.guard('claim', () => claim(this.store, this.isOwnerAlive, tenant, window, owner));
  }

  /** Refreshes the lease of a pending bill; false when it is no longer this run's to work on. */
  heartbeat(billId: string, runId?: string): boolean {
    return this.guard('heartbeat', () => heartbeat(this.store, billId, runId));
  }

  /** Replaces the usage and line rows of a pending bill (a resumed bill recomputes them). */
  recordUsage(billId: string, usage: UsageRecord[], lines: InvoiceLine[]): void {
    this.guard('record usage', () => recordUsage(this.store, billId, usage, lines));
  }

  /** pending → committed, with the adapter's reference and the bill's total. */
  markCommitted(billId: string, reference: string, total: string, currency: string): Bill {
    return this.guard('commit', () => markCommitted(this.store, billId, reference, total, currency));
  }

  /** pending → failed: the window becomes billable again (a new claim inserts a new row). */
  markFailed(billId: string, error: string): Bill {
    return this.guard('mark failed', () => markFailed(this.store, billId, error));
  }

  /** committed → voided, so the exact window can be billed again (as revision + 1). */
  voidBill(tenantId: string, window: Window, reason: string, who: string): Bill {
    return this.guard('void', () => voidBill(this.store, tenantId, window, reason, who));
  }

  // ---- queries (src/ledger/queries.ts) ---------------------------------------------------------

  /** Bills, ordered by tenant, start and creation. */
  bills(filter: BillFilter = {}): Bill[] {
    return this.guard('read bills', () => selectBills(this.store, filter));
  }

  bill(id: string): Bill | undefined {
    return this.guard('read bill', () => select(this.store, 'WHERE id = ?', id)[0]);
  }

  pendingBills(): Bill[] {
    return this.bills({ status: ['pending'] });
  }

  /** Every tenant that has any bill row, with the name of its latest bill that had one. */
  tenants(): TenantSeen[] {
    return this.guard('read tenants', () => selectTenants(this.store));
  }

  /** The committed window of `tenant` that ends last, or null when none is committed. */
  lastBilledWindow(tenant: string): Window | null {
    return this.guard('read bills', () => lastBilledWindow(this.store, tenant));
  }

  usage(billId: string): StoredUsage[] {
    return this.guard('read usage', () => selectUsage(this.store, billId));
  }

  lines(billId: string): StoredLine[] {
    return this.guard('read lines', () => selectLines(this.store, billId));
  }

  // ---- runs (src/ledger/runs.ts) ---------------------------------------------------------------

  /** Records the start of a command run (status `running`) by process `by` and returns its id. */
  startRun(command: string, args: string[], by: { host: string; pid: number }): string {
    return this.guard('start run', () => startRun(this.store, command, args, by));
  }

  /** running → ok | failed | partial, with a JSON summary and the per-tenant errors. */
  finishRun(runId: string, result: RunResult): Run {
    return this.guard('finish run', () => finishRun(this.store, runId, result));
  }

  run(runId: string): Run | undefined {
    return this.guard('read run', () => selectRun(this.store, runId));
  }

  /** The most recently started run (possibly still running), if any. */
  lastRun(): Run | undefined {
    return this.runs(1)[0];
  }

  /** The latest `limit` runs, newest first. */
  runs(limit = 20): Run[] {
    return this.guard('read runs', () => selectRuns(this.store, limit));
  }

  private guard<T>(what: string, fn: () => T): T {
    return guard(this.file, this.busyTimeoutMs, what, fn);
  }
}
