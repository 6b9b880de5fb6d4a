/**
 * `artifice verify --tenant ID --month M`: the fixed-point check (src/billing/verify.ts).
 * Recomputes the window from the telemetry and compares it, resource by resource and line by
 * line, with the usage and lines stored for the committed bill (src/view/verify.ts prints it).
 *
 * Exit codes: 0 identical (a fixed point); 1 drift (a readable diff: per resource and per line
 * stored vs now, the delta, and the amount delta at the stored rate), or the bill cannot be
 * checked: the telemetry could not be read or the window cannot be priced again (the message
 * says which; an adapter that cannot be loaded is 2); 2 bad usage or config; 3 nothing to verify (no ledger,
 * no committed bill for exactly that window, or it is still being billed).
 */
import fs from 'node:fs';
import { committedBill, compareUsage, recompute, windowPrices, type StoredBill } from '../billing/verify.js';
import { EXIT, UsageError, WindowError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import type { WindowOptions } from '../period.js';
import { Output } from '../view/output.js';
import { verifyJson, verifyText } from '../view/verify.js';
import type { Deps } from '../deps.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, tenantInLedger, windowOf, type CommonOptions } from './common.js';

export interface VerifyOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  json?: boolean;
}

export async function verify(options: VerifyOptions, deps: Deps): Promise<number> {
  const ref = options.tenant?.[0]?.trim();
  if (!ref || (options.tenant?.length ?? 0) > 1) {
    throw new UsageError('verify takes exactly one --tenant ID (or the name it was billed under), and --month YYYY-MM (default the previous month)');
  }
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  if (!ledgerMayExist(config)) {
    throw new WindowError(`no ledger at ${ledgerName(config)}: nothing has been billed, so there is nothing to verify`);
  }
  const ledger = await openLedger(config, deps);
  let stored: StoredBill;
  try {
    stored = await committedBill(ledger, await tenantInLedger(ledger, ref), window);
  } finally {
    await ledger.close();
  }

  const collector = await deps.openCollector(config, deps.secrets);
  let recomputed;
  try {
    recomputed = await recompute(config, collector, stored, window);
  } finally {
    await collector.close();
  }
  const { records: now, source, usageIn } = recomputed;
  const comparison = await compareUsage(
    stored.usage, stored.lines, now, config.main.currencyDigits, windowPrices(config, stored, window, usageIn),
  );

  const report = {
    tenantId: stored.tenantId, window, bill: stored.bill, source, storedRecords: stored.usage.length, nowRecords: now.length,
    comparison, currency: stored.bill.currency ?? config.main.currency, digits: config.main.currencyDigits,
    windowArgs: options.month ? `--month ${options.month}` : `--from ${formatTimestamp(window.start)} --to ${formatTimestamp(window.end)}`,
  };
  const out = new Output(deps, { json: options.json });
  out.stdout(options.json ? verifyJson(report) : verifyText(report, out.out));
  return comparison.fixedPoint ? EXIT.ok : EXIT.someFailed;
}
