/**
 * The status file ([main] status_file) every `bill` run writes at its end, whatever happened,
 * once the config was read: what a monitor reads (README "Running it from cron"). The run's own
 * part comes from the run; the rest (health, unbilled months, pending claims) from the ledger.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../model/atomic-write.js';
import { errorMessage } from '../model/errors.js';
import type { Secrets } from '../model/secrets.js';
import type { Ledger, RunError } from '../ledger.js';
import { assessHealth, nextRunExpectedBy, type Health, type PendingClaim, type RunView } from './health.js';
import type { Unbilled } from './unbilled.js';

export const STATUS_FILE_VERSION = 1;

/** The status file of one `bill` run: what a monitor reads. */
export interface StatusFile {
  version: number;
  written_at: string;
  healthy: boolean;
  problems: string[];
  run: (Partial<RunView> & { exit_code: number; summary?: unknown }) | null;
  errors: { tenant?: string; message: string }[];
  last_billed: Health['last_billed'];
  unbilled: Unbilled[];
  pending: PendingClaim[];
  next_run_expected_by: string;
}

/**
 * Writes `data` as JSON to `file` atomically and durably (temp file + fsync + rename + fsync of
 * the directory), every secret of `secrets` redacted: its messages may quote what a server echoed.
 */
export function writeStatusFile(file: string, data: StatusFile, secrets: Secrets): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Each string first (a secret quoted in any form), then the JSON text (one escaped once more).
    writeFileAtomic(file, secrets.redact(`${JSON.stringify(secrets.redactValue(data), null, 2)}\n`));
  } catch (error) {
    throw new Error(`cannot write the status file ${file}: ${errorMessage(error)}; check [main] status_file`, { cause: error });
  }
}

export function readStatusFile(file: string): StatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StatusFile;
  } catch {
    return undefined;
  }
}

/** What the status file says about one run (the rest comes from the ledger). */
export interface RunReport {
  /** The run row's identity; null when the ledger could not be opened (there is no run row). */
  run: { id: string; command: string; args: string[]; host: string; pid: number; started_at: string; status: string } | null;
  errors: RunError[];
  exitCode: number;
  summary?: unknown;
}

/** The status file of `report`, with the health of `ledger` when there is one. */
export async function statusFileOf(report: RunReport, ledger: Ledger | undefined, ctx: { config: Config; now: Date; host: string }): Promise<StatusFile> {
  const { config, now } = ctx;
  const health = ledger ? await assessHealth(ledger, ctx) : undefined;
  const problems = [...(report.errors.length ? [`this run had ${report.errors.length} error${report.errors.length === 1 ? '' : 's'}`] : []),
    ...(health?.problems.filter((p) => !p.startsWith('the last run')) ?? [])];
  return {
    version: STATUS_FILE_VERSION,
    written_at: now.toISOString(),
    healthy: problems.length === 0,
    problems,
    run: report.run ? { ...report.run, finished_at: now.toISOString(), exit_code: report.exitCode, summary: report.summary } : null,
    errors: report.errors,
    last_billed: health?.last_billed ?? {},
    unbilled: health?.unbilled ?? [],
    pending: health?.pending ?? [],
    next_run_expected_by: health?.next_run_expected_by ?? nextRunExpectedBy(now, config).toISOString(),
  };
}
