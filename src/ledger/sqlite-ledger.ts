/**
 * The SQLite ledger: one file, the embedded default (docs/ledger.md). Its methods are the ledger
 * contract's (./contract.ts); the work lives beside it: open.ts (file, journal, schema), claims.ts
 * (claims and leases), bills.ts (usage, commit, fail, void), queries.ts (reading bills), runs.ts.
 * better-sqlite3 answers synchronously, so each method does its work at once and returns a
 * settled promise: SQLite pays nothing for the contract being asynchronous.
 */
import os from 'node:os';
import type Database from 'better-sqlite3';
import { DEFAULT_LEASE_MS, ownerAlive } from './owner.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openDatabase } from './open.js';
import { claim, heartbeat, type OwnerAlive } from './claims.js';
import { markCommitted, markFailed, recordUsage, voidBill } from './bills.js';
import { lastBilledWindow, select, selectBills, selectLines, selectTenants, selectUsage } from './queries.js';
import { finishRun, selectRun, selectRuns, startRun } from './runs.js';
import { guard, statementCache, type Store } from './sqlite.js';
import type { Ledger, LedgerInfo } from './contract.js';
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
} from './types.js';
import type { InvoiceLine, UsageRecord } from '../model/types.js';

export class SqliteLedger implements Ledger {
  readonly backend = 'sqlite' as const;
  private readonly store: Store;

  private constructor(
    private readonly db: Database.Database,
    /** The file as given to open(), for messages. */
    readonly file: string,
    now: () => Date,
    private readonly isOwnerAlive: OwnerAlive,
    private readonly busyTimeoutMs: number,
  ) {
    this.store = { db, file, stamp: () => now().toISOString(), statement: statementCache(db) };
  }

  /**
   * Opens (creating file, directory and schema as needed) the ledger at `file`; `':memory:'`
   * is a private in-memory ledger. Any failure is a one-line LedgerError naming the file.
   */
  static open(file: string, options: LedgerOptions = {}): SqliteLedger {
    const now = options.now ?? (() => new Date());
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const host = os.hostname();
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const isOwnerAlive = options.isOwnerAlive ?? ((owner: Owner, bill: Bill): boolean => ownerAlive(owner, bill, { host, now: now(), leaseMs }));
    const db = openDatabase(file, options, busyTimeoutMs);
    return new SqliteLedger(db, file, now, isOwnerAlive, busyTimeoutMs);
  }

  /** The connection, for `ledger copy` (src/ledger/copy.ts), which reads every table as stored. */
  get database(): Database.Database {
    return this.db;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  async info(): Promise<LedgerInfo> {
    return this.guard('read the schema', () => {
      const triggers = this.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'bills_no_overlap_%' ORDER BY name`).pluck().all() as string[];
      return {
        backend: this.backend,
        version: this.db.prepare('SELECT sqlite_version()').pluck().get() as string,
        schema: this.db.pragma('user_version', { simple: true }) as number,
        overlapRule: triggers.length === 2 ? `triggers ${triggers.join(', ')}` : null,
      };
    });
  }

  async claim(tenant: { id: string; name?: string }, window: Window, owner: Owner): Promise<ClaimResult> {
    return this.guard('claim', () => claim(this.store, this.isOwnerAlive, tenant, window, owner));
  }

  async heartbeat(billId: string, runId?: string): Promise<boolean> {
    return this.guard('heartbeat', () => heartbeat(this.store, billId, runId));
  }

  async recordUsage(billId: string, usage: UsageRecord[], lines: InvoiceLine[], runId?: string): Promise<void> {
    this.guard('record usage', () => recordUsage(this.store, billId, usage, lines, runId));
  }

  async markCommitted(billId: string, reference: string, total: string, currency: string, runId?: string): Promise<Bill> {
    return this.guard('commit', () => markCommitted(this.store, billId, reference, total, currency, runId));
  }

  async markFailed(billId: string, error: string, runId?: string): Promise<Bill> {
    return this.guard('mark failed', () => markFailed(this.store, billId, error, runId));
  }

  async voidBill(tenantId: string, window: Window, reason: string, who: string): Promise<Bill> {
    return this.guard('void', () => voidBill(this.store, tenantId, window, reason, who));
  }

  async bills(filter: BillFilter = {}): Promise<Bill[]> {
    return this.guard('read bills', () => selectBills(this.store, filter));
  }

  async bill(id: string): Promise<Bill | undefined> {
    return this.guard('read bill', () => select(this.store, 'WHERE id = ?', id)[0]);
  }

  async pendingBills(): Promise<Bill[]> {
    return this.bills({ status: ['pending'] });
  }

  async tenants(): Promise<TenantSeen[]> {
    return this.guard('read tenants', () => selectTenants(this.store));
  }

  async lastBilledWindow(tenant: string): Promise<Window | null> {
    return this.guard('read bills', () => lastBilledWindow(this.store, tenant));
  }

  async usage(billId: string): Promise<StoredUsage[]> {
    return this.guard('read usage', () => selectUsage(this.store, billId));
  }

  async lines(billId: string): Promise<StoredLine[]> {
    return this.guard('read lines', () => selectLines(this.store, billId));
  }

  async startRun(command: string, args: string[], by: { host: string; pid: number }): Promise<string> {
    return this.guard('start run', () => startRun(this.store, command, args, by));
  }

  async finishRun(runId: string, result: RunResult): Promise<Run> {
    return this.guard('finish run', () => finishRun(this.store, runId, result));
  }

  async run(runId: string): Promise<Run | undefined> {
    return this.guard('read run', () => selectRun(this.store, runId));
  }

  async lastRun(): Promise<Run | undefined> {
    return (await this.runs(1))[0];
  }

  async runs(limit = 20): Promise<Run[]> {
    return this.guard('read runs', () => selectRuns(this.store, limit));
  }

  private guard<T>(what: string, fn: () => T): T {
    return guard(this.file, this.busyTimeoutMs, what, fn);
  }
}
