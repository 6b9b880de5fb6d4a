/**
 * The metrics file ([main] metrics_file): what the status file says, as gauges for Prometheus,
 * written by every `bill` run next to the status file (whatever happened, once the config was
 * read) into node_exporter's textfile collector directory. Its families are listed in
 * docs/operations.md ("Metrics"); the data is the status file's, so both always agree.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { MainConfig } from '../config.js';
import { writeFileAtomic } from '../model/atomic-write.js';
import { errorMessage } from '../model/errors.js';
import { renderMetrics, type MetricFamily, type MetricSample } from '../view/metrics.js';
import type { StatusFile } from './status-file.js';

/** How a run can end, as the runs table records it; a run that never got a run row counts as failed. */
export const RUN_OUTCOMES = ['ok', 'partial', 'failed'] as const;
/** What becomes of a tenant in a run (src/model/outcome.ts). */
export const TENANT_OUTCOMES = ['committed', 'skipped', 'empty', 'failed'] as const;
/** A pending claim's holder: its process lives, is gone, or cannot be told from this host. */
const OWNERS = [['alive', true], ['gone', false], ['unknown', null]] as const;

/** Unix seconds of an ISO instant; undefined when there is none or it does not parse. */
function seconds(iso: string | null | undefined): number | undefined {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

const one = (value: number | undefined): MetricSample[] => (value === undefined ? [] : [{ value }]);

/** The run summary's counts and totals (the status file holds it untyped: it is the ledger's JSON). */
function summaryOf(status: StatusFile): { counts: Record<string, unknown>; totals: Record<string, unknown> } {
  const summary = status.run?.summary;
  const part = (key: string) => {
    const value = summary && typeof summary === 'object' ? (summary as Record<string, unknown>)[key] : undefined;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  return { counts: part('counts'), totals: part('totals') };
}

/** One sample per label value: 1 for the one that holds, 0 for the others. */
function oneOf(label: string, values: readonly string[], holds: string): MetricSample[] {
  return values.map((value) => ({ labels: { [label]: value }, value: value === holds ? 1 : 0 }));
}

/** What the status file does not hold: the exit code of a run without a run row, and [main] currency. */
export interface RunFacts {
  exitCode: number;
  /** Always has a sample in artifice_last_run_billed (0 when nothing was billed). */
  currency: string;
}

/** The run's part: when, how it ended, its tenants and what it billed. */
function runFamilies(status: StatusFile, run: RunFacts): MetricFamily[] {
  const { counts, totals } = summaryOf(status);
  const outcome = status.run?.status ?? 'failed';
  const billed = new Map<string, number>([[run.currency, 0]]);
  for (const [code, total] of Object.entries(totals)) billed.set(code, Number(total));
  return [
    { name: 'artifice_last_run_start_timestamp_seconds', type: 'gauge', help: 'When the last bill run started (unix seconds); absent when it stopped before the ledger was open.',
      samples: one(seconds(status.run?.started_at)) },
    { name: 'artifice_last_run_end_timestamp_seconds', type: 'gauge', help: 'When the last bill run ended and wrote this file (unix seconds).',
      samples: one(seconds(status.written_at)) },
    { name: 'artifice_last_run_outcome', type: 'gauge', help: 'How the last bill run ended: 1 for its outcome (ok, partial: some tenants failed, failed), 0 for the others.',
      samples: oneOf('outcome', RUN_OUTCOMES, (RUN_OUTCOMES as readonly string[]).includes(outcome) ? outcome : 'failed') },
    { name: 'artifice_last_run_exit_code', type: 'gauge', help: 'The exit code of the last bill run (0 billed, 1 some failed, 2 bad input, 3 nothing to bill).',
      samples: [{ value: run.exitCode }] },
    { name: 'artifice_last_run_errors', type: 'gauge', help: 'Errors of the last bill run (failed tenants and errors of the run itself).',
      samples: [{ value: status.errors.length }] },
    { name: 'artifice_last_run_tenants', type: 'gauge', help: 'Tenants of the last bill run by what became of them.',
      samples: TENANT_OUTCOMES.map((o) => ({ labels: { outcome: o }, value: typeof counts[o] === 'number' ? counts[o] : 0 })) },
    { name: 'artifice_last_run_billed', type: 'gauge', help: 'What the last bill run billed (committed bills), per currency, in units of that currency.',
      samples: [...billed].sort(([a], [b]) => a.localeCompare(b)).map(([code, value]) => ({ labels: { currency: code }, value })) },
  ];
}

/** The ledger's part: health, unbilled months, pending claims, when the next run is due. */
function healthFamilies(status: StatusFile): MetricFamily[] {
  return [
    { name: 'artifice_healthy', type: 'gauge', help: '1 when the status file says healthy (no errors in the last run, no unbilled settled month, no overdue run), else 0.',
      samples: [{ value: status.healthy ? 1 : 0 }] },
    { name: 'artifice_unbilled_months', type: 'gauge', help: 'Settled months not billed, counted per tenant and month (artifice status lists them).',
      samples: [{ value: status.unbilled.length }] },
    { name: 'artifice_pending_claims', type: 'gauge', help: 'Bills claimed and not finished, by whether their run is alive, gone (the next run resumes them) or unknown (another host).',
      samples: OWNERS.map(([owner, alive]) => ({ labels: { owner }, value: status.pending.filter((p) => (p.alive ?? null) === alive).length })) },
    { name: 'artifice_next_run_expected_timestamp_seconds', type: 'gauge', help: 'By when the next bill run is expected to have run (unix seconds): alert when time() passes it.',
      samples: one(seconds(status.next_run_expected_by)) },
  ];
}

/** The metrics file's text for `status`. */
export function metricsText(status: StatusFile, run: RunFacts): string {
  return renderMetrics([...runFamilies(status, run), ...healthFamilies(status)]);
}

export interface MetricsContext {
  config: { main: Pick<MainConfig, 'metricsFile' | 'currency'> };
  out: { error(text: string): void };
}

/** Writes the metrics file atomically and durably; throws a one-line error naming the key. */
export function writeMetricsFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, text);
  } catch (error) {
    throw new Error(`cannot write the metrics file ${file}: ${errorMessage(error)}; check [main] metrics_file`, { cause: error });
  }
}

/** After a run: the metrics file of `status`, when [main] metrics_file is set. Never throws: a failure is an error line. */
export function writeRunMetrics(ctx: MetricsContext, status: StatusFile, exitCode: number): void {
  const file = ctx.config.main.metricsFile;
  if (file === undefined) return;
  try {
    writeMetricsFile(file, metricsText(status, { exitCode, currency: ctx.config.main.currency }));
  } catch (error) {
    ctx.out.error(`${errorMessage(error)} (the monitor will see stale metrics)`);
  }
}
