/**
 * The ledger (docs/architecture.md, "The ledger"; docs/ledger.md): which windows each tenant was
 * billed for, the usage and lines behind every bill, and a record of each command run. The
 * overlap rule lives in the database itself (SQLite: a trigger; PostgreSQL: an exclusion
 * constraint), so no code path — nor a hand-written INSERT — can bill a window twice.
 *
 * This file is the entry: the Ledger contract (src/ledger/contract.ts), how to open one, and what
 * callers import. Two backends: SQLite (src/ledger/sqlite-ledger.ts, one file, the default) and
 * PostgreSQL (src/ledger/postgres/, several billing hosts sharing one ledger).
 *
 * Decisions:
 * - Window bounds are integer epoch microseconds; every other instant is ISO-8601 UTC text.
 * - Decimals are stored as plain TEXT (`toFixed()`, never exponent notation). `Bill.total` is a
 *   string; `usage()` and `lines()` give Decimals back, so they compare with fresh UsageRecords.
 * - Only pending and committed bills hold a window; failed and voided ones are history.
 */
import type { Ledger as LedgerContract } from './ledger/contract.js';
import { SqliteLedger } from './ledger/sqlite-ledger.js';
import { PostgresLedger } from './ledger/postgres/ledger.js';
import { isLedgerUrl } from './ledger/url.js';
import type { LedgerOptions } from './ledger/types.js';

export type * from './ledger/types.js';
export type { LedgerBackend, LedgerInfo } from './ledger/contract.js';
export { SqliteLedger } from './ledger/sqlite-ledger.js';
export { PostgresLedger } from './ledger/postgres/ledger.js';
export { MIGRATIONS, SCHEMA_VERSION } from './ledger/schema.js';
export { DEFAULT_BUSY_TIMEOUT_MS } from './ledger/open.js';
export { isLedgerUrl, shownUrl, urlPassword } from './ledger/url.js';
export { DEFAULT_LEASE_MS, currentOwner, processAlive } from './ledger/owner.js';
export { LedgerDamagedError } from './ledger/sqlite.js';
export { checkLedger } from './ledger/integrity.js';
export { backupLedger, type BackupOptions, type BackupResult } from './ledger/backup.js';
export { copyLedger, type CopyCounts } from './ledger/copy.js';

/** The ledger contract: every backend's methods (src/ledger/contract.ts). */
export type Ledger = LedgerContract;

export const Ledger = {
  /**
   * Opens (creating file, directory and schema as needed) the SQLite ledger at `file`;
   * `':memory:'` is a private in-memory ledger. Any failure is a one-line LedgerError naming the file.
   */
  open(file: string, options: LedgerOptions = {}): SqliteLedger {
    return SqliteLedger.open(file, options);
  },

  /** The ledger `database` names: a PostgreSQL URL, else an SQLite file. */
  async connect(database: string, options: LedgerOptions = {}): Promise<Ledger> {
    return isLedgerUrl(database) ? PostgresLedger.connect(database, options) : SqliteLedger.open(database, options);
  },
};
