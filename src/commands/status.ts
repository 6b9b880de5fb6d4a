/**
 * `artifice status`: is the biller healthy? The last run (when, how long, its errors), pending
 * claims and whose they are, settled months not yet billed per known tenant, and when the
 * next run is expected. Read-only on the ledger (it is opened, never written, by this command;
 * a missing ledger is reported, not created).
 *
 * Exit codes: 0 healthy; 1 when the last run had errors or never finished, a settled month is
 * not billed (see src/health.ts for the exact rule), or no bill run has finished since the
 * next was expected; 2 bad config or an unreadable ledger.
 */
import fs from 'node:fs';
import type { Deps } from '../deps.js';
import { EXIT } from '../model/errors.js';
import { assessHealth, readStatusFile, type Health } from '../billing/health.js';
import { Output, formatDuration } from '../view/output.js';
import { paintStatus } from '../view/report.js';
import { renderTable } from '../view/table.js';
import { openLedger, readConfig, type CommonOptions } from './common.js';

export interface StatusOptions extends CommonOptions {
  json?: boolean;
}

export async function status(options: StatusOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  const out = new Output(deps, { json: options.json });
  const statusFile = readStatusFile(config.main.statusFile);
  if (!fs.existsSync(config.main.database)) {
    const message = `no ledger at ${config.main.database} yet: nothing has been billed with this config`;
    if (options.json) {
      out.stdout(`${JSON.stringify({ healthy: true, problems: [], note: message, ledger: config.main.database, last_run: null, pending: [], unbilled: [] }, null, 2)}\n`);
    } else {
      out.stdout(`${message}\n`);
    }
    return EXIT.ok;
  }
  const ledger = openLedger(config, deps);
  let health: Health;
  try {
    health = assessHealth(ledger, { config, now: deps.now(), host: deps.host });
  } finally {
    ledger.close();
  }
  const file = {
    path: config.main.statusFile,
    exists: statusFile !== undefined,
    written_at: statusFile?.written_at ?? null,
    next_run_expected_by: statusFile?.next_run_expected_by ?? null,
  };
  if (options.json) {
    out.stdout(`${JSON.stringify({ ...health, ledger: config.main.database, status_file: file }, null, 2)}\n`);
    return health.healthy ? EXIT.ok : EXIT.someFailed;
  }

  const s = out.out;
  const lines: string[] = [];
  const run = health.last_run;
  if (!run) {
    lines.push('last run     none recorded yet');
  } else {
    const took = run.duration_ms === null ? (run.status === 'running' ? (run.alive === false ? 'never finished: its process is gone' : 'still running') : '') : `took ${formatDuration(run.duration_ms)}`;
    lines.push(`last run     ${run.command} ${run.args.join(' ')} on ${run.host} pid ${run.pid}: started ${run.started_at}, ${took}, ${paintStatus(s, run.status === 'ok' ? 'ok' : run.status === 'running' ? 'pending' : 'failed', run.status)}`);
    const summary = run.summary as { text?: string } | null;
    if (summary?.text) lines.push(`             ${summary.text}`);
    for (const e of run.errors.slice(0, 20)) lines.push(`  error      ${e.tenant ? `${e.tenant}: ` : ''}${e.message}`);
    if (run.errors.length > 20) lines.push(`  …          ${run.errors.length - 20} more (artifice status --json lists them all)`);
  }
  lines.push(`next run     expected by ${health.next_run_expected_by} (end of the month + settle_hours ${config.main.settleHours} + grace_hours ${config.main.graceHours})`);
  lines.push(`status file  ${file.path}${file.exists ? `, written ${file.written_at}` : ' (not written yet: no bill run with this config)'}`);
  out.stdout(`${lines.join('\n')}\n`);

  out.stdout(`\npending claims: ${health.pending.length === 0 ? 'none\n' : '\n'}`);
  if (health.pending.length) {
    out.stdout(renderTable(
      [{ header: 'tenant' }, { header: 'window' }, { header: 'bill' }, { header: 'held by' }, { header: 'alive' }, { header: 'claimed' }, { header: 'heartbeat' }, { header: 'run' }],
      health.pending.map((p) => [
        p.tenant, p.window, p.bill.slice(0, 8), p.owner ? `${p.owner.host} pid ${p.owner.pid}` : '?',
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

  out.stdout('\n');
  if (health.healthy) {
    out.stdout(`${paintStatus(s, 'ok', 'healthy')}\n`);
    return EXIT.ok;
  }
  out.stdout(`${paintStatus(s, 'failed', 'UNHEALTHY')}: ${health.problems.join('; ')}\n`);
  return EXIT.someFailed;
}
