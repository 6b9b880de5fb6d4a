/**
 * The SQLite ledger (docs/architecture.md, "The ledger"): which windows each tenant was billed for, the usage and lines
 * behind every bill, and a record of each command run. The overlap rule lives in the schema
 * (a trigger), so no code path — nor a hand-written INSERT — can bill a window twice.
 *
 * Decisions:
 * - Window bounds are integer epoch microseconds; every other instant is ISO-8601 UTC text.
 * - Decimals are stored as plain TEXT (`toFixed()`, never exponent notation). `Bill.total` is a
 *   string; `usage()` and `lines()` give Decimals back, so they compare with fresh UsageRecords.
 * - Only pending and committed bills hold a window; failed and voided ones are history.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { ArtificeError, LedgerError, errorMessage } from './model/errors.js';
import { formatTimestamp } from './model/time.js';
import { networkFileSystem } from './ledger/file-system.js';
import { migrate, refuseForeign } from './ledger/schema.js';
import { DEFAULT_LEASE_MS, ownerAlive } from './ledger/owner.js';
import { decimalText, toBill, toLine, toRun, toUsage } from './ledger/rows.js';
import type { BillRow, LineRow, RunRow, UsageRow } from './ledger/rows.js';
import type {
  Bill,
  BillFilter,
  ClaimResult,
  LedgerJournal,
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

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;
export { DEFAULT_LEASE_MS, currentOwner, processAlive } from './ledger/owner.js';

function describeWindow(window: Window): string {
  return `[${formatTimestamp(window.start)}, ${formatTimestamp(window.end)})`;
}

function describeBill(bill: Bill): string {
  return `${bill.id} ${describeWindow(bill)} ${bill.status}`;
}

const ORDER = 'ORDER BY tenant, start_us, created_at, rowid';

export class Ledger {
  private constructor(
    private readonly db: Database.Database,
    /** The file as given to open(), for messages. */
    readonly file: string,
    private readonly now: () => Date,
    private readonly isOwnerAlive: (owner: Owner, bill: Bill) => boolean,
    private readonly busyTimeoutMs: number,
  ) {}

  /**
   * Opens (creating file, directory and schema as needed) the ledger at `file`; `':memory:'`
   * is a private in-memory ledger. Any failure is a one-line LedgerError naming the file.
   */
  static open(file: string, options: LedgerOptions = {}): Ledger {
    const memory = file === ':memory:';
    const now = options.now ?? (() => new Date());
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const host = os.hostname();
    const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
    const journal = options.journal ?? 'wal';
    const isOwnerAlive = options.isOwnerAlive ?? ((owner: Owner, bill: Bill): boolean => ownerAlive(owner, bill, { host, now: now(), leaseMs }));

    let db: Database.Database | undefined;
    try {
      if (!memory && journal === 'wal') {
        const network = (options.networkFileSystem ?? networkFileSystem)(file);
        if (network) {
          throw new LedgerError(
            `ledger ${file} is on a network file system (${network}), where SQLite's WAL journal is unsafe (its shared memory does not ` +
              'reach other hosts): set [main] ledger_journal = delete, or put the ledger on a local disk',
          );
        }
      }
      if (!memory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
      db = new Database(file, { timeout: busyTimeoutMs });
      refuseForeign(db, file);
      if (!memory) setJournal(db, journal, busyTimeoutMs);
      db.pragma('foreign_keys = ON');
      migrate(db, file);
      return new Ledger(db, file, now, isOwnerAlive, busyTimeoutMs);
    } catch (error) {
      db?.close();
      if (error instanceof LedgerError) throw error;
      const detail = isSqliteError(error) && error.code.startsWith('SQLITE_BUSY')
        ? `another process has held the lock for over ${busyTimeoutMs} ms`
        : errorMessage(error);
      throw new LedgerError(`cannot open ledger ${file}: ${detail}`, { cause: error });
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  // ---- bills -------------------------------------------------------------------------------

  /**
   * Claims `window` of `tenant` for `owner`, in BEGIN IMMEDIATE so two runs cannot both claim.
   * A pending bill of the same runId, or of an owner that is gone, is claimed again (the latter
   * taken over: `resumed`); a new claim inserts a pending row.
   */
  claim(tenant: { id: string; name?: string }, window: Window, owner: Owner): ClaimResult {
    this.checkWindow(window);
    return this.guard('claim', () =>
      this.db
        .transaction((): ClaimResult => {
          const holding = this.select(
            `WHERE tenant = ? AND status IN ('pending', 'committed') AND start_us < ? AND ? < end_us ${ORDER}`,
            tenant.id,
            window.end,
            window.start,
          );
          const exact = holding.find((b) => b.start === window.start && b.end === window.end);
          if (!exact) {
            if (holding.length > 0) return { kind: 'overlap', bills: holding };
            return { kind: 'claimed', bill: this.insertPending(tenant, window, owner), resumed: false };
          }
          if (exact.status === 'committed') return { kind: 'committed', bill: exact };
          if (exact.owner?.runId === owner.runId) {
            return { kind: 'claimed', bill: this.takeOver(exact, owner), resumed: false };
          }
          if (exact.owner && this.isOwnerAlive(exact.owner, exact)) return { kind: 'busy', bill: exact };
          return { kind: 'claimed', bill: this.takeOver(exact, owner), resumed: true };
        })
        .immediate(),
    );
  }

  /**
   * Refreshes the lease of a pending bill. With `runId`, only while that run still owns it.
   * Returns false when the bill is no longer pending (or was taken over): stop working on it.
   */
  heartbeat(billId: string, runId?: string): boolean {
    return this.guard('heartbeat', () => {
      const result = this.db
        .prepare(
          `UPDATE bills SET heartbeat_at = ? WHERE id = ? AND status = 'pending'
           AND (? IS NULL OR json_extract(owner, '$.runId') = ?)`,
        )
        .run(this.stamp(), billId, runId ?? null, runId ?? null);
      return result.changes === 1;
    });
  }

  /** Replaces the usage and line rows of a pending bill (a resumed bill recomputes them). */
  recordUsage(billId: string, usage: UsageRecord[], lines: InvoiceLine[]): void {
    this.guard('record usage', () =>
      this.db
        .transaction(() => {
          this.requirePending(billId, 'record usage for');
          this.db.prepare('DELETE FROM usage WHERE bill_id = ?').run(billId);
          this.db.prepare('DELETE FROM lines WHERE bill_id = ?').run(billId);
          const insertUsage = this.db.prepare(
            `INSERT INTO usage (bill_id, meter, resource_id, service, datacenter, quantity, unit, samples,
               first_sample_us, last_sample_us, gaps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          for (const u of usage) {
            insertUsage.run(
              billId, u.meter, u.resourceId, u.service, u.datacenter, decimalText(u.quantity), u.unit,
              u.samples, u.firstSample, u.lastSample, JSON.stringify(u.gaps),
            );
          }
          const insertLine = this.db.prepare(
            `INSERT INTO lines (bill_id, position, datacenter, name, quantity, unit, rate, amount)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          lines.forEach((l, position) => {
            insertLine.run(
              billId, position, l.datacenter, l.name, decimalText(l.quantity), l.unit,
              decimalText(l.rate), decimalText(l.amount),
            );
          });
        })
        .immediate(),
    );
  }

  /** pending → committed, with the adapter's reference and the bill's total. */
  markCommitted(billId: string, reference: string, total: string, currency: string): Bill {
    return this.finish(billId, 'commit', (bill) =>
      this.db
        .prepare(
          `UPDATE bills SET status = 'committed', committed_at = ?, reference = ?, total = ?, currency = ?
           WHERE id = ?`,
        )
        .run(this.stamp(), reference, total, currency, bill.id),
    );
  }

  /** pending → failed: the window becomes billable again (a new claim inserts a new row). */
  markFailed(billId: string, error: string): Bill {
    return this.finish(billId, 'mark failed', (bill) =>
      this.db.prepare(`UPDATE bills SET status = 'failed', error = ? WHERE id = ?`).run(error, bill.id),
    );
  }

  /**
   * committed → voided, so the exact window can be billed again (as revision + 1). Nothing is
   * deleted: the voided bill keeps its usage and lines.
   */
  voidBill(tenantId: string, window: Window, reason: string, who: string): Bill {
    return this.guard('void', () =>
      this.db
        .transaction((): Bill => {
          const [bill] = this.select(
            `WHERE tenant = ? AND start_us = ? AND end_us = ? AND status = 'committed'`,
            tenantId,
            window.start,
            window.end,
          );
          if (!bill) {
            // "Near": overlapping the window widened by its own length on both sides.
            const span = window.end - window.start;
            const near = this.select(
              `WHERE tenant = ? AND start_us < ? AND ? < end_us ${ORDER}`,
              tenantId,
              window.end + span,
              window.start - span,
            );
            const found = near.length ? `its bills near it: ${near.map(describeBill).join('; ')}` : 'it has no bills near it';
            throw new LedgerError(
              `no committed bill for tenant ${tenantId} in ${describeWindow(window)} to void; ${found}`,
            );
          }
          this.db
            .prepare(`UPDATE bills SET status = 'voided', void_reason = ?, voided_by = ?, voided_at = ? WHERE id = ?`)
            .run(reason, who, this.stamp(), bill.id);
          return this.requireBill(bill.id);
        })
        .immediate(),
    );
  }

  /** Bills, ordered by tenant, start and creation. */
  bills(filter: BillFilter = {}): Bill[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    if (filter.end !== undefined) {
      where.push('start_us < ?');
      params.push(filter.end);
    }
    if (filter.start !== undefined) {
      where.push('? < end_us');
      params.push(filter.start);
    }
    if (filter.status !== undefined) {
      where.push(`status IN (${filter.status.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...filter.status);
    }
    return this.guard('read bills', () =>
      this.select(`${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${ORDER}`, ...params),
    );
  }

  bill(id: string): Bill | undefined {
    return this.guard('read bill', () => this.select('WHERE id = ?', id)[0]);
  }

  pendingBills(): Bill[] {
    return this.bills({ status: ['pending'] });
  }

  /** Every tenant that has any bill row, with the name of its latest bill that had one. */
  tenants(): TenantSeen[] {
    return this.guard('read tenants', () =>
      this.db
        .prepare(
          `SELECT tenant AS id,
             (SELECT tenant_name FROM bills n WHERE n.tenant = b.tenant AND n.tenant_name IS NOT NULL
              ORDER BY n.created_at DESC, n.rowid DESC LIMIT 1) AS name
           FROM bills b GROUP BY tenant ORDER BY tenant`,
        )
        .all() as TenantSeen[],
    );
  }

  /** The committed window of `tenant` that ends last, or null when none is committed. */
  lastBilledWindow(tenant: string): Window | null {
    return this.guard('read bills', () => {
      const row = this.db
        .prepare(
          `SELECT start_us AS start, end_us AS "end" FROM bills WHERE tenant = ? AND status = 'committed'
           ORDER BY end_us DESC LIMIT 1`,
        )
        .get(tenant) as Window | undefined;
      return row ?? null;
    });
  }

  usage(billId: string): StoredUsage[] {
    return this.guard('read usage', () =>
      (this.db.prepare('SELECT * FROM usage WHERE bill_id = ? ORDER BY rowid').all(billId) as UsageRow[]).map(toUsage),
    );
  }

  lines(billId: string): StoredLine[] {
    return this.guard('read lines', () =>
      (this.db.prepare('SELECT * FROM lines WHERE bill_id = ? ORDER BY position').all(billId) as LineRow[]).map(toLine),
    );
  }

  // ---- runs --------------------------------------------------------------------------------

  /** Records the start of a command run (status `running`) by process `by` and returns its id. */
  startRun(command: string, args: string[], by: { host: string; pid: number }): string {
    const id = randomUUID();
    this.guard('start run', () =>
      this.db
        .prepare(
          `INSERT INTO runs (id, command, args, host, pid, started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running')`,
        )
        .run(id, command, JSON.stringify(args), by.host, by.pid, this.stamp()),
    );
    return id;
  }

  /** running → ok | failed | partial, with a JSON summary and the per-tenant errors. */
  finishRun(runId: string, result: RunResult): Run {
    return this.guard('finish run', () => {
      const changed = this.db
        .prepare(
          `UPDATE runs SET finished_at = ?, status = ?, summary = ?, errors = ? WHERE id = ? AND status = 'running'`,
        )
        .run(this.stamp(), result.status, JSON.stringify(result.summary ?? null), JSON.stringify(result.errors), runId);
      const run = this.run(runId);
      if (!run) throw new LedgerError(`cannot finish run ${runId}: no such run in ledger ${this.file}`);
      if (changed.changes !== 1) throw new LedgerError(`cannot finish run ${runId}: it is already ${run.status}`);
      return run;
    });
  }

  run(runId: string): Run | undefined {
    return this.guard('read run', () => {
      const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
      return row && toRun(row);
    });
  }

  /** The most recently started run (possibly still running), if any. */
  lastRun(): Run | undefined {
    return this.runs(1)[0];
  }

  /** The latest `limit` runs, newest first. */
  runs(limit = 20): Run[] {
    return this.guard('read runs', () =>
      (this.db.prepare('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit) as RunRow[]).map(
        toRun,
      ),
    );
  }

  // ---- internals ---------------------------------------------------------------------------

  private stamp(): string {
    return this.now().toISOString();
  }

  private select(clause: string, ...params: unknown[]): Bill[] {
    return (this.db.prepare(`SELECT * FROM bills ${clause}`).all(...params) as BillRow[]).map(toBill);
  }

  private requireBill(id: string): Bill {
    const bill = this.select('WHERE id = ?', id)[0];
    if (!bill) throw new LedgerError(`no bill ${id} in ledger ${this.file}`);
    return bill;
  }

  private requirePending(id: string, what: string): Bill {
    const bill = this.requireBill(id);
    if (bill.status !== 'pending') {
      throw new LedgerError(
        `cannot ${what} bill ${bill.id} of tenant ${bill.tenant} ${describeWindow(bill)}: it is ${bill.status}, not pending`,
      );
    }
    return bill;
  }

  private finish(billId: string, what: string, update: (bill: Bill) => unknown): Bill {
    return this.guard(what, () =>
      this.db
        .transaction((): Bill => {
          update(this.requirePending(billId, what));
          return this.requireBill(billId);
        })
        .immediate(),
    );
  }

  private insertPending(tenant: { id: string; name?: string }, window: Window, owner: Owner): Bill {
    const id = randomUUID();
    const at = this.stamp();
    this.db
      .prepare(
        `INSERT INTO bills (id, tenant, tenant_name, start_us, end_us, status, revision, owner, claimed_at,
           heartbeat_at, created_at)
         VALUES (?, ?, ?, ?, ?, 'pending',
           1 + (SELECT count(*) FROM bills WHERE tenant = ? AND start_us = ? AND end_us = ? AND status = 'voided'),
           ?, ?, ?, ?)`,
      )
      .run(
        id, tenant.id, tenant.name ?? null, window.start, window.end,
        tenant.id, window.start, window.end,
        JSON.stringify(owner), at, at, at,
      );
    return this.requireBill(id);
  }

  /** Hands a pending bill to `owner`; claimed_at is when the current owner got it. */
  private takeOver(bill: Bill, owner: Owner): Bill {
    const at = this.stamp();
    const sameRun = bill.owner?.runId === owner.runId;
    this.db
      .prepare('UPDATE bills SET owner = ?, claimed_at = ?, heartbeat_at = ? WHERE id = ?')
      .run(JSON.stringify(owner), sameRun && bill.claimedAt ? bill.claimedAt : at, at, bill.id);
    return this.requireBill(bill.id);
  }

  private checkWindow(window: Window): void {
    if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.start >= window.end) {
      throw new LedgerError(`invalid billing window ${window.start}..${window.end}: need integer microseconds with start < end`);
    }
  }

  /** SQLite failures (busy past the timeout, a full disk, a trigger) as one-line LedgerErrors. */
  private guard<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      if (error instanceof ArtificeError) throw error;
      // By its code, not `instanceof`: errors from the native addon may come from another realm
      // (Jest's VM modules), where neither SqliteError nor Error is the class this module sees.
      if (isSqliteError(error)) {
        const detail = error.code.startsWith('SQLITE_BUSY')
          ? `another process has held the lock for over ${this.busyTimeoutMs} ms`
          : `${error.message} (${error.code})`;
        throw new LedgerError(`ledger ${this.file}: cannot ${what}: ${detail}`, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * `PRAGMA journal_mode`, retried while another connection holds a lock, up to the busy timeout.
 * Converting a file reads its header and then writes it; when another connection is writing (two
 * runs creating one ledger at once), SQLite answers SQLITE_BUSY at once, without the busy
 * handler, because waiting while holding the read lock could deadlock.
 */
function setJournal(db: Database.Database, journal: LedgerJournal, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 5; ; delayMs = Math.min(delayMs * 2, 100)) {
    try {
      const mode = db.pragma(`journal_mode = ${journal === 'wal' ? 'WAL' : 'DELETE'}`, { simple: true });
      if (mode !== journal) throw new LedgerError(`the journal mode stays ${String(mode)}: SQLite could not switch it to ${journal}`);
      return;
    } catch (error) {
      if (!isSqliteError(error) || !error.code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delayMs);
    }
  }
}

function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof error === 'object' && typeof code === 'string' && code.startsWith('SQLITE_');
}
