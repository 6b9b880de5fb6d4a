/**
 * `artifice ledger copy --from FILE.sqlite --to postgresql://…` (docs/ledger.md, "Moving to
 * PostgreSQL"): every row of every table of an SQLite ledger into an empty PostgreSQL ledger,
 * as stored (ids, revisions, owners, instants, voided and failed bills, runs), in the order they
 * were written, in one transaction that holds the target's tables locked. Refused when the
 * target already holds bills, or runs: a copy never merges two ledgers.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { LedgerError } from '../model/errors.js';
import type { LedgerOptions } from './types.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openFailure, openReadOnly } from './open.js';
import { PostgresLedger } from './postgres/ledger.js';
import { pgGuard } from './postgres/connect.js';
import { SCHEMA_VERSION, newerSchema } from './schema.js';
import { isLedgerUrl, shownUrl } from './url.js';

/** Parents before children (usage and lines refer to bills). */
const TABLES = ['bills', 'usage', 'lines', 'runs'] as const;
const BATCH = 1000;

export type CopyCounts = Record<(typeof TABLES)[number], number>;

export interface CopyOptions extends LedgerOptions {
  /** Copy a source with pending bills or running runs too (a run may be billing it). */
  force?: boolean;
}

/**
 * Copies `from` into the empty ledger at `to`. The source is only read: opened read-only (no
 * journal change, no migration), every table read in one read transaction, so the copy is one
 * moment of it even if a run writes meanwhile.
 */
export async function copyLedger(from: string, to: string, options: CopyOptions = {}): Promise<{ from: string; to: string; rows: CopyCounts }> {
  if (isLedgerUrl(from)) throw new LedgerError(`ledger copy --from ${shownUrl(from)}: give the SQLite ledger file to copy from`);
  if (!isLedgerUrl(to)) throw new LedgerError(`ledger copy --to ${to}: give the PostgreSQL URL to copy to (postgresql://user@host:5432/dbname)`);
  if (!fs.existsSync(from)) throw new LedgerError(`there is no ledger ${from}, so nothing to copy: give the SQLite ledger file`);
  const source = openSource(from, options);
  try {
    source.exec('BEGIN');
    refuseUnsettled(source, from, options.force ?? false);
    const target = await PostgresLedger.connect(to, options);
    try {
      const rows = await pgGuard(target.file, 'copy the ledger into it', () => copyRows(source, target));
      return { from, to: target.file, rows };
    } finally {
      await target.close();
    }
  } finally {
    if (source.inTransaction) source.exec('COMMIT');
    source.close();
  }
}

/** The SQLite ledger `file`, read-only, checked, at the current schema version. */
function openSource(file: string, options: LedgerOptions): Database.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(file, busyTimeoutMs);
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) throw newerSchema(file, version);
    if (version < SCHEMA_VERSION) {
      throw new LedgerError(`ledger ${file} has schema version ${version}, not the current ${SCHEMA_VERSION}: run any artifice command on it first (e.g. artifice check), which brings it up to date, then copy it`);
    }
    return db;
  } catch (error) {
    db?.close();
    throw openFailure(file, error, busyTimeoutMs);
  }
}

/** A run may be billing `file`: its pending bills and running runs would be copied mid-way. */
function refuseUnsettled(db: Database.Database, file: string, force: boolean): void {
  if (force) return;
  const { pending, running } = db.prepare(
    `SELECT (SELECT count(*) FROM bills WHERE status = 'pending') AS pending, (SELECT count(*) FROM runs WHERE status = 'running') AS running`,
  ).get() as { pending: number; running: number };
  if (pending === 0 && running === 0) return;
  throw new LedgerError(
    `ledger ${file} has ${pending} pending bills and ${running} running runs: a run may be billing it; stop the cron runs, let them finish ` +
      '(a later bill run resumes pending bills), then copy; --force copies it as it is',
  );
}

async function copyRows(source: Database.Database, target: PostgresLedger): Promise<CopyCounts> {
  return target.transaction(async (client) => {
    // No bill run on the target starts while the copy fills it.
    await client.query(`LOCK TABLE ${TABLES.join(', ')} IN EXCLUSIVE MODE`);
    const { rows } = await client.query<{ bills: number; runs: number }>('SELECT (SELECT count(*) FROM bills)::int AS bills, (SELECT count(*) FROM runs)::int AS runs');
    if (rows[0]!.bills > 0 || rows[0]!.runs > 0) {
      throw new LedgerError(`ledger ${target.file} already holds ${rows[0]!.bills} bills and ${rows[0]!.runs} runs: ledger copy only fills an empty ledger; give a new database`);
    }
    const counts = { bills: 0, usage: 0, lines: 0, runs: 0 };
    for (const table of TABLES) counts[table] = await copyTable(source, client, table);
    return counts;
  });
}

/** The SQLite rows of `table`, by rowid, inserted in that order (so `seq` keeps it), a batch per statement. */
async function copyTable(db: Database.Database, client: pg.PoolClient, table: string): Promise<number> {
  const columns = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
  const types = new Map(
    (await client.query<{ name: string; type: string }>(
      `SELECT column_name AS name, format_type(atttypid, atttypmod) AS type FROM information_schema.columns
       JOIN pg_attribute ON attrelid = to_regclass($1) AND attname = column_name
       WHERE table_schema = current_schema() AND table_name = $1`,
      [table],
    )).rows.map((r) => [r.name, r.type]),
  );
  const missing = columns.filter((c) => !types.has(c));
  if (missing.length) throw new LedgerError(`the PostgreSQL ledger has no column ${missing.join(', ')} in ${table}: upgrade artifice where it was created`);
  const list = columns.map((c) => `"${c}"`).join(', ');
  const arrays = columns.map((c, i) => `$${i + 1}::${types.get(c)}[]`).join(', ');
  const sql = `INSERT INTO ${table} (${list}) SELECT ${list} FROM unnest(${arrays}) WITH ORDINALITY AS u(${list}, ord) ORDER BY ord`;
  let count = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await client.query(sql, columns.map((c) => batch.map((row) => row[c] ?? null)));
    count += batch.length;
    batch = [];
  };
  for (const row of db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).iterate() as IterableIterator<Record<string, unknown>>) {
    batch.push(row);
    if (batch.length === BATCH) await flush();
  }
  await flush();
  return count;
}
