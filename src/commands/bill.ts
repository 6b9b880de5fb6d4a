/**
 * `artifice bill`: bill windows for tenants, each recorded in the ledger exactly once; and the
 * read-only preview that `usage` and `--dry-run` share.
 *
 * A real run (README "Running it from cron"):
 * - loads the adapter, checks the telemetry source and lists the tenants before it opens the
 *   ledger, so bad input (exit 2) writes nothing there; the status file still reports it;
 * - records itself in the ledger's `runs` table (errors included), so tenants that fail are
 *   visible in `status` and `history`;
 * - bills tenants `--concurrency` at a time (default [main] concurrency, 4) and never stops at
 *   a failed tenant;
 * - writes the status file ([main] status_file) at its end, whatever happened, once the config
 *   was read;
 * - on SIGINT/SIGTERM starts no new tenant, lets bills already committing finish, marks the
 *   others failed, records the run, and exits with the code of its outcomes; a second signal
 *   records the run and exits at once (bills in progress stay pending; the next run resumes them).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { billTenants, describeOwner, type BillingContext, type Outcome, type StopState } from '../billing/bill.js';
import type { Config } from '../config.js';
import { formatMoney } from '../model/decimal.js';
import type { Deps } from '../deps.js';
import { ArtificeError, EXIT, errorMessage } from '../model/errors.js';
import { assessHealth, nextRunExpectedBy, writeStatusFile, STATUS_FILE_VERSION, type RunSummary, type StatusFile } from '../billing/health.js';
import type { InvoiceClass } from '../invoice/contract.js';
import { loadAdapter } from '../invoice/load.js';
import { currentOwner, type Ledger, type RunError } from '../ledger.js';
import { Output, formatDuration } from '../view/output.js';
import { isBillable } from '../period.js';
import { Progress } from '../view/progress.js';
import {
  exitCodeFor, explainLines, explainText, failuresText, linesTable, outcomesJson, paintStatus, summaryJson, summaryLine, summaryTable,
  type ExplainedLine,
} from '../view/report.js';
import type { Collector } from '../telemetry/contract.js';
import { openCollector } from '../telemetry/open.js';
import { reportAfterRun } from '../report/page.js';
import { formatTimestamp } from '../model/time.js';
import { checkSelection, openLedger, readConfig, selectTenants, windowOf, type SelectOptions } from './common.js';
import type { BillingWindow, Tenant } from '../model/types.js';

export interface BillOptions extends SelectOptions {
  dryRun?: boolean;
  concurrency?: number;
  /** Read-only preview (the `usage` command): no ledger, no commit. */
  preview?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  explain?: boolean;
}

/** What `bill` takes from the world beyond Deps; tests inject these, the CLI uses the defaults. */
export interface BillDeps extends Deps {
  openCollector?: (config: Config) => Promise<Collector>;
  /** Subscribes to SIGINT/SIGTERM; the handler returns true when the process should exit now. Returns an unsubscribe. */
  onSignal?: (handler: (signal: string) => boolean) => () => void;
  heartbeatMs?: number;
}

/** The real process's signals: a second signal exits at once (130 for SIGINT, 143 for SIGTERM). */
export function processSignals(handler: (signal: string) => boolean): () => void {
  const on = (signal: NodeJS.Signals) => {
    if (handler(signal)) process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

export async function bill(options: BillOptions, deps: BillDeps): Promise<number> {
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  checkSelection(options);
  const out = new Output(deps, options);
  if (options.preview || options.dryRun) return preview(options, deps, config, window, out);
  return billRun(options, deps, config, window, out);
}

/** `usage` and `bill --dry-run`: nothing is written, no run is recorded. */
async function preview(options: BillOptions, deps: BillDeps, config: Config, window: BillingWindow, out: Output): Promise<number> {
  const { Adapter } = await loadAdapter(config);
  const collector = await (deps.openCollector ?? openCollector)(config);
  try {
    await collector.prepare?.();
    const tenants = await selectTenants(options, collector, window, config);
    const ctx: BillingContext = {
      config, collector, Adapter, owner: { host: deps.host, pid: deps.pid, runId: 'preview' }, now: deps.now, dryRun: true,
    };
    const outcomes = await runBatch(ctx, tenants, window, options, deps, out);
    print(outcomes, options, deps, out, config, undefined);
    return exitCodeFor(outcomes);
  } finally {
    await collector.close();
  }
}

async function runBatch(
  ctx: BillingContext, tenants: { id: string; name?: string }[], window: BillingWindow, options: BillOptions, deps: BillDeps, out: Output,
  seen: Outcome[] = [],
): Promise<Outcome[]> {
  const concurrency = options.concurrency ?? ctx.config.main.concurrency;
  out.detail(`${ctx.dryRun ? 'previewing' : 'billing'} ${tenants.length} tenant${tenants.length === 1 ? '' : 's'} for ${window.label} ` +
    `[${formatTimestamp(window.start)}, ${formatTimestamp(window.end)}), ${Math.min(concurrency, Math.max(1, tenants.length))} at once`);
  const progress = tenants.length > 1
    ? new Progress(out, tenants.length, () => deps.now().getTime(), 100, ctx.dryRun ? 'previewing' : 'billing')
    : undefined;
  const outcomes = await billTenants(ctx, tenants, window, {
    concurrency,
    onDone: (o, done, total) => {
      seen.push(o);
      progress?.tick(`${o.tenant.name ?? o.tenant.id} ${o.status}`);
      if (out.verbose) out.detail(detailLine(o, done, total, ctx.config.main.currencyDigits, out));
      else if (o.status === 'failed' && out.progress) out.line(`${paintStatus(out.err, 'failed', 'failed')} ${o.tenant.name ?? o.tenant.id}: ${o.error}`);
    },
  });
  progress?.finish();
  return outcomes;
}

/** `--verbose`: one line per tenant as it finishes. */
function detailLine(o: Outcome, done: number, total: number, digits: number, out: Output): string {
  const who = o.tenant.name ? `${o.tenant.name} (${o.tenant.id})` : o.tenant.id;
  const parts = [`[${done}/${total}] ${who} ${o.window.label} ${paintStatus(out.err, o.status)}`];
  if (o.status === 'committed' || o.status === 'preview' || o.status === 'empty') {
    parts.push(`${o.lines.length} line${o.lines.length === 1 ? '' : 's'} from ${o.usage.length} resource${o.usage.length === 1 ? '' : 's'}`);
    if (o.total) parts.push(`${formatMoney(o.total, digits)} ${o.currency}`);
    if (o.invoice) parts.push(o.invoice);
  }
  if (o.resumed) parts.push('resumed the pending bill of a run that is gone');
  if (o.asRecorded) parts.push('committed with the lines recorded before it stopped (not measured again)');
  const dropped = [
    ...(o.dropped.untrusted ? [`${o.dropped.untrusted} untrusted`] : []),
    ...(o.dropped.duplicates ? [`${o.dropped.duplicates} duplicate`] : []),
  ];
  if (dropped.length) parts.push(`dropped ${dropped.join(' and ')} sample${o.dropped.untrusted + o.dropped.duplicates === 1 ? '' : 's'}`);
  if (o.error) parts.push(o.error);
  if (o.reason) parts.push(o.reason);
  if (o.ms !== undefined) parts.push(`in ${formatDuration(o.ms)}`);
  return parts.join(' · ');
}

/** What the runs table records: the selection, never anything secret. */
function runArgs(options: BillOptions, label: string): string[] {
  return [...(options.all ? ['--all'] : (options.tenant ?? []).flatMap((t) => ['--tenant', t])), label];
}

async function billRun(options: BillOptions, deps: BillDeps, config: Config, window: BillingWindow, out: Output): Promise<number> {
  // Bad input (adapter spec, samples file, endpoints) fails here, before the ledger is opened:
  // such a run writes no bill and no run row, only the status file a monitor reads.
  let Adapter: InvoiceClass;
  let collector: Collector | undefined;
  let tenants: Tenant[];
  try {
    ({ Adapter } = await loadAdapter(config));
    collector = await (deps.openCollector ?? openCollector)(config);
    await collector.prepare?.();
    tenants = await selectTenants(options, collector, window, config);
  } catch (error) {
    await collector?.close();
    const ledger = existingLedger(config, deps);
    try {
      writeStatus(config, deps, out, ledger, { run: null, errors: [{ message: errorMessage(error) }], exitCode: exitOf(error) });
    } finally {
      ledger?.close();
    }
    throw error;
  }
  try {
    return await billTenantsRun(options, deps, config, window, out, Adapter, collector, tenants);
  } finally {
    await collector.close();
  }
}

/** The ledger for reading health into the status file, only when it already exists (never created here). */
function existingLedger(config: Config, deps: Deps): Ledger | undefined {
  if (!existsSync(config.main.database)) return undefined;
  try {
    return openLedger(config, deps);
  } catch {
    return undefined;
  }
}

async function billTenantsRun(
  options: BillOptions, deps: BillDeps, config: Config, window: BillingWindow, out: Output,
  Adapter: InvoiceClass, collector: Collector, tenants: Tenant[],
): Promise<number> {
  let ledger: Ledger;
  try {
    ledger = openLedger(config, deps);
  } catch (error) {
    // No ledger, no run row: the status file is all a monitor will see.
    writeStatus(config, deps, out, undefined, { run: null, errors: [{ message: errorMessage(error) }], exitCode: exitOf(error) });
    throw error;
  }
  try {
    let runId: string;
    try {
      runId = ledger.startRun('bill', runArgs(options, window.label));
    } catch (error) {
      writeStatus(config, deps, out, undefined, { run: null, errors: [{ message: errorMessage(error) }], exitCode: exitOf(error) });
      throw error;
    }
    const startedAt = ledger.run(runId)?.startedAt ?? deps.now().toISOString();
    const stop: StopState = { reason: null };
    const seen: Outcome[] = [];
    let signals = 0;
    const finish = (outcomes: Outcome[], fatal: unknown, complete: boolean, exitCode: number, extra: RunError[] = []) => {
      const failed = outcomes.filter((o) => o.status === 'failed');
      const errors: RunError[] = [...failed.map((o) => ({ tenant: o.tenant.id, message: o.error ?? 'failed' })), ...extra];
      if (fatal !== undefined) errors.push({ message: errorMessage(fatal) });
      const summary: RunSummary = {
        text: summaryLine(outcomes, config.main.currencyDigits).trim(),
        window: { label: window.label, start: formatTimestamp(window.start), end: formatTimestamp(window.end) },
        all: Boolean(options.all),
        complete,
        ...countsAndTotals(outcomes, config.main.currencyDigits),
        exit_code: exitCode,
      };
      const status = fatal !== undefined || extra.length ? 'failed' : errors.length === 0 ? 'ok' : failed.length === outcomes.length ? 'failed' : 'partial';
      try {
        ledger.finishRun(runId, { status, summary, errors });
      } catch (error) {
        out.error(`cannot record the run in the ledger: ${errorMessage(error)}`);
      }
      writeStatus(config, deps, out, ledger, {
        run: { id: runId, command: 'bill', args: runArgs(options, window.label), host: deps.host, pid: deps.pid, started_at: startedAt, status },
        errors, exitCode, summary,
      });
    };

    const unsubscribe = (deps.onSignal ?? processSignals)((signal) => {
      signals++;
      if (signals === 1) {
        stop.reason = signal;
        out.line(`artifice: ${signal}: finishing the bills in progress and starting no new ones; send ${signal} again to stop at once ` +
          '(bills in progress then stay pending and the next run resumes them)');
        return false;
      }
      finish(seen, undefined, false, EXIT.someFailed, [{ message: `stopped at once by a second ${signal}; bills in progress stay pending, the next run resumes them` }]);
      return true;
    });

    let outcomes: Outcome[] = [];
    let fatal: unknown;
    let complete = false;
    try {
      const ctx: BillingContext = {
        config, collector, Adapter, ledger, owner: currentOwner(runId, deps.pid, deps.host), now: deps.now, dryRun: false,
        heartbeatMs: deps.heartbeatMs, stop,
      };
      outcomes = await runBatch(ctx, tenants, window, options, deps, out, seen);
      complete = !stop.reason && isBillable(window, deps.now(), config.main.settleHours);
    } catch (error) {
      fatal = error;
    } finally {
      unsubscribe();
    }
    if (signals > 1) return EXIT.someFailed; // finished and recorded by the signal handler
    // --all found nobody, though tenants were billed before: more likely an empty or wrong
    // telemetry source than a cloud without tenants. Not a complete run, so status keeps the
    // month missing, and exit 1 so cron says so.
    const known = fatal === undefined && options.all && tenants.length === 0 ? ledger.tenants().length : 0;
    const nobody: RunError[] = known > 0
      ? [{ message: `--all found no tenant with telemetry in ${window.label} in ${collector.description}, though the ledger has bills of ${known} tenant${known === 1 ? '' : 's'}: check the telemetry source (artifice check)` }]
      : [];
    const code = fatal !== undefined ? exitOf(fatal) : nobody.length ? EXIT.someFailed : exitCodeFor(outcomes);
    finish(outcomes, fatal, complete && nobody.length === 0, code, nobody);
    if (fatal !== undefined) throw fatal;
    print(outcomes, options, deps, out, config, ledger);
    reportAfterRun(config, ledger, window, deps.now(), (text) => out.error(text));
    for (const error of nobody) out.error(error.message);
    if (stop.reason) out.error(`the run was interrupted by ${stop.reason}: tenants not billed are listed as failed; run it again to bill them`);
    return code;
  } finally {
    ledger.close();
  }
}

function countsAndTotals(outcomes: Outcome[], digits: number): { counts: Record<string, number>; totals: Record<string, string> } {
  const { tenants, totals, ...counts } = summaryJson(outcomes, digits);
  return { counts: { tenants, ...counts }, totals };
}

function exitOf(error: unknown): number {
  return error instanceof ArtificeError ? error.exitCode : EXIT.someFailed;
}

/** What the status file says about this run (the rest comes from the ledger). */
interface RunReport {
  /** The run row's identity; null when the ledger could not be opened (there is no run row). */
  run: { id: string; command: string; args: string[]; host: string; pid: number; started_at: string; status: string } | null;
  errors: RunError[];
  exitCode: number;
  summary?: unknown;
}

/** Writes the status file (never throws: a failure is an error line, the run's exit code stands). */
function writeStatus(config: Config, deps: Deps, out: Output, ledger: Ledger | undefined, run: RunReport): void {
  const now = deps.now();
  try {
    const health = ledger ? assessHealth(ledger, { config, now, host: deps.host }) : undefined;
    const problems = [...(run.errors.length ? [`this run had ${run.errors.length} error${run.errors.length === 1 ? '' : 's'}`] : []),
      ...(health?.problems.filter((p) => !p.startsWith('the last run')) ?? [])];
    const data: StatusFile = {
      version: STATUS_FILE_VERSION,
      written_at: now.toISOString(),
      healthy: problems.length === 0,
      problems,
      run: run.run ? { ...run.run, finished_at: now.toISOString(), exit_code: run.exitCode, summary: run.summary } : null,
      errors: run.errors,
      last_billed: health?.last_billed ?? {},
      unbilled: health?.unbilled ?? [],
      pending: health?.pending ?? [],
      next_run_expected_by: health?.next_run_expected_by ?? nextRunExpectedBy(now, config).toISOString(),
    };
    writeStatusFile(config.main.statusFile, data);
  } catch (error) {
    out.error(`${errorMessage(error)} (the monitor will see a stale status file)`);
  }
}


/** The explained lines of an outcome: from the ledger for a bill it holds, else from memory. */
function explainer(ledger: Ledger | undefined): (o: Outcome) => ExplainedLine[] {
  return (o) => {
    if (ledger && o.billId && (o.status === 'committed' || o.status === 'empty' || (o.status === 'skipped' && o.skip === 'billed'))) {
      return explainLines(ledger.lines(o.billId), ledger.usage(o.billId));
    }
    return explainLines(o.lines, o.usage);
  };
}

function print(outcomes: Outcome[], options: BillOptions, deps: Deps, out: Output, config: Config, ledger: Ledger | undefined): void {
  const digits = config.main.currencyDigits;
  const explain = options.explain ? explainer(ledger) : undefined;
  if (options.json) {
    out.stdout(outcomesJson(outcomes, digits, { explain }));
    return;
  }
  if (out.quiet) {
    for (const o of outcomes.filter((o) => o.status === 'failed')) out.error(`${o.tenant.id} ${o.window.label}: ${o.error}`);
    out.stdout(outcomes.length ? summaryLine(outcomes, digits) : 'no tenants with telemetry in this window\n');
    return;
  }
  if (outcomes.length === 0) {
    out.stdout('no tenants with telemetry in this window\n');
    return;
  }
  const detailed = options.preview || options.dryRun || outcomes.length === 1;
  if (detailed && !explain) {
    for (const o of outcomes.filter((o) => o.lines.length > 0)) {
      out.stdout(`\n${o.tenant.name ?? o.tenant.id} ${o.window.label}\n${linesTable(o, digits)}`);
    }
    out.stdout('\n');
  }
  if (explain) {
    for (const o of outcomes.filter((o) => o.status !== 'skipped' || o.skip === 'billed')) out.stdout(`\n${explainText(o, explain(o), digits)}`);
    out.stdout('\n');
  }
  // Invoice files under the working directory are shown relative to it: shorter, and still a path.
  const shown = outcomes.map((o) => (o.invoice && path.isAbsolute(o.invoice) && o.invoice.startsWith(deps.cwd + path.sep)
    ? { ...o, invoice: path.relative(deps.cwd, o.invoice) } : o));
  out.stdout(summaryTable(shown, digits, out.out));
  out.stdout(summaryLine(outcomes, digits));
  if (outcomes.length > 1) out.stdout(failuresText(outcomes));
  const busy = outcomes.filter((o) => o.status === 'skipped' && o.skip === 'busy');
  if (busy.length) {
    const holders = [...new Set(busy.map((o) => describeOwner(o.heldBy)))].join('; ');
    out.warn(`${busy.length} tenant${busy.length === 1 ? ' was' : 's were'} being billed by another run (${holders}): left to it; \`artifice status\` shows the claims`);
  }
  for (const o of outcomes.filter((o) => o.unpriced.length)) {
    out.warn(`${o.tenant.id}: no price for ${o.unpriced.join(', ')}; billed at 0 (allow_unpriced)`);
  }
}
