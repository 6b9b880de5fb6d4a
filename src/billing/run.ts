/**
 * The life cycle of a `bill` run (README "Running it from cron"), and the read-only preview that
 * `usage` and `--dry-run` share. A real run:
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
 * What the run shows at its end is the renderer's (src/view/bill.ts), called with the ledger open.
 */
import { existsSync } from 'node:fs';
import { openLedger, selectTenants } from '../commands/common.js';
import { EXIT, errorMessage, exitCodeOf } from '../model/errors.js';
import { outcomesExitCode, type Failed, type Outcome } from '../model/outcome.js';
import type { InvoiceClass } from '../invoice/contract.js';
import { loadAdapter } from '../invoice/load.js';
import { LedgerDamagedError, currentOwner, isLedgerUrl, type Ledger, type RunError } from '../ledger.js';
import { isBillable } from '../period.js';
import type { Collector } from '../telemetry/contract.js';
import { formatTimestamp } from '../model/time.js';
import type { Tenant } from '../model/types.js';
import { BatchProgress, reportedPart } from '../view/bill.js';
import { summaryJson, summaryLine } from '../view/report.js';
import { billTenants } from './batch.js';
import type { BillingContext, StopState } from './bill.js';
import type { BillOptions, Render, RunContext } from './context.js';
import type { RunSummary } from './context.js';
import { writeRunMetrics } from './metrics.js';
import { statusFileOf, writeStatusFile, type RunReport } from './status-file.js';
import { reportAfterRun } from '../report/page.js';

/** The run's input: the adapter, the open telemetry source, the selected tenants. */
interface Inputs {
  Adapter: InvoiceClass;
  collector: Collector;
  tenants: Tenant[];
}

/** Loads the adapter, opens and checks the telemetry source, selects the tenants; closes the source if that fails. */
async function openInputs(ctx: RunContext): Promise<Inputs> {
  const { config } = ctx;
  const { Adapter } = await loadAdapter(config);
  const collector = await ctx.deps.openCollector(config, ctx.deps.secrets);
  try {
    await collector.prepare?.();
    return { Adapter, collector, tenants: await selectTenants(ctx.options, collector, ctx.window, config) };
  } catch (error) {
    await collector.close();
    throw error;
  }
}

/** `usage` and `bill --dry-run`: nothing is written, no run is recorded. */
export async function previewRun(ctx: RunContext, render: Render): Promise<number> {
  const { Adapter, collector, tenants } = await openInputs(ctx);
  try {
    const { deps } = ctx;
    const billing: BillingContext = {
      config: ctx.config, collector, Adapter, owner: { host: deps.host, pid: deps.pid, runId: 'preview' }, now: deps.now, dryRun: true,
      heartbeatMs: deps.heartbeatMs, secrets: deps.secrets,
    };
    const outcomes = await runBatch(ctx, billing, tenants);
    await render({ outcomes, errors: [], interruptedBy: null });
    return outcomesExitCode(outcomes);
  } finally {
    await collector.close();
  }
}

async function runBatch(ctx: RunContext, billing: BillingContext, tenants: Tenant[], seen: Outcome[] = []): Promise<Outcome[]> {
  const concurrency = ctx.options.concurrency ?? ctx.config.main.concurrency;
  const progress = new BatchProgress(ctx, tenants.length, concurrency, billing.dryRun);
  const keep = reportedPart(ctx.options, tenants.length);
  try {
    return await billTenants(billing, tenants, ctx.window, {
      concurrency,
      onDone: (outcome, done, total) => {
        progress.done(outcome, done, total);
        const kept = keep(outcome);
        seen.push(kept);
        return kept;
      },
    });
  } finally {
    progress.finish(); // also when a damaged ledger stops the batch: the error line starts clean
  }
}

/** A real run: see the module comment. Returns the exit code; throws (after recording it) what stopped the run. */
export async function billRun(ctx: RunContext, render: Render): Promise<number> {
  // Bad input (adapter spec, samples file, endpoints) fails here, before the ledger is opened:
  // such a run writes no bill and no run row, only the status file a monitor reads.
  let inputs: Inputs;
  try {
    inputs = await openInputs(ctx);
  } catch (error) {
    const ledger = await existingLedger(ctx);
    try {
      await writeStatus(ctx, ledger, notStarted(error));
    } finally {
      await ledger?.close();
    }
    throw error;
  }
  try {
    return await withLedger(ctx, inputs, render);
  } finally {
    await inputs.collector.close();
  }
}

/** The ledger for reading health into the status file, only when it already exists (never created here). */
async function existingLedger(ctx: RunContext): Promise<Ledger | undefined> {
  if (!isLedgerUrl(ctx.config.main.database) && !existsSync(ctx.config.main.database)) return undefined;
  try {
    return await openLedger(ctx.config, ctx.deps);
  } catch {
    return undefined;
  }
}

/** The status file's account of a run that has no run row. */
function notStarted(error: unknown): RunReport {
  return { run: null, errors: [{ message: errorMessage(error) }], exitCode: exitCodeOf(error) };
}

async function withLedger(ctx: RunContext, inputs: Inputs, render: Render): Promise<number> {
  let ledger: Ledger;
  try {
    ledger = await openLedger(ctx.config, ctx.deps, ctx.options.concurrency ?? ctx.config.main.concurrency);
  } catch (error) {
    // No ledger, no run row: the status file is all a monitor will see.
    await writeStatus(ctx, undefined, notStarted(error));
    throw error;
  }
  try {
    let record: RunRecord;
    try {
      record = await RunRecord.start(ctx, ledger);
    } catch (error) {
      await writeStatus(ctx, undefined, notStarted(error));
      throw error;
    }
    return await recordedRun(ctx, inputs, record, render);
  } finally {
    await ledger.close();
  }
}

async function recordedRun(ctx: RunContext, inputs: Inputs, record: RunRecord, render: Render): Promise<number> {
  const { deps, config, window } = ctx;
  const stop: StopState = { reason: null };
  const seen: Outcome[] = [];
  const signals = listenForStop(ctx, stop, (signal) => record.finish({
    outcomes: seen, complete: false, exitCode: EXIT.someFailed,
    extra: [{ message: `stopped at once by a second ${signal}; bills in progress stay pending, the next run resumes them` }],
  }));
  let outcomes: Outcome[] = [];
  let fatal: unknown;
  let complete = false;
  try {
    const billing: BillingContext = {
      config, collector: inputs.collector, Adapter: inputs.Adapter, ledger: record.ledger, owner: currentOwner(record.id, deps.pid, deps.host),
      now: deps.now, dryRun: false, heartbeatMs: deps.heartbeatMs, secrets: deps.secrets, stop,
    };
    outcomes = await runBatch(ctx, billing, inputs.tenants, seen);
    complete = !stop.reason && isBillable(window, deps.now(), config.main.settleHours);
  } catch (error) {
    fatal = error;
  } finally {
    signals.unsubscribe();
  }
  if (signals.count() > 1) {
    await signals.recorded(); // finished and recorded by the signal handler
    return EXIT.someFailed;
  }
  const nobody = fatal === undefined ? await nobodyFound(ctx, inputs, record.ledger) : [];
  const exitCode = fatal !== undefined ? exitCodeOf(fatal) : nobody.length ? EXIT.someFailed : outcomesExitCode(outcomes);
  await record.finish({ outcomes, fatal, complete: complete && nobody.length === 0, exitCode, extra: nobody });
  if (fatal !== undefined) throw fatal;
  await render({ outcomes, ledger: record.ledger, errors: nobody, interruptedBy: stop.reason });
  // [main] report_html: the month's page for the cron mail to link (never changes the exit code).
  await reportAfterRun(config, record.ledger, window, deps.now(), (text) => ctx.out.error(text));
  return exitCode;
}

/**
 * `--all` found nobody, though tenants were billed before: more likely an empty or wrong
 * telemetry source than a cloud without tenants. Not a complete run, so status keeps the month
 * missing, and exit 1 so cron says so.
 */
async function nobodyFound(ctx: RunContext, inputs: Inputs, ledger: Ledger): Promise<RunError[]> {
  const known = ctx.options.all && inputs.tenants.length === 0 ? (await ledger.tenants()).length : 0;
  if (known === 0) return [];
  return [{
    message: `--all found no tenant with telemetry in ${ctx.window.label} in ${inputs.collector.description}, though the ledger has bills of ` +
      `${known} tenant${known === 1 ? '' : 's'}: check the telemetry source (artifice check)`,
  }];
}

/**
 * SIGINT/SIGTERM: the first asks the batch to stop; the second calls `atOnce` and exits once it has
 * recorded the run (Deps.onSignal). `recorded` settles when that recording is done.
 */
function listenForStop(
  ctx: RunContext, stop: StopState, atOnce: (signal: string) => Promise<void>,
): { count: () => number; unsubscribe: () => void; recorded: () => Promise<void> } {
  let signals = 0;
  let recording: Promise<void> = Promise.resolve();
  const unsubscribe = ctx.deps.onSignal((signal) => {
    signals++;
    if (signals === 1) {
      stop.reason = signal;
      ctx.out.line(`artifice: ${signal}: finishing the bills in progress and starting no new ones; send ${signal} again to stop at once ` +
        '(bills in progress then stay pending and the next run resumes them)');
      return false;
    }
    recording = atOnce(signal).catch(() => undefined);
    return recording;
  });
  return { count: () => signals, unsubscribe, recorded: () => recording };
}

/** What the runs table records: the selection, never anything secret. */
function runArgs(options: BillOptions, label: string): string[] {
  return [...(options.all ? ['--all'] : (options.tenant ?? []).flatMap((t) => ['--tenant', t])), label];
}

/** How a run ended, as `RunRecord.finish` records it. */
interface RunEnd {
  outcomes: Outcome[];
  /** What stopped the run, if something did. */
  fatal?: unknown;
  complete: boolean;
  exitCode: number;
  /** Errors of the run itself, beyond the failed tenants'. */
  extra: RunError[];
}

/** The run's row in the ledger: `finish` records how the run ended there and in the status file. */
class RunRecord {
  private constructor(
    private readonly ctx: RunContext,
    readonly ledger: Ledger,
    readonly id: string,
    private readonly startedAt: string,
  ) {}

  static async start(ctx: RunContext, ledger: Ledger): Promise<RunRecord> {
    const { deps } = ctx;
    const id = await ledger.startRun('bill', runArgs(ctx.options, ctx.window.label), { host: deps.host, pid: deps.pid });
    return new RunRecord(ctx, ledger, id, (await ledger.run(id))?.startedAt ?? deps.now().toISOString());
  }

  async finish({ outcomes, fatal, complete, exitCode, extra }: RunEnd): Promise<void> {
    const { config, window, options, deps } = this.ctx;
    const failed = outcomes.filter((o): o is Failed => o.status === 'failed');
    const errors: RunError[] = [...failed.map((o) => ({ tenant: o.tenant.id, message: o.error })), ...extra];
    if (fatal !== undefined) errors.push({ message: errorMessage(fatal) });
    const { tenants, totals, ...counts } = summaryJson(outcomes, config.main.currencyDigits);
    const summary: RunSummary = {
      text: summaryLine(outcomes, config.main.currencyDigits).trim(),
      window: { label: window.label, start: formatTimestamp(window.start), end: formatTimestamp(window.end) },
      all: Boolean(options.all),
      complete,
      counts: { tenants, ...counts },
      totals,
      exit_code: exitCode,
    };
    const status = fatal !== undefined || extra.length ? 'failed' : errors.length === 0 ? 'ok' : failed.length === outcomes.length ? 'failed' : 'partial';
    // A damaged ledger is written no more, nor read for the status file's health (docs/ledger.md, "Integrity").
    const ledger = fatal instanceof LedgerDamagedError ? undefined : this.ledger;
    try {
      // A message may quote what a server echoed: the ledger keeps it without the secrets.
      await ledger?.finishRun(this.id, { status, summary, errors: deps.secrets.redactValue(errors) });
    } catch (error) {
      this.ctx.out.error(`cannot record the run in the ledger: ${errorMessage(error)}`);
    }
    await writeStatus(this.ctx, ledger, {
      run: { id: this.id, command: 'bill', args: runArgs(options, window.label), host: deps.host, pid: deps.pid, started_at: this.startedAt, status },
      errors, exitCode, summary,
    });
  }
}

/** Writes the status file (never throws: a failure is an error line, the run's exit code stands). */
async function writeStatus(ctx: RunContext, ledger: Ledger | undefined, report: RunReport): Promise<void> {
  try {
    const data = await statusFileOf(report, ledger, { config: ctx.config, now: ctx.deps.now(), host: ctx.deps.host });
    writeRunMetrics(ctx, data, report.exitCode); // [main] metrics_file, if set; never throws
    writeStatusFile(ctx.config.main.statusFile, data, ctx.deps.secrets);
  } catch (error) {
    ctx.out.error(`${errorMessage(error)} (the monitor will see a stale status file)`);
  }
}
