/** `[main]` of artifice.ini: the ledger, money, time and the files every run writes. */
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { LedgerJournal } from '../ledger/types.js';
import { isLedgerUrl } from '../ledger/url.js';
import { readSecretFile } from './sources.js';
import { packageFile } from '../model/paths.js';
import { DEFAULTS, LIMITS, tenantConcurrency } from './defaults.js';
import { compileSources, type Reader } from './reader.js';

export interface TenantFilter {
  /** `[main] include_tenants`: only these (ids or names) are billed by `--all`. */
  readonly include?: readonly string[];
  /** `[main] exclude_tenants`: never billed by `--all`. */
  readonly exclude?: readonly string[];
}

export interface MainConfig {
  readonly invoiceObject: string;
  /** Absolute path of the SQLite ledger, or a PostgreSQL URL (`postgresql://…`, docs/ledger.md). */
  readonly database: string;
  /** A PostgreSQL ledger's password, from `[main] database_password_file` (else PGPASSWORD or ~/.pgpass). */
  readonly databasePassword?: string;
  /** SQLite journal of the ledger: wal (one host), delete (a ledger shared over NFS). */
  readonly ledgerJournal: LedgerJournal;
  readonly timezone: string;
  readonly settleHours: number;
  readonly trustSources: readonly RegExp[];
  readonly currency: string;
  readonly currencyDigits: number;
  readonly allowUnpriced: boolean;
  /** Absolute path of the meters file. */
  readonly meters: string;
  readonly maxGapSeconds: number;
  /** Absolute path of the JSON status file every `bill` run writes (default: status.json next to the database). */
  readonly statusFile: string;
  /** Absolute path of the OpenMetrics text file every `bill` run writes for node_exporter's textfile collector; none when not set. */
  readonly metricsFile?: string;
  /** Tenants billed at once by `bill` (default 4, 2 with Ceilometer; `--concurrency` overrides). */
  readonly concurrency: number;
  /** Hours after a month is billable (end + settle_hours) by which the monthly run is expected to have billed it (default 24). */
  readonly graceHours: number;
  /** Which tenants `--all` bills. */
  readonly tenants: TenantFilter;
}

export function parseMain(at: Reader, dir: string): MainConfig {
  const given = at.string('main', 'database') ?? DEFAULTS.database;
  const url = isLedgerUrl(given);
  const database = url ? given.trim() : path.resolve(dir, given);
  const passwordFile = at.path('main', 'database_password_file', dir);
  return {
    invoiceObject: at.string('main', 'invoice:object') ?? DEFAULTS.invoiceObject,
    database,
    ...(passwordFile !== undefined ? { databasePassword: readSecretFile(passwordFile, '[main] database_password_file') } : {}),
    ledgerJournal: at.oneOf('main', 'ledger_journal', ['wal', 'delete'] as const) ?? 'wal',
    timezone: at.timezone('main', 'timezone') ?? DEFAULTS.timezone,
    settleHours: at.number('main', 'settle_hours', 0, LIMITS.hours) ?? DEFAULTS.settleHours,
    trustSources: at.regexList('main', 'trust_sources', 'trusted source') ?? compileSources([DEFAULTS.trustSources]),
    currency: at.currency('main', 'currency') ?? DEFAULTS.currency,
    currencyDigits: at.integer('main', 'currency_digits', 0, 8) ?? DEFAULTS.currencyDigits,
    allowUnpriced: at.boolean('main', 'allow_unpriced') ?? false,
    meters: at.path('main', 'meters', dir) ?? packageFile('config', 'meters.ini'),
    maxGapSeconds: at.number('main', 'max_gap', 1, LIMITS.seconds) ?? DEFAULTS.maxGapSeconds,
    // Next to an SQLite ledger; with a PostgreSQL ledger, next to the config.
    statusFile: at.path('main', 'status_file', dir) ?? path.join(url ? dir : path.dirname(database), DEFAULTS.statusFile),
    metricsFile: at.path('main', 'metrics_file', dir),
    concurrency: at.integer('main', 'concurrency', 1, 64) ?? tenantConcurrency(at.string('telemetry', 'backend')),
    graceHours: at.number('main', 'grace_hours', 0, LIMITS.hours) ?? DEFAULTS.graceHours,
    tenants: tenantFilter(at),
  };
}

export function tenantFilter(at: Reader): TenantFilter {
  return { include: at.list('main', 'include_tenants', 'project id or name'), exclude: at.list('main', 'exclude_tenants', 'project id or name') };
}

/** The path as it is on disk, or undefined when there is nothing there (or it cannot be looked at: opening it will say why). */
function existing(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The ledger, the status file and the metrics file are written by every `bill` run; the status
 * and metrics files are replaced whole. Refuse, before anything is written, one that exists as
 * something else than a regular file (/dev/full, a directory), and a status or metrics file that is
 * one of the files artifice reads or writes otherwise (same path, or the same file through a link).
 */
export function checkWrittenFiles(at: Reader, main: MainConfig, others: [string | undefined, string][]): void {
  const database = isLedgerUrl(main.database) ? undefined : existing(main.database);
  if (database && !database.isFile()) {
    throw at.bad('main', 'database', main.database, `it exists and is ${kindOf(database)}; give the path of the SQLite ledger file`);
  }
  checkReplaced(at, { key: 'status_file', file: main.statusFile, content: 'JSON' }, others);
  if (main.metricsFile !== undefined) {
    checkReplaced(at, { key: 'metrics_file', file: main.metricsFile, content: 'metrics' },
      [...others, [main.statusFile, 'the status file ([main] status_file)']]);
  }
}

function checkReplaced(at: Reader, replaced: { key: string; file: string; content: string }, others: [string | undefined, string][]): void {
  const { key, file, content } = replaced;
  const stats = existing(file);
  if (stats && !stats.isFile()) {
    throw at.bad('main', key, file, `it exists and is ${kindOf(stats)}; every bill run replaces it with ${content}, so give a file path`);
  }
  for (const [other, what] of others) {
    if (other === undefined) continue;
    const same = other === file || (stats !== undefined && sameFile(stats, existing(other)));
    if (same) throw at.bad('main', key, file, `it is ${what}, which every bill run would overwrite with ${content}; give a path of its own`);
  }
}

function sameFile(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

