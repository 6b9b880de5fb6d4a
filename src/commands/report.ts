/** `artifice report`: the month at a glance, from the ledger alone (docs/report.md). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Deps } from '../deps.js';
import { UsageError, WindowError } from '../model/errors.js';
import { formatMonth, monthOf, parseMonth, previousMonthOf } from '../period.js';
import { reportOf, writePage } from '../report/page.js';
import { monthReportHtml } from '../view/month-report-html.js';
import { monthReportJson } from '../view/month-report-json.js';
import { monthReportText } from '../view/month-report-table.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, type CommonOptions } from './common.js';

export interface ReportOptions extends CommonOptions {
  month?: string;
  html?: string;
  json?: boolean;
}

export async function report(options: ReportOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  const month = options.month !== undefined ? parseMonth(options.month) : previousMonthOf(monthOf(deps.now(), config.main.timezone));
  if (options.html !== undefined && options.html.trim() === '') throw new UsageError('--html needs a file path, e.g. --html report.html');
  const label = formatMonth(month);
  if (!ledgerMayExist(config)) {
    // A read-only look never creates the ledger.
    throw new WindowError(`no ledger at ${ledgerName(config)} yet: nothing has been billed, so there is no report for ${label}`);
  }
  const ledger = await openLedger(config, deps);
  try {
    const data = await reportOf(ledger, config, month);
    const { committed, pending, failed, voided } = data.bills;
    if (committed + pending + failed + voided === 0) {
      throw new WindowError(`the ledger ${ledgerName(config)} has no bills for ${label}: nothing to report (artifice history lists what it holds)`);
    }
    if (options.html !== undefined) writePage(path.resolve(deps.cwd, options.html), monthReportHtml(data, deps.now()), '--html');
    deps.stdout(options.json ? `${JSON.stringify(monthReportJson(data), null, 2)}\n` : monthReportText(data));
    return 0;
  } finally {
    await ledger.close();
  }
}
