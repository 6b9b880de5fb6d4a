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
  /** `db.prepare(sql)`, prepared once per connection: a bill runs the same few statements. */
  statement(sql: string): Database.Statement;
}

/** `Store.statement` for `db`: statements kept by their SQL text (a fixed set, written in the code). */
export function statementCache(db: Database.Database): (sql: string) => Database.Statement {
  const prepared = new Map<string, Database.Statement>();
  return (sql) => {
    let statement = prepared.get(sql);
    if (!statement) prepared.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
}

/** By its code, not `instanceof`: see `guard`. */
export function isSqliteError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof error === 'object' && typeof code === 'string' && code.startsWith('SQLITE_');
}

export function busyDetail(busyTimeoutMs: number): string {
  return `another process has held the lock for over ${busyTimeoutMs} ms`;
}

/**
 * The ledger file is damaged: restore it (the message says how). Whatever page is damaged, and
 * whenever it is noticed (on open or halfway through a run), it is this error: exit 2.
 */
export class LedgerDamagedError extends LedgerError {}

/** SQLITE_CORRUPT and its extended codes (SQLITE_CORRUPT_INDEX…), and SQLITE_NOTADB. */
export function isCorruption(error: unknown): error is Error & { code: string } {
  return isSqliteError(error) && (error.code.startsWith('SQLITE_CORRUPT') || error.code === 'SQLITE_NOTADB');
}

/** What to do about a damaged `file`, after `prefix` ("cannot open ledger F", "ledger F: cannot claim"). */
export function damaged(prefix: string, file: string, detail: string, cause?: unknown): LedgerDamagedError {
  return new LedgerDamagedError(
    `${prefix}: the file is damaged (${detail}); stop billing and restore it from a backup made with \`artifice ledger backup\`, ` +
      `or salvage what is readable with \`sqlite3 ${file} ".recover"\` (docs/ledger.md, "Restore")`,
    { cause },
  );
}

/** A SQLite error as the detail of a message: "database disk image is malformed, SQLITE_CORRUPT". */
export function sqliteDetail(error: Error & { code: string }): string {
  return `${error.message}, ${error.code}`;
}

/** SQLite failures (busy past the timeout, a full disk, a trigger, a damaged file) as one-line LedgerErrors. */
export function guard<T>(file: string, busyTimeoutMs: number, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ArtificeError) throw error;
    // By its code, not `instanceof`: errors from the native addon may come from another realm
    // (Jest's VM modules), where neither SqliteError nor Error is the class this module sees.
    if (isCorruption(error)) throw damaged(`ledger ${file}: cannot ${what}`, file, sqliteDetail(error), error);
    if (isSqliteError(error)) {
      const detail = error.code.startsWith('SQLITE_BUSY') ? busyDetail(busyTimeoutMs) : `${error.message} (${error.code})`;
      throw new LedgerError(`ledger ${file}: cannot ${what}: ${detail}`, { cause: error });
    }
    throw error;
  }
}
