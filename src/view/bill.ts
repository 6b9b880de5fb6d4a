/**
 * What `bill` and `usage` show: the progress of the batch (a redrawn line, `--verbose` lines, failures as
 * they happen) and, at the end, the outcomes as tables, `--json`, `--explain` or one `--quiet` line.
 */
import path from 'node:path';
import type { RunContext, RunResult } from '../billing/context.js';
import { formatMoney } from '../model/decimal.js';
import { holdsBill, type Busy, type Outcome } from '../model/outcome.js';
import { describeOwner } from '../model/owner.js';
import { formatTimestamp } from '../model/time.js';
import type { Ledger } from '../ledger.js';
import { formatDuration, type Output } from './output.js';
import { Progress } from './progress.js';
import {
  explainLines, explainText, withFallbacks, failuresText, linesTable, outcomesJson, paintStatus, summaryLine, summaryTable, type ExplainedLine,
} from './report.js';

/** Whether the end of the run shows each bill's lines as a table: a preview, or one tenant. */
function detailedView(options: RunContext['options'], outcomes: number): boolean {
  return Boolean(options.preview || options.dryRun || outcomes === 1);
}

/**
 * What the end of the run shows of a finished tenant's outcome, for a run over `tenants` tenants:
 * the batch keeps only that. Usage records are read at the end only by `--explain`; lines by
 * every view but `--quiet` (the summary table counts them). Without them a run of thousands of
 * tenants holds a few hundred bytes per tenant instead of tens of kilobytes, and its peak memory
 * does not grow with the tenants.
 */
export function reportedPart(options: RunContext['options'], tenants: number): (outcome: Outcome) => Outcome {
  if (options.explain) return (outcome) => outcome;
  const lines = !options.quiet || options.json || detailedView(options, tenants);
  if (lines) return (outcome) => ({ ...outcome, usage: [] });
  return (outcome) => ({ ...outcome, usage: [], lines: [] });
}

/** The batch as it goes: the progress line, a line per tenant with --verbose, failures as they happen. */
export class BatchProgress {
  private readonly progress: Progress | undefined;
  private readonly out: Output;

  constructor(private readonly ctx: RunContext, total: number, concurrency: number, dryRun: boolean) {
    const { out, window } = ctx;
    this.out = out;
    out.detail(`${dryRun ? 'previewing' : 'billing'} ${total} tenant${total === 1 ? '' : 's'} for ${window.label} ` +
      `[${formatTimestamp(window.start)}, ${formatTimestamp(window.end)}), ${Math.min(concurrency, Math.max(1, total))} at once`);
    this.progress = total > 1 ? new Progress(out, total, () => ctx.deps.now().getTime(), 100, dryRun ? 'previewing' : 'billing') : undefined;
  }

  done(o: Outcome, done: number, total: number): void {
    this.progress?.tick(`${o.tenant.name ?? o.tenant.id} ${o.status}`);
    if (this.out.verbose) this.out.detail(detailLine(o, done, total, this.ctx.config.main.currencyDigits, this.out));
    else if (o.status === 'failed' && this.out.progress) this.out.line(`${paintStatus(this.out.err, 'failed', 'failed')} ${o.tenant.name ?? o.tenant.id}: ${o.error}`);
  }

  finish(): void {
    this.progress?.finish();
  }
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
  if (o.status === 'failed' && o.error) parts.push(o.error);
  if (o.status === 'skipped' && o.reason) parts.push(o.reason);
  if (o.ms !== undefined) parts.push(`in ${formatDuration(o.ms)}`);
  return parts.join(' · ');
}

/** The end of a run: its outcomes, then the run's own errors and whether a signal cut it short. */
export async function printRun(ctx: RunContext, { outcomes, ledger, errors, interruptedBy }: RunResult): Promise<void> {
  const explain = ctx.options.explain ? await explainer(ledger, outcomes) : undefined;
  printOutcomes(ctx, outcomes, explain);
  for (const error of errors) ctx.out.error(error.message);
  if (interruptedBy) ctx.out.error(`the run was interrupted by ${interruptedBy}: tenants not billed are listed as failed; run it again to bill them`);
}

/** The explained lines of an outcome: from the ledger for a bill it holds (read here, once), else from memory. */
async function explainer(ledger: Ledger | undefined, outcomes: Outcome[]): Promise<(o: Outcome) => ExplainedLine[]> {
  const stored = new Map<string, ExplainedLine[]>();
  for (const o of outcomes) {
    if (ledger && o.billId && holdsBill(o)) {
      stored.set(o.billId, explainLines(await ledger.lines(o.billId), withFallbacks(await ledger.usage(o.billId), o.usage)));
    }
  }
  return (o) => (o.billId && stored.get(o.billId)) || explainLines(o.lines, o.usage);
}

function printOutcomes(ctx: RunContext, outcomes: Outcome[], explain: ((o: Outcome) => ExplainedLine[]) | undefined): void {
  const { options, out } = ctx;
  const digits = ctx.config.main.currencyDigits;
  if (options.json) {
    out.stdout(outcomesJson(outcomes, digits, { explain }));
    return;
  }
  if (out.quiet) {
    for (const o of outcomes) if (o.status === 'failed') out.error(`${o.tenant.id} ${o.window.label}: ${o.error}`);
    out.stdout(outcomes.length ? summaryLine(outcomes, digits) : 'no tenants with telemetry in this window\n');
    return;
  }
  if (outcomes.length === 0) {
    out.stdout('no tenants with telemetry in this window\n');
    return;
  }
  const detailed = detailedView(options, outcomes.length);
  if (detailed && !explain) {
    for (const o of outcomes.filter((o) => o.lines.length > 0)) out.stdout(`\n${o.tenant.name ?? o.tenant.id} ${o.window.label}\n${linesTable(o, digits)}`);
    out.stdout('\n');
  }
  if (explain) {
    for (const o of outcomes.filter((o) => o.status !== 'skipped' || o.skip === 'billed')) out.stdout(`\n${explainText(o, explain(o), digits)}`);
    out.stdout('\n');
  }
  printSummary(ctx, outcomes);
}

/** The summary table, the summary line, failures again after a long table, and warnings. */
function printSummary({ deps, out, config }: RunContext, outcomes: Outcome[]): void {
  const digits = config.main.currencyDigits;
  // Invoice files under the working directory are shown relative to it: shorter, and still a path.
  const shown = outcomes.map((o) => (o.invoice && path.isAbsolute(o.invoice) && o.invoice.startsWith(deps.cwd + path.sep)
    ? { ...o, invoice: path.relative(deps.cwd, o.invoice) } : o));
  out.stdout(summaryTable(shown, digits, out.out));
  out.stdout(summaryLine(outcomes, digits));
  if (outcomes.length > 1) out.stdout(failuresText(outcomes));
  const busy = outcomes.filter((o): o is Busy => o.status === 'skipped' && o.skip === 'busy');
  if (busy.length) {
    const holders = [...new Set(busy.map((o) => describeOwner(o.heldBy)))].join('; ');
    out.warn(`${busy.length} tenant${busy.length === 1 ? ' was' : 's were'} being billed by another run (${holders}): left to it; \`artifice status\` shows the claims`);
  }
  for (const o of outcomes.filter((o) => o.unpriced.length)) {
    out.warn(`${o.tenant.id}: no price for ${o.unpriced.join(', ')}; billed at 0 (allow_unpriced)`);
  }
}
