/**
 * The ledger's schema, versioned by `PRAGMA user_version`: MIGRATIONS[i] takes the database
 * from version i to i + 1. Never edit a released migration; append a new one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { LedgerError } from '../model/errors.js';

/** Statuses that hold a window: a bill overlapping one of these is refused. */
const HOLDING = `('pending', 'committed')`;

const OVERLAP = (exceptSelf: string) => `
  SELECT RAISE(ABORT, 'bill overlaps a pending or committed bill of the same tenant')
  WHERE EXISTS (
    SELECT 1 FROM bills b
    WHERE b.tenant = NEW.tenant AND b.status IN ${HOLDING}${exceptSelf}
      AND b.start_us < NEW.end_us AND NEW.start_us < b.end_us
  );`;

export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE bills (
    id           TEXT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    tenant_name  TEXT,
    start_us     INTEGER NOT NULL,
    end_us       INTEGER NOT NULL CHECK (start_us < end_us),
    status       TEXT NOT NULL CHECK (status IN ('pending', 'committed', 'failed', 'voided')),
    revision     INTEGER NOT NULL DEFAULT 1,
    owner        TEXT,
    claimed_at   TEXT,
    heartbeat_at TEXT,
    committed_at TEXT,
    reference    TEXT,
    total        TEXT,
    currency     TEXT,
    error        TEXT,
    void_reason  TEXT,
    voided_by    TEXT,
    voided_at    TEXT,
    created_at   TEXT NOT NULL
  );
  CREATE INDEX bills_tenant_window ON bills (tenant, start_us, end_us);
  CREATE INDEX bills_status ON bills (status);

  -- Half-open windows: [a.start, a.end) and [b.start, b.end) overlap iff a.start < b.end AND
  -- b.start < a.end, so back-to-back months pass. Failed and voided bills hold nothing.
  CREATE TRIGGER bills_no_overlap_insert BEFORE INSERT ON bills
  WHEN NEW.status IN ${HOLDING}
  BEGIN ${OVERLAP('')}
  END;
  CREATE TRIGGER bills_no_overlap_update BEFORE UPDATE OF status, tenant, start_us, end_us ON bills
  WHEN NEW.status IN ${HOLDING}
  BEGIN ${OVERLAP(' AND b.id <> NEW.id')}
  END;

  CREATE TABLE usage (
    bill_id         TEXT NOT NULL REFERENCES bills (id),
    meter           TEXT NOT NULL,
    resource_id     TEXT NOT NULL,
    service         TEXT NOT NULL,
    datacenter      TEXT NOT NULL,
    quantity        TEXT NOT NULL,
    unit            TEXT NOT NULL,
    samples         INTEGER NOT NULL,
    first_sample_us INTEGER,
    last_sample_us  INTEGER,
    gaps            TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX usage_bill ON usage (bill_id);

  CREATE TABLE lines (
    bill_id    TEXT NOT NULL REFERENCES bills (id),
    position   INTEGER NOT NULL,
    datacenter TEXT NOT NULL,
    name       TEXT NOT NULL,
    quantity   TEXT NOT NULL,
    unit       TEXT NOT NULL,
    rate       TEXT NOT NULL,
    amount     TEXT NOT NULL,
    PRIMARY KEY (bill_id, position)
  );

  CREATE TABLE runs (
    id          TEXT PRIMARY KEY,
    command     TEXT NOT NULL,
    args        TEXT NOT NULL DEFAULT '[]',
    host        TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    status      TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'partial')),
    summary     TEXT,
    errors      TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX runs_started ON runs (started_at);
  `,
  // 2: a line may cover part of the window (a price change inside it) and records what priced it.
  `
  ALTER TABLE lines ADD COLUMN period_start_us INTEGER;
  ALTER TABLE lines ADD COLUMN period_end_us INTEGER;
  ALTER TABLE lines ADD COLUMN basis TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** A ledger (SQLite file or PostgreSQL database, as `shown`) written by a newer artifice. */
export function newerSchema(shown: string, version: number): LedgerError {
  return new LedgerError(`ledger ${shown} has schema version ${version}, newer than this artifice understands (${SCHEMA_VERSION}): upgrade artifice`);
}

/**
 * Refuses an SQLite file that is some other application's database (tables, but no artifice
 * schema version), before anything is written to it: `[main] database` pointing at the wrong file.
 */
export function refuseForeign(db: BetterSqlite3.Database, file: string): void {
  if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`).pluck().all() as string[];
  if (tables.length === 0) return;
  const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', …' : '');
  throw new LedgerError(
    `${file} is an SQLite database but not an artifice ledger (it has tables ${shown} and no artifice schema version): ` +
      'point [main] database at the ledger, or at a new file',
  );
}

/**
 * Brings the schema up to SCHEMA_VERSION in one IMMEDIATE transaction, so two processes opening
 * a fresh file at once cannot both migrate it. Refuses a database written by a newer artifice.
 */
export function migrate(db: BetterSqlite3.Database, file: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw newerSchema(file, version);
    }
    for (let v = version; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
