/** `artifice bill`: bill windows for tenants, each recorded in the ledger exactly once. */
import path from 'node:path';
import { billTenants, type BillingContext, type Outcome } from '../billing.js';
import type { Deps } from '../deps.js';
import { loadInvoiceClass } from '../invoice/load.js';
import { exitCodeFor, linesTable, outcomesJson, summaryLine, summaryTable } from '../report.js';
import { openCollector } from '../telemetry/open.js';
import { openLedger, ownerOf, readConfig, selectTenants, windowOf, type SelectOptions } from './common.js';

export interface BillOptions extends SelectOptions {
  dryRun?: boolean;
  concurrency?: number;
  /** Read-only preview (the `usage` command): no ledger, no commit. */
  preview?: boolean;
}

export async function bill(options: BillOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  const { Adapter } = await loadInvoiceClass(config.main.invoiceObject, config.dir);
  const collector = await openCollector(config);
  const readOnly = Boolean(options.preview || options.dryRun);
  try {
    await collector.prepare?.();
    const tenants = await selectTenants(options, collector, window);
    const ledger = readOnly ? undefined : openLedger(config);
    try {
      const ctx: BillingContext = { config, collector, Adapter, ledger, owner: ownerOf(deps), now: deps.now, dryRun: readOnly };
      const runId = ledger?.startRun(options.preview ? 'usage' : 'bill', runArgs(options, window.label));
      const progress = deps.isTTY && !options.json && tenants.length > 1;
      const outcomes = await billTenants(ctx, tenants, window, {
        concurrency: options.concurrency ?? 4,
        onDone: progress ? (o, done, total) => deps.stderr(`\r${done}/${total} tenants (${o.tenant.id} ${o.status})\x1b[K`) : undefined,
      });
      if (progress) deps.stderr('\r\x1b[K');
      if (runId && ledger) {
        const failed = outcomes.filter((o) => o.status === 'failed');
        ledger.finishRun(runId, {
          status: failed.length === 0 ? 'ok' : failed.length === outcomes.length ? 'failed' : 'partial',
          summary: summaryLine(outcomes, config.main.currencyDigits).trim(),
          errors: failed.map((o) => ({ tenant: o.tenant.id, message: o.error ?? 'failed' })),
        });
      }
      print(outcomes, options, deps, config.main.currencyDigits);
      return exitCodeFor(outcomes);
    } finally {
      ledger?.close();
    }
  } finally {
    await collector.close();
  }
}

/** What the runs table records: the selection, never anything secret. */
function runArgs(options: BillOptions, label: string): string[] {
  return [
    ...(options.all ? ['--all'] : (options.tenant ?? []).flatMap((t) => ['--tenant', t])),
    label,
    ...(options.dryRun ? ['--dry-run'] : []),
  ];
}

function print(outcomes: Outcome[], options: BillOptions, deps: Deps, digits: number): void {
  if (options.json) {
    deps.stdout(outcomesJson(outcomes, digits));
    return;
  }
  if (outcomes.length === 0) {
    deps.stdout('no tenants with telemetry in this window\n');
    return;
  }
  const detailed = options.preview || outcomes.length === 1;
  if (detailed) {
    for (const o of outcomes.filter((o) => o.lines.length > 0)) {
      deps.stdout(`\n${o.tenant.name ?? o.tenant.id} ${o.window.label}\n${linesTable(o, digits)}`);
    }
    deps.stdout('\n');
  }
  // Invoice files under the working directory are shown relative to it: shorter, and still a path.
  const shown = outcomes.map((o) => (o.invoice && path.isAbsolute(o.invoice) && o.invoice.startsWith(deps.cwd + path.sep)
    ? { ...o, invoice: path.relative(deps.cwd, o.invoice) } : o));
  deps.stdout(summaryTable(shown, digits));
  deps.stdout(summaryLine(outcomes, digits));
  for (const o of outcomes.filter((o) => o.unpriced.length)) {
    deps.stderr(`warning: ${o.tenant.id}: no price for ${o.unpriced.join(', ')}; billed at 0 (allow_unpriced)\n`);
  }
}
