/** What the ledger's modules share: the open connection and its clock, and SQLite errors as LedgerErrors. */
import type Database from 'better-sqlite3';
import { ArtificeError, LedgerError } from '../model/errors.js';

/** The ledger's connection as its modules (claims, queries, runs) see it. */
export interface Store {
  readonly db: Database.Database;
  /** The file as given to Ledger.open(), for messages. */
  readonly file: string;
  /** Now, as ISO-8601 UTC text: every stored instant other than a window bound. */
  stamp(): string;
}

/** By its code, not `instanceof`: see `guard`. */
export function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof error === 'object' && typeof code === 'string' && code.startsWith('SQLITE_');
}

export function busyDetail(busyTimeoutMs: number): string {
  return `another process has held the lock for over ${busyTimeoutMs} ms`;
}

/** SQLite failures (busy past the timeout, a full disk, a trigger) as one-line LedgerErrors. */
export function guard<T>(file: string, busyTimeoutMs: number, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ArtificeError) throw error;
    // By its code, not `instanceof`: errors from the native addon may come from another realm
    // (Jest's VM modules), where neither SqliteError nor Error is the class this module sees.
    if (isSqliteError(error)) {
      const detail = error.code.startsWith('SQLITE_BUSY') ? busyDetail(busyTimeoutMs) : `${error.message} (${error.code})`;
      throw new LedgerError(`ledger ${file}: cannot ${what}: ${detail}`, { cause: error });
    }
    throw error;
  }
}
