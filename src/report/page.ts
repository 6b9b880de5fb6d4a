/** Writing the month report's HTML page (`report --html`, `[main] report_html` after `bill`): whole or not at all. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../model/atomic-write.js';
import { UsageError, errorMessage, firstLine } from '../model/errors.js';
import { monthOf, type Month } from '../period.js';
import { toDate } from '../model/time.js';
import type { Window } from '../model/types.js';
import { monthReportHtml } from '../view/month-report-html.js';
import { monthReport, type LedgerReader } from './month.js';
import type { MonthReport } from './types.js';

export function reportOf(ledger: LedgerReader, config: Config, month: Month): Promise<MonthReport> {
  return monthReport({ ledger, month, timezone: config.main.timezone, changeFactor: config.report.changeFactor, currencyDigits: config.main.currencyDigits });
}

/**
 * Writes `html` to `file` whole (the shared atomic write), so a reader (the link in the cron mail)
 * never sees half a page; its temp file is hidden. `what` names the setting in errors.
 */
export function writePage(file: string, html: string, what: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileAtomic(file, html, { temp });
  } catch (error) {
    throw new UsageError(`${what} ${file}: cannot write the report there: ${whyNot(error)}; give a writable file path`, { cause: error });
  }
}

/** Why a write failed, in words that name no temporary file. */
function whyNot(error: unknown): string {
  switch ((error as { code?: unknown } | null)?.code) {
    case 'ENOENT': case 'ENOTDIR': return 'its directory does not exist';
    case 'EISDIR': case 'ENOTEMPTY': case 'EEXIST': return 'it is a directory';
    case 'EACCES': case 'EPERM': case 'EROFS': return 'permission denied';
    case 'ENOSPC': return 'the disk is full';
    default: return firstLine(error);
  }
}

/** The page of `month`, written to `file`. */
export async function writeReportPage(ledger: LedgerReader, config: Config, month: Month, file: string, now: Date, what: string): Promise<MonthReport> {
  const report = await reportOf(ledger, config, month);
  writePage(file, monthReportHtml(report, now), what);
  return report;
}

/**
 * After a `bill` run: the page of the month the run's window starts in, at `[main] report_html`
 * when it is set. A page that cannot be written is reported (`warn`) but fails nothing: the bills are already recorded.
 */
export async function reportAfterRun(config: Config, ledger: LedgerReader, window: Window, now: Date, warn: (text: string) => void): Promise<void> {
  if (config.report.html === undefined) return;
  try {
    await writeReportPage(ledger, config, monthOf(toDate(window.start), config.main.timezone), config.report.html, now, '[main] report_html');
  } catch (error) {
    warn(errorMessage(error));
  }
}
