/**
 * Integrity checks (docs/ledger.md, "Integrity"): SQLite reports a damaged file as SQLITE_CORRUPT
 * or SQLITE_NOTADB, or only in the rows of `PRAGMA quick_check` / `integrity_check` (a damaged
 * index page may read as an empty index). Either way it is a LedgerDamagedError (./sqlite.ts).
 */
import Database from 'better-sqlite3';
import { damaged, isCorruption, sqliteDetail } from './sqlite.js';

/** The first problem a check reported, on one line (SQLite's rows may span several). */
function firstProblem(rows: string[]): string {
  const lines = rows.join('\n').split('\n').map((l) => l.trim()).filter((l) => l && !/^\*\*\* in database/.test(l));
  const more = rows.length > 1 ? ` (and ${rows.length - 1} more)` : '';
  return `${lines[0] ?? 'integrity check failed'}${more}`;
}

/**
 * Runs `PRAGMA quick_check` (`full`: `integrity_check`, which also compares every index with its
 * table). Returns the problems found, none when the file is sound. A page too damaged to walk
 * makes SQLite throw instead of answering: that is one problem too.
 */
export function integrityProblems(db: Database.Database, full: boolean): string[] {
  try {
    const rows = db.pragma(full ? 'integrity_check' : 'quick_check', { simple: false }) as Record<string, string>[];
    const problems = rows.map((row) => String(Object.values(row)[0]));
    return problems.length === 1 && problems[0] === 'ok' ? [] : problems;
  } catch (error) {
    if (isCorruption(error)) return [sqliteDetail(error)];
    throw error;
  }
}

/** Throws the LedgerDamagedError when `PRAGMA quick_check` finds a problem (when a run opens the ledger). */
export function quickCheck(db: Database.Database, file: string): void {
  const problems = integrityProblems(db, false);
  if (problems.length) throw damaged(`cannot open ledger ${file}`, file, firstProblem(problems));
}

/**
 * `PRAGMA integrity_check` of the SQLite file `file`, opened read-only on its own: ok, or SQLite's
 * first finding on one line. For `artifice check` and backups.
 */
export function checkFile(file: string): { ok: true } | { ok: false; problem: string } {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const problems = integrityProblems(db, true);
    return problems.length ? { ok: false, problem: firstProblem(problems) } : { ok: true };
  } catch (error) {
    if (isCorruption(error)) return { ok: false, problem: sqliteDetail(error) };
    throw error;
  } finally {
    db?.close();
  }
}

/**
 * `artifice check`'s integrity item: the full check of the ledger `file` (which exists), and when
 * it fails, the same one-line message as a run that finds the ledger damaged.
 */
export function checkLedger(file: string): { ok: true } | { ok: false; message: string } {
  const checked = checkFile(file);
  return checked.ok ? checked : { ok: false, message: damaged(`ledger ${file}`, file, checked.problem).message };
}
