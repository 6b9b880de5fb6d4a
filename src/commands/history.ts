/** `artifice history`: what the ledger holds. */
import { existsSync } from 'node:fs';
import type { Deps } from '../deps.js';
import type { StoredLine } from '../ledger.js';
import { UsageError } from '../model/errors.js';
import { resolveWindow, type WindowOptions } from '../period.js';
import { linesWhyJson, linesWhyTable } from '../view/lines.js';
import { renderTable } from '../view/table.js';
import { formatTimestamp } from '../model/time.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, tenantInLedger, windowLabel, type CommonOptions } from './common.js';

export interface HistoryOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  /** Each bill's lines too, with what priced each one. */
  lines?: boolean;
  json?: boolean;
}

export async function history(options: HistoryOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  if ((options.tenant?.length ?? 0) > 1) throw new UsageError('history takes one --tenant');
  // Without --month or --from/--to: every bill (not the default previous month of bill).
  const given = options.month !== undefined || options.from !== undefined || options.to !== undefined;
  const window = given ? resolveWindow(options, config.main.timezone, deps.now()) : undefined;
  if (!ledgerMayExist(config)) {
    // A read-only look never creates the ledger (nor its directory).
    deps.stdout(options.json ? `${JSON.stringify({ bills: [] }, null, 2)}\n` : `no ledger at ${ledgerName(config)} yet: nothing has been billed\n`);
    return 0;
  }
  const ledger = await openLedger(config, deps);
  try {
    const ref = options.tenant?.[0]?.trim();
    const bills = await ledger.bills({ tenant: ref ? await tenantInLedger(ledger, ref) : undefined, start: window?.start, end: window?.end });
    const lines = new Map<string, StoredLine[]>();
    if (options.lines) for (const b of bills) lines.set(b.id, await ledger.lines(b.id));
    if (options.json) {
      deps.stdout(`${JSON.stringify({
        bills: bills.map((b) => ({
          id: b.id, tenant: b.tenant, start: formatTimestamp(b.start), end: formatTimestamp(b.end), status: b.status,
          revision: b.revision, total: b.total, currency: b.currency, invoice: b.reference || null,
          committed_at: b.committedAt, error: b.error, void_reason: b.voidReason, voided_by: b.voidedBy, voided_at: b.voidedAt,
          ...(options.lines ? { lines: linesWhyJson(lines.get(b.id)!, config.main.currencyDigits) } : {}),
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
    if (options.lines) {
      for (const b of bills) {
        const billLines = lines.get(b.id)!;
        if (!billLines.length) continue;
        deps.stdout(`\n${b.tenant} ${windowLabel(b.start, b.end, config)} bill ${b.id.slice(0, 8)} (${b.status}, revision ${b.revision}):\n` +
          linesWhyTable(billLines, config.main.currencyDigits));
      }
    }
    return 0;
  } finally {
    await ledger.close();
  }
}
