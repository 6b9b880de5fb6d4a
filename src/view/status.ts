/** What `artifice status` shows on a terminal: the last run, pending claims, settled months not billed, missing invoices, and the verdict. */
import type { Config } from '../config.js';
import type { RunView } from '../billing/health.js';
import type { InvoicesHealth, StatusHealth } from '../billing/invoices.js';
import { hostPid } from '../model/owner.js';
import { formatDuration, type Output } from './output.js';
import { paintStatus } from './report.js';
import { renderTable } from './table.js';

/** Where the status file is and when it was written, as `status` reports it. */
export interface StatusFileView {
  path: string;
  exists: boolean;
  written_at: string | null;
  next_run_expected_by: string | null;
}

export function printHealth(out: Output, health: StatusHealth, file: StatusFileView, config: Config): void {
  const lines = [
    ...lastRunLines(out, health.last_run),
    `next run     expected by ${health.next_run_expected_by} (end of the month + settle_hours ${config.main.settleHours} + grace_hours ${config.main.graceHours})`,
    `status file  ${file.path}${file.exists ? `, written ${file.written_at}` : ' (not written yet: no bill run with this config)'}`,
  ];
  out.stdout(`${lines.join('\n')}\n`);

  out.stdout(`\npending claims: ${health.pending.length === 0 ? 'none\n' : '\n'}`);
  if (health.pending.length) {
    out.stdout(renderTable(
      [{ header: 'tenant' }, { header: 'window' }, { header: 'bill' }, { header: 'held by' }, { header: 'alive' }, { header: 'claimed' }, { header: 'heartbeat' }, { header: 'run' }],
      health.pending.map((p) => [
        p.tenant, p.window, p.bill.slice(0, 8), p.owner ? hostPid(p.owner) : '?',
        p.alive ? 'yes' : 'no (the next run resumes it)', p.claimed_at ?? '', p.heartbeat_at ?? '', p.owner?.runId ?? '',
      ]),
    ));
  }

  out.stdout(`\nsettled months not billed (${health.checked.rule}): ${health.unbilled.length === 0 ? 'none\n' : '\n'}`);
  if (health.unbilled.length) {
    out.stdout(renderTable(
      [{ header: 'tenant' }, { header: 'month' }, { header: 'why' }],
      health.unbilled.map((u) => [u.tenant_name ? `${u.tenant_name} (${u.tenant})` : u.tenant, u.month, u.why]),
    ));
  }

  printInvoices(out, health.invoices);

  out.stdout('\n');
  if (health.healthy) out.stdout(`${paintStatus(out.out, 'ok', 'healthy')}\n`);
  else out.stdout(`${paintStatus(out.out, 'failed', 'UNHEALTHY')}: ${health.problems.join('; ')}\n`);
}

/** The invoices of committed bills: all there, not checked (and why), or the first 20 missing. */
function printInvoices(out: Output, invoices: InvoicesHealth): void {
  const head = '\ninvoices of committed bills: ';
  if (!invoices.checked) {
    out.stdout(`${head}not checked (${invoices.bills} bill${invoices.bills === 1 ? '' : 's'}): ${invoices.reason}\n`);
    return;
  }
  if (invoices.missing.length === 0) {
    out.stdout(`${head}${invoices.bills === 0 ? 'none yet' : `all ${invoices.bills} there`}\n`);
    return;
  }
  out.stdout(`${head}${invoices.missing.length} of ${invoices.bills} missing (restore them, or void the bills and bill them again)\n`);
  out.stdout(renderTable(
    [{ header: 'tenant' }, { header: 'window' }, { header: 'bill' }, { header: 'committed' }, { header: 'invoice' }],
    invoices.missing.slice(0, 20).map((m) => [m.tenant_name ? `${m.tenant_name} (${m.tenant})` : m.tenant, m.window, m.bill.slice(0, 8), m.committed_at ?? '', m.invoice]),
  ));
  if (invoices.missing.length > 20) out.stdout(`…  ${invoices.missing.length - 20} more (artifice status --json lists them all)\n`);
}

/** The last run: what, where, when, how long, how it ended, and its first 20 errors. */
function lastRunLines(out: Output, run: RunView | null): string[] {
  if (!run) return ['last run     none recorded yet'];
  const took = run.duration_ms === null
    ? (run.status === 'running' ? (run.alive === false ? 'never finished: its process is gone' : 'still running') : '')
    : `took ${formatDuration(run.duration_ms)}`;
  const painted = paintStatus(out.out, run.status === 'ok' ? 'ok' : run.status === 'running' ? 'pending' : 'failed', run.status);
  const lines = [`last run     ${run.command} ${run.args.join(' ')} on ${hostPid(run)}: started ${run.started_at}, ${took}, ${painted}`];
  const summary = run.summary as { text?: string } | null;
  if (summary?.text) lines.push(`             ${summary.text}`);
  for (const e of run.errors.slice(0, 20)) lines.push(`  error      ${e.tenant ? `${e.tenant}: ` : ''}${e.message}`);
  if (run.errors.length > 20) lines.push(`  …          ${run.errors.length - 20} more (artifice status --json lists them all)`);
  return lines;
}
