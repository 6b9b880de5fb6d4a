/**
 * `artifice status`: is the biller healthy? The last run (when, how long, its errors), pending
 * claims and whose they are, settled months not yet billed per known tenant, and when the
 * next run is expected. Read-only on the ledger (it is opened, never written, by this command;
 * a missing ledger is reported, not created).
 *
 * Exit codes: 0 healthy; 1 when the last run had errors or never finished, a settled month is
 * not billed (see src/billing/health.ts for the exact rule), no bill run has finished since the
 * next was expected, or a committed bill's invoice is missing (src/billing/invoices.ts);
 * 2 bad config or an unreadable ledger.
 */
import fs from 'node:fs';
import type { Deps } from '../deps.js';
import { EXIT } from '../model/errors.js';
import { assessHealth } from '../billing/health.js';
import { assessInvoices, withInvoices, type StatusHealth } from '../billing/invoices.js';
import { readStatusFile } from '../billing/status-file.js';
import { Output } from '../view/output.js';
import { printHealth, type StatusFileView } from '../view/status.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, type CommonOptions } from './common.js';

export interface StatusOptions extends CommonOptions {
  json?: boolean;
}

export async function status(options: StatusOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  const out = new Output(deps, { json: options.json });
  const statusFile = readStatusFile(config.main.statusFile);
  if (!ledgerMayExist(config)) {
    const message = `no ledger at ${ledgerName(config)} yet: nothing has been billed with this config`;
    if (options.json) {
      out.stdout(`${JSON.stringify({ healthy: true, problems: [], note: message, ledger: ledgerName(config), last_run: null, pending: [], unbilled: [] }, null, 2)}\n`);
    } else {
      out.stdout(`${message}\n`);
    }
    return EXIT.ok;
  }
  const ledger = await openLedger(config, deps);
  let health: StatusHealth;
  try {
    health = withInvoices(await assessHealth(ledger, { config, now: deps.now(), host: deps.host }), await assessInvoices(ledger, config));
  } finally {
    await ledger.close();
  }
  const file: StatusFileView = {
    path: config.main.statusFile,
    exists: statusFile !== undefined,
    written_at: statusFile?.written_at ?? null,
    next_run_expected_by: statusFile?.next_run_expected_by ?? null,
  };
  if (options.json) out.stdout(`${JSON.stringify({ ...health, ledger: ledgerName(config), status_file: file }, null, 2)}\n`);
  else printHealth(out, health, file, config);
  return health.healthy ? EXIT.ok : EXIT.someFailed;
}
