/**
 * `artifice ledger backup FILE [--force]` (docs/ledger.md, "Backups"): SQLite's online backup of
 * the ledger to FILE, safe while a run is billing, checked with `PRAGMA integrity_check` before
 * it is placed. Refuses an existing FILE unless --force, and never creates a ledger. Exit 0 when
 * the backup is written, 2 when it is not (no ledger, FILE exists, the ledger is damaged).
 */
import path from 'node:path';
import type { Deps } from '../deps.js';
import { backupLedger } from '../ledger.js';
import { UsageError } from '../model/errors.js';
import { readConfig, type CommonOptions } from './common.js';

export interface LedgerBackupOptions extends CommonOptions {
  /** The backup file, relative to the working directory (commander requires it). */
  file?: string;
  force?: boolean;
}

export async function ledgerBackup(options: LedgerBackupOptions, deps: Deps): Promise<number> {
  if (!options.file?.trim()) throw new UsageError('ledger backup needs the file to write: artifice ledger backup FILE');
  const config = await readConfig(options, deps);
  const target = path.resolve(deps.cwd, options.file);
  const { bytes } = await backupLedger(config.main.database, target, { force: Boolean(options.force) });
  deps.stdout(`backed up ledger ${config.main.database} to ${target} (${bytes} bytes, integrity check ok)\n`);
  return 0;
}
