/** Opening the ledger's SQLite file: where it may live, its journal mode, its schema. */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LedgerError, errorMessage } from '../model/errors.js';
import { networkFileSystem } from './file-system.js';
import { migrate, refuseForeign } from './schema.js';
import { quickCheck } from './integrity.js';
import { busyDetail, damaged, isCorruption, isSqliteError, sqliteDetail } from './sqlite.js';
import type { LedgerJournal, LedgerOptions } from './types.js';

export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens (creating file, directory and schema as needed) the SQLite database at `file`;
 * `':memory:'` is a private in-memory one. Any failure is a one-line LedgerError naming the file;
 * a damaged file (`PRAGMA quick_check`) is a LedgerDamagedError saying how to restore it.
 */
export function openDatabase(file: string, options: LedgerOptions, busyTimeoutMs: number): Database.Database {
  const memory = file === ':memory:';
  const journal = options.journal ?? 'wal';
  let db: Database.Database | undefined;
  try {
    if (!memory && journal === 'wal') refuseNetwork(file, options);
    if (!memory) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    db = new Database(file, { timeout: busyTimeoutMs });
    // Before anything reads or writes the schema: a damaged ledger is never used (docs/ledger.md).
    if (!memory) quickCheck(db, file);
    refuseForeign(db, file);
    if (!memory) setJournal(db, journal, busyTimeoutMs);
    db.pragma('foreign_keys = ON');
    migrate(db, file);
    return db;
  } catch (error) {
    db?.close();
    throw openFailure(file, error, busyTimeoutMs);
  }
}

/**
 * An existing ledger file opened read-only (no journal change, no migration), after the quick
 * integrity check and the check that it is an artifice ledger at all: what `ledger backup` and
 * `ledger copy` read from. Errors are the caller's to turn into openFailure().
 */
export function openReadOnly(file: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  try {
    quickCheck(db, file);
    refuseForeign(db, file);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Why `file` could not be opened, as a one-line LedgerError (a damaged file: LedgerDamagedError). */
export function openFailure(file: string, error: unknown, busyTimeoutMs: number): LedgerError {
  if (error instanceof LedgerError) return error;
  if (isCorruption(error)) return damaged(`cannot open ledger ${file}`, file, sqliteDetail(error), error);
  const detail = isSqliteError(error) && error.code.startsWith('SQLITE_BUSY') ? busyDetail(busyTimeoutMs) : errorMessage(error);
  return new LedgerError(`cannot open ledger ${file}: ${detail}`, { cause: error });
}

function refuseNetwork(file: string, options: LedgerOptions): void {
  const network = (options.networkFileSystem ?? networkFileSystem)(file);
  if (network) {
    throw new LedgerError(
      `ledger ${file} is on a network file system (${network}), where SQLite's WAL journal is unsafe (its shared memory does not ` +
        'reach other hosts): set [main] ledger_journal = delete, or put the ledger on a local disk',
    );
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
