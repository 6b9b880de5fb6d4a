/**
 * The PostgreSQL ledger (docs/ledger.md, "PostgreSQL"): one database shared by any number of
 * billing hosts, with the guarantees of the SQLite ledger. The schema and its migrations are in
 * ./schema.ts, claims and bills in ./bills.ts, the connection in ./connect.ts.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import { LedgerError } from '../../model/errors.js';
import type { InvoiceLine, UsageRecord } from '../../model/types.js';
import type { OwnerAlive } from '../claims.js';
import type { Ledger, LedgerInfo } from '../contract.js';
import { DEFAULT_LEASE_MS, ownerAlive } from '../owner.js';
import { toLine, toRun, toUsage, type LineRow, type RunRow, type UsageRow } from '../rows.js';
import type { Bill, BillFilter, ClaimResult, LedgerOptions, Owner, Run, RunResult, StoredLine, StoredUsage, TenantSeen, Window } from '../types.js';
import { shownUrl } from '../url.js';
import { claimPg, finishPg, heartbeatPg, recordUsagePg, voidBillPg } from './bills.js';
import { newPool, pgDetail, pgGuard } from './connect.js';
import { OVERLAP_CONSTRAINT, migrate, schemaVersion } from './schema.js';
import { ORDER, PgStore, selectPg, withClient, type PgClock } from './store.js';

export class PostgresLedger implements Ledger {
  readonly backend = 'postgresql' as const;

  private constructor(
    private readonly store: PgStore,
    private readonly isOwnerAlive: OwnerAlive,
  ) {}

  /** The URL without its password. */
  get file(): string {
    return this.store.shown;
  }

  /** `fn` in one transaction, for `ledger copy` (src/ledger/copy.ts), which writes every table as stored. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.store.transaction(fn);
  }

  /**
   * Connects to the database at `url` and brings its schema up to date (once, whichever host
   * comes first). Any failure is a one-line LedgerError naming the URL without its password.
   */
  static async connect(url: string, options: LedgerOptions = {}): Promise<PostgresLedger> {
    const shown = shownUrl(url);
    const now = options.now ?? (() => new Date());
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const host = os.hostname();
    // Leases are judged with the clock that stamps them: the server's (this host's clock plus its
    // offset from the server's, measured below), or the injected one (docs/ledger.md, "Clocks").
    let offsetMs = 0;
    const leaseNow = options.now ?? (() => new Date(Date.now() + offsetMs));
    const isOwnerAlive = options.isOwnerAlive ?? ((owner: Owner, bill: Bill): boolean => ownerAlive(owner, bill, { host, now: leaseNow(), leaseMs }));
    const clock: PgClock = {
      leaseStamp: options.now ? () => options.now!().toISOString() : () => null,
      ...(options.isOwnerAlive ? {} : { lease: { host, ms: leaseMs } }),
    };
    const pool = newPool(url, {
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.onSecret ? { onSecret: options.onSecret } : {}),
      ...(options.busyTimeoutMs !== undefined ? { connectTimeoutMs: options.busyTimeoutMs } : {}),
      ...(options.connections !== undefined ? { poolSize: options.connections } : {}),
    });
    try {
      offsetMs = await withClient(pool, async (client) => {
        await migrate(client, shown);
        return serverOffsetMs(client);
      });
    } catch (error) {
      await pool.end().catch(() => undefined);
      if (error instanceof LedgerError) throw error;
      throw new LedgerError(`cannot open ledger ${shown}: ${pgDetail(error)}`, { cause: error });
    }
    return new PostgresLedger(new PgStore(pool, shown, () => now().toISOString(), clock), isOwnerAlive);
  }

  async close(): Promise<void> {
    await this.store.pool.end().catch(() => undefined);
  }

  async info(): Promise<LedgerInfo> {
    return pgGuard(this.file, 'read the schema', async () => {
      const { rows } = await this.store.pool.query<{ version: string; rule: string | null }>(
        `SELECT current_setting('server_version') AS version,
           (SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = $1 AND conrelid = to_regclass('bills')) AS rule`,
        [OVERLAP_CONSTRAINT],
      );
      const schema = await withClient(this.store.pool, (client) => schemaVersion(client, this.file));
      const rule = rows[0]!.rule;
      return { backend: this.backend, version: rows[0]!.version, schema, overlapRule: rule ? `constraint ${OVERLAP_CONSTRAINT} (${rule})` : null };
    });
  }

  async claim(tenant: { id: string; name?: string }, window: Window, owner: Owner): Promise<ClaimResult> {
    return pgGuard(this.file, 'claim', () => claimPg(this.store, this.isOwnerAlive, tenant, window, owner));
  }

  async heartbeat(billId: string, runId?: string): Promise<boolean> {
    return pgGuard(this.file, 'heartbeat', () => heartbeatPg(this.store, billId, runId));
  }

  async recordUsage(billId: string, usage: UsageRecord[], lines: InvoiceLine[], runId?: string): Promise<void> {
    await pgGuard(this.file, 'record usage', () => recordUsagePg(this.store, billId, usage, lines, runId));
  }

  async markCommitted(billId: string, reference: string, total: string, currency: string, runId?: string): Promise<Bill> {
    return pgGuard(this.file, 'commit', () => finishPg(this.store, billId, runId, 'commit',
      `status = 'committed', committed_at = $3, reference = $4, total = $5, currency = $6`, [this.store.stamp(), reference, total, currency]));
  }

  async markFailed(billId: string, error: string, runId?: string): Promise<Bill> {
    return pgGuard(this.file, 'mark failed', () => finishPg(this.store, billId, runId, 'mark failed', `status = 'failed', error = $3`, [error]));
  }

  async voidBill(tenantId: string, window: Window, reason: string, who: string): Promise<Bill> {
    return pgGuard(this.file, 'void', () => voidBillPg(this.store, tenantId, window, reason, who));
  }

  async bills(filter: BillFilter = {}): Promise<Bill[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (n: string) => string, value: unknown) => where.push(sql(`$${params.push(value)}`));
    if (filter.tenant !== undefined) add((n) => `tenant = ${n}`, filter.tenant);
    if (filter.end !== undefined) add((n) => `start_us < ${n}`, filter.end);
    if (filter.start !== undefined) add((n) => `${n} < end_us`, filter.start);
    if (filter.status !== undefined) add((n) => `status = ANY(${n}::text[])`, filter.status);
    return pgGuard(this.file, 'read bills', () => selectPg(this.store.pool, `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${ORDER}`, params));
  }

  async bill(id: string): Promise<Bill | undefined> {
    return pgGuard(this.file, 'read bill', async () => (await selectPg(this.store.pool, 'WHERE id = $1', [id]))[0]);
  }

  async pendingBills(): Promise<Bill[]> {
    return this.bills({ status: ['pending'] });
  }

  async tenants(): Promise<TenantSeen[]> {
    return this.store.query<TenantSeen>(
      'read tenants',
      `SELECT tenant AS id,
         (SELECT tenant_name FROM bills n WHERE n.tenant = b.tenant AND n.tenant_name IS NOT NULL
          ORDER BY n.created_at DESC, n.seq DESC LIMIT 1) AS name
       FROM bills b GROUP BY tenant ORDER BY tenant`,
    );
  }

  async lastBilledWindow(tenant: string): Promise<Window | null> {
    const [row] = await this.store.query<Window>(
      'read bills',
      `SELECT start_us AS start, end_us AS "end" FROM bills WHERE tenant = $1 AND status = 'committed' ORDER BY end_us DESC LIMIT 1`,
      [tenant],
    );
    return row ?? null;
  }

  async usage(billId: string): Promise<StoredUsage[]> {
    return (await this.store.query<UsageRow>('read usage', 'SELECT * FROM usage WHERE bill_id = $1 ORDER BY seq', [billId])).map(toUsage);
  }

  async lines(billId: string): Promise<StoredLine[]> {
    return (await this.store.query<LineRow>('read lines', 'SELECT * FROM lines WHERE bill_id = $1 ORDER BY position', [billId])).map(toLine);
  }

  async startRun(command: string, args: string[], by: { host: string; pid: number }): Promise<string> {
    const id = randomUUID();
    await this.store.query('start run', `INSERT INTO runs (id, command, args, host, pid, started_at, status) VALUES ($1, $2, $3, $4, $5, $6, 'running')`,
      [id, command, JSON.stringify(args), by.host, by.pid, this.store.stamp()]);
    return id;
  }

  async finishRun(runId: string, result: RunResult): Promise<Run> {
    const changed = await this.store.query('finish run', `UPDATE runs SET finished_at = $1, status = $2, summary = $3, errors = $4 WHERE id = $5 AND status = 'running' RETURNING id`,
      [this.store.stamp(), result.status, JSON.stringify(result.summary ?? null), JSON.stringify(result.errors), runId]);
    const run = await this.run(runId);
    if (!run) throw new LedgerError(`cannot finish run ${runId}: no such run in ledger ${this.file}`);
    if (changed.length !== 1) throw new LedgerError(`cannot finish run ${runId}: it is already ${run.status}`);
    return run;
  }

  async run(runId: string): Promise<Run | undefined> {
    const [row] = await this.store.query<RunRow>('read run', 'SELECT * FROM runs WHERE id = $1', [runId]);
    return row && toRun(row);
  }

  async lastRun(): Promise<Run | undefined> {
    return (await this.runs(1))[0];
  }

  async runs(limit = 20): Promise<Run[]> {
    return (await this.store.query<RunRow>('read runs', 'SELECT * FROM runs ORDER BY started_at DESC, seq DESC LIMIT $1', [limit])).map(toRun);
  }
}

/** The server's clock minus this host's, in ms (from one round trip: its midpoint). */
async function serverOffsetMs(client: pg.PoolClient): Promise<number> {
  const before = Date.now();
  const { rows } = await client.query<{ ms: number }>('SELECT extract(epoch FROM clock_timestamp()) * 1000 AS ms');
  const after = Date.now();
  return Math.round(Number(rows[0]!.ms) - (before + after) / 2);
}
