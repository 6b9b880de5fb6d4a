/** `artifice void`: void a committed bill so its window can be billed again; nothing is deleted. */
import { existsSync } from 'node:fs';
import type { Deps } from '../deps.js';
import { LedgerError, UsageError } from '../model/errors.js';
import type { WindowOptions } from '../period.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, tenantInLedger, windowOf, type CommonOptions } from './common.js';

export interface VoidOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  reason?: string;
}

export async function voidBill(options: VoidOptions, deps: Deps): Promise<number> {
  const ref = options.tenant?.[0]?.trim();
  if (!ref || (options.tenant?.length ?? 0) > 1) throw new UsageError('void takes exactly one --tenant ID (or the name it was billed under)');
  if (options.month === undefined && options.from === undefined) throw new UsageError('void needs the window: --month YYYY-MM or --from/--to');
  const reason = options.reason?.trim();
  if (!reason) throw new UsageError('void needs --reason TEXT: why this bill is voided (kept in the ledger)');
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  if (!ledgerMayExist(config)) throw new LedgerError(`no ledger at ${ledgerName(config)}: nothing has been billed, so there is nothing to void`);
  const ledger = await openLedger(config, deps);
  try {
    const tenant = await tenantInLedger(ledger, ref);
    const who = `${deps.env.USER ?? deps.env.LOGNAME ?? 'unknown'}@${deps.host}`;
    const bill = await ledger.voidBill(tenant, window, reason, who);
    deps.stdout(
      `voided bill ${bill.id} of ${tenant} for ${window.label}` +
        (bill.reference ? ` (its invoice ${bill.reference} is left in place)` : '') +
        `\nbill it again with: artifice bill --tenant ${tenant} ${options.month ? `--month ${options.month}` : `--from ${options.from} --to ${options.to}`}\n`,
    );
    return 0;
  } finally {
    await ledger.close();
  }
}
