/**
 * `artifice ledger backup FILE [--force]` (docs/ledger.md, "Backups"): SQLite's online backup of
 * the ledger to FILE, safe while a run is billing, checked with `PRAGMA integrity_check` before
 * it is placed. Refuses an existing FILE unless --force, and never creates a ledger. Exit 0 when
 * the backup is written, 2 when it is not (no ledger, FILE exists, the ledger is damaged). A
 * PostgreSQL ledger is backed up with PostgreSQL's own tools (pg_dump): it says so.
 *
 * `artifice ledger copy --from FILE --to URL` (docs/ledger.md, "Moving to PostgreSQL"): an
 * SQLite ledger into an empty PostgreSQL one, every row kept (src/ledger/copy.ts).
 */
import path from 'node:path';
import type { Deps } from '../deps.js';
import { backupLedger, copyLedger, isLedgerUrl, shownUrl, urlPassword } from '../ledger.js';
import { LedgerError, UsageError } from '../model/errors.js';
import { readConfig, type CommonOptions } from './common.js';

export interface LedgerBackupOptions extends CommonOptions {
  /** The backup file, relative to the working directory (commander requires it). */
  file?: string;
  force?: boolean;
}

export async function ledgerBackup(options: LedgerBackupOptions, deps: Deps): Promise<number> {
  if (!options.file?.trim()) throw new UsageError('ledger backup needs the file to write: artifice ledger backup FILE');
  const config = await readConfig(options, deps);
  if (isLedgerUrl(config.main.database)) {
    throw new LedgerError(
      `ledger ${shownUrl(config.main.database)} is a PostgreSQL database: back it up with pg_dump (e.g. pg_dump -Fc -f ${options.file} DBNAME), not ledger backup`,
    );
  }
  const target = path.resolve(deps.cwd, options.file);
  const { bytes } = await backupLedger(config.main.database, target, { force: Boolean(options.force) });
  deps.stdout(`backed up ledger ${config.main.database} to ${target} (${bytes} bytes, integrity check ok)\n`);
  return 0;
}

export interface LedgerCopyOptions {
  from?: string;
  to?: string;
  /** Copy a source with pending bills or running runs too. */
  force?: boolean;
}

export async function ledgerCopy(options: LedgerCopyOptions, deps: Deps): Promise<number> {
  const from = options.from?.trim();
  const to = options.to?.trim();
  if (!from || !to) throw new UsageError('ledger copy needs --from FILE (the SQLite ledger) and --to URL (postgresql://user@host:5432/dbname)');
  // libpq's password sources: whatever the driver uses is a secret (never printed).
  // So are passwords written in either URL (a --from URL is refused, never shown with one).
  deps.secrets.add(deps.env.PGPASSWORD);
  for (const url of [from, to]) if (isLedgerUrl(url)) deps.secrets.add(urlPassword(url));
  const copied = await copyLedger(isLedgerUrl(from) ? from : path.resolve(deps.cwd, from), to, {
    now: deps.now, onSecret: (secret) => deps.secrets.add(secret), force: Boolean(options.force),
  });
  const { bills, usage, lines, runs } = copied.rows;
  deps.stdout(`copied ledger ${copied.from} to ${copied.to}: ${bills} bills, ${usage} usage rows, ${lines} lines, ${runs} runs\n`);
  return 0;
}
