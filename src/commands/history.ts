/** `artifice history`: what the ledger holds. */
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { resolveWindow } from '../period.js';
import { renderTable } from '../table.js';
import { formatTimestamp } from '../time.js';
import { openLedger, readConfig, tenantInLedger, windowLabel, type CommonOptions } from './common.js';

export interface HistoryOptions extends CommonOptions {
  tenant?: string[];
  month?: string;
  json?: boolean;
}

export async function history(options: HistoryOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  if ((options.tenant?.length ?? 0) > 1) throw new UsageError('history takes one --tenant');
  const window = options.month ? resolveWindow({ month: options.month }, config.main.timezone, deps.now()) : undefined;
  const ledger = openLedger(config);
  try {
    const ref = options.tenant?.[0]?.trim();
    const bills = ledger.bills({ tenant: ref ? tenantInLedger(ledger, ref) : undefined, start: window?.start, end: window?.end });
    if (options.json) {
      deps.stdout(`${JSON.stringify({
        bills: bills.map((b) => ({
          id: b.id, tenant: b.tenant, start: formatTimestamp(b.start), end: formatTimestamp(b.end), status: b.status,
          revision: b.revision, total: b.total, currency: b.currency, invoice: b.reference || null,
          committed_at: b.committedAt, error: b.error, void_reason: b.voidReason, voided_by: b.voidedBy, voided_at: b.voidedAt,
        })),
      }, null, 2)}\n`);
      return 0;
    }
    if (bills.length === 0) {
      deps.stdout('the ledger holds no bills for this selection\n');
      return 0;
    }
    deps.stdout(renderTable(
      [{ header: 'tenant' }, { header: 'window' }, { header: 'status' }, { header: 'rev', align: 'right' }, { header: 'total', align: 'right' }, { header: 'when' }, { header: 'invoice / note' }],
      bills.map((b) => [
        b.tenant,
        windowLabel(b.start, b.end, config),
        b.status,
        String(b.revision),
        b.total === null ? '' : `${b.total} ${b.currency ?? ''}`.trim(),
        b.voidedAt ?? b.committedAt ?? b.claimedAt ?? '',
        b.status === 'voided' ? `voided by ${b.voidedBy}: ${b.voidReason}` : b.status === 'failed' ? (b.error ?? '') : (b.reference ?? ''),
      ]),
    ));
    return 0;
  } finally {
    ledger.close();
  }
}
