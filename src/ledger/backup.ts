/**
 * `artifice ledger backup FILE` (docs/ledger.md, "Backups"): SQLite's online backup of the
 * ledger, read through a read-only connection of its own, so it never writes to the ledger and a
 * run billing meanwhile is not held up. The copy is consistent: in WAL mode a reader sees one
 * snapshot, and a backup that another connection's write interrupts starts over. The copy is
 * written next to FILE, made a single self-contained file (rollback journal, no -wal), checked
 * with `PRAGMA integrity_check`, and only then moved to FILE: a failed backup leaves no FILE.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { LedgerError, errorMessage } from '../model/errors.js';
import { checkFile } from './integrity.js';
import { DEFAULT_BUSY_TIMEOUT_MS, openFailure, openReadOnly } from './open.js';
import { LedgerDamagedError } from './sqlite.js';

export interface BackupOptions {
  /** Replace FILE when it exists (default: refuse). */
  force?: boolean;
  /** How long to wait for another process's lock (default 10000 ms). */
  busyTimeoutMs?: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
}

/** Backs the existing ledger `ledgerFile` up to `target`; never creates a ledger. */
export async function backupLedger(ledgerFile: string, target: string, options: BackupOptions): Promise<BackupResult> {
  if (!fs.existsSync(ledgerFile)) throw new LedgerError(`there is no ledger ${ledgerFile}, so nothing to back up: check [main] database`);
  refuseTarget(ledgerFile, target, options);
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let db: Database.Database | undefined;
  try {
    db = openReadOnly(ledgerFile, busyTimeoutMs);
    return await copyTo(db, ledgerFile, target, options);
  } catch (error) {
    throw openFailure(ledgerFile, error, busyTimeoutMs);
  } finally {
    db?.close();
  }
}

async function copyTo(db: Database.Database, ledgerFile: string, target: string, options: BackupOptions): Promise<BackupResult> {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const partial = `${target}.partial-${randomUUID().slice(0, 8)}`;
  try {
    await db.backup(partial);
    selfContained(partial);
    const checked = checkFile(partial);
    if (!checked.ok) {
      throw new LedgerDamagedError(
        `the backup of ledger ${ledgerFile} fails its integrity check (${checked.problem}), so ${target} was not written: ` +
          'the ledger itself may be damaged; run artifice check',
      );
    }
    place(partial, target, options);
    return { file: target, bytes: fs.statSync(target).size };
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw new LedgerError(`cannot back up ledger ${ledgerFile} to ${target}: ${errorMessage(error)}`, { cause: error });
  } finally {
    for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(`${partial}${suffix}`, { force: true });
  }
}

/** Never the ledger itself; an existing FILE only with --force. */
function refuseTarget(ledgerFile: string, target: string, options: BackupOptions): void {
  const resolved = path.resolve(target);
  if ([ledgerFile, `${ledgerFile}-wal`, `${ledgerFile}-shm`].some((f) => path.resolve(f) === resolved)) {
    throw new LedgerError(`cannot back up ledger ${ledgerFile} onto itself: give another file`);
  }
  if (fs.existsSync(target) && !options.force) {
    throw targetExists(target);
  }
}

/**
 * The copy keeps the ledger's WAL flag in its header; switched to the rollback journal it is one
 * file that can be copied, moved or restored alone (the ledger switches back when opened).
 */
function selfContained(file: string): void {
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

/**
 * The checked copy to FILE: renamed over it with --force; else hard-linked (atomic, and failing
 * when a FILE appeared meanwhile), or copied exclusively where the file system has no hard links.
 */
function place(partial: string, target: string, options: BackupOptions): void {
  if (options.force) {
    fs.renameSync(partial, target);
    return;
  }
  try {
    try {
      fs.linkSync(partial, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw error;
      fs.copyFileSync(partial, target, fs.constants.COPYFILE_EXCL);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw targetExists(target, error);
    throw error;
  }
}

function targetExists(target: string, cause?: unknown): LedgerError {
  return new LedgerError(`backup file ${target} exists: give a new file name, or --force to replace it`, { cause });
}
