/**
 * Is the biller healthy? What `artifice status` shows and what every `bill` run writes to the
 * status file ([main] status_file, src/billing/status-file.ts) for a monitor: the last run and its errors, pending claims,
 * settled months not billed, and when the next run is expected.
 *
 * Decisions (README "Running it from cron"):
 * - Months are calendar months in [main] timezone. A month is *due* once it is billable
 *   (end + settle_hours) and *overdue* `grace_hours` later (default 24).
 * - The next run is expected by: the end of the month that holds `now − settle_hours`, plus
 *   settle_hours, plus grace_hours — i.e. one grace period after the next month becomes
 *   billable. A monitor alerts when `now` passes `next_run_expected_by` of the status file.
 * - Unbilled months are looked for per tenant the ledger knows (any bill row), month by month
 *   from the month of its first bill (at most LOOK_BACK_MONTHS before the last settled month)
 *   up to the last settled month. A month not covered by committed bills is reported when:
 *   its latest attempt failed, or a claim on it is pending with its owner gone, or a bill of it
 *   was voided and not billed again, or it is partly covered; or, with no bill row at all,
 *   when it is overdue and no `bill --all` run for exactly that month ran to its end (a missed
 *   or crashed cron run). A tenant absent from a completed `bill --all` run of the month had no
 *   telemetry then (`--all` bills tenants with telemetry) and is not reported.
 */
import type { Config } from '../config.js';
import { hostPid } from '../model/owner.js';
import type { Ledger, Owner, Run } from '../ledger.js';
import { ownerAlive, processAlive } from '../ledger/owner.js';
import { formatMonth, monthOf, monthWindow } from '../period.js';
import { formatTimestamp, toDate, US_PER_HOUR } from '../model/time.js';
import type { HealthContext } from './context.js';
import { LOOK_BACK_MONTHS, minusHours, unbilledMonths, type Unbilled } from './unbilled.js';

export type { HealthContext };

export interface PendingClaim {
  tenant: string;
  window: string;
  bill: string;
  owner: Owner | null;
  /** true/false, or null when it cannot be told from this host (another host's fresh heartbeat). */
  alive: boolean;
  claimed_at: string | null;
  heartbeat_at: string | null;
}

export interface RunView {
  id: string;
  command: string;
  args: string[];
  host: string;
  pid: number;
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  status: string;
  /** For a run still marked running: whether its process is still there (null: another host). */
  alive: boolean | null;
  errors: { tenant?: string; message: string }[];
  summary: unknown;
}

export interface Health {
  now: string;
  healthy: boolean;
  problems: string[];
  last_run: RunView | null;
  pending: PendingClaim[];
  unbilled: Unbilled[];
  checked: { from: string | null; through: string; months_back: number; rule: string };
  last_billed: Record<string, { start: string; end: string; window: string }>;
  next_run_expected_by: string;
}

export function nextRunExpectedBy(now: Date, config: Config): Date {
  const { settleHours, graceHours, timezone } = config.main;
  const next = monthWindow(monthOf(minusHours(now, settleHours), timezone), timezone);
  return toDate(next.end + Math.round((settleHours + graceHours) * US_PER_HOUR));
}

/** `2024-05` for a calendar month of [main] timezone, else the window's bounds. */
export function monthLabel(start: number, end: number, config: Config): string {
  const month = monthWindow(monthOf(toDate(start), config.main.timezone), config.main.timezone);
  return month.start === start && month.end === end ? month.label : `${formatTimestamp(start)}/${formatTimestamp(end)}`;
}

export function runView(run: Run, ctx: HealthContext): RunView {
  const started = Date.parse(run.startedAt);
  const finished = run.finishedAt ? Date.parse(run.finishedAt) : NaN;
  return {
    id: run.id,
    command: run.command,
    args: run.args,
    host: run.host,
    pid: run.pid,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    duration_ms: Number.isFinite(finished) ? finished - started : null,
    status: run.status,
    alive: run.status !== 'running' ? null : run.host === ctx.host ? processAlive(run.pid) : null,
    errors: run.errors,
    summary: run.summary,
  };
}

/** What is wrong with the last run, if anything: it failed, had failures, or never finished. */
function lastRunProblem(lastRun: RunView): string | undefined {
  if (lastRun.status === 'failed' || lastRun.status === 'partial') {
    return `the last run (${lastRun.command} ${lastRun.args.join(' ')}, ${lastRun.started_at}) ${lastRun.status === 'failed' ? 'failed' : 'had failures'}: ${lastRun.errors.length} error${lastRun.errors.length === 1 ? '' : 's'}`;
  }
  if (lastRun.status === 'running' && lastRun.alive === false) {
    return `the last run (${lastRun.started_at}, ${hostPid(lastRun)}) never finished: its process is gone`;
  }
  return undefined;
}

/** Overdue: the last bill run that finished was long enough ago that the next one should have come. */
async function overdueProblem(ledger: Ledger, ctx: HealthContext): Promise<string | undefined> {
  const finished = (await ledger.runs(1000)).find((r) => r.command === 'bill' && r.finishedAt);
  if (!finished) return undefined;
  const expected = nextRunExpectedBy(new Date(finished.startedAt), ctx.config);
  if (ctx.now.getTime() <= expected.getTime()) return undefined;
  return `no bill run has finished since ${finished.startedAt}; the next was expected by ${expected.toISOString()}`;
}

async function pendingClaims(ledger: Ledger, ctx: HealthContext): Promise<PendingClaim[]> {
  return (await ledger.pendingBills()).map((b) => ({
    tenant: b.tenant,
    window: monthLabel(b.start, b.end, ctx.config),
    bill: b.id,
    owner: b.owner,
    alive: ownerAlive(b.owner, b, ctx),
    claimed_at: b.claimedAt,
    heartbeat_at: b.heartbeatAt,
  }));
}

async function lastBilledOf(ledger: Ledger, config: Config): Promise<Health['last_billed']> {
  const entries: [string, Health['last_billed'][string]][] = [];
  for (const tenant of await ledger.tenants()) {
    const w = await ledger.lastBilledWindow(tenant.id);
    if (w) entries.push([tenant.id, { start: formatTimestamp(w.start), end: formatTimestamp(w.end), window: monthLabel(w.start, w.end, config) }]);
  }
  // fromEntries makes own keys: a tenant id such as __proto__ stays a key, not the prototype.
  return Object.fromEntries(entries);
}

export async function assessHealth(ledger: Ledger, ctx: HealthContext): Promise<Health> {
  const { config } = ctx;
  const last = await ledger.lastRun();
  const lastRun = last ? runView(last, ctx) : null;
  const pending = await pendingClaims(ledger, ctx);
  const { unbilled, from, through } = await unbilledMonths(ledger, ctx);
  const tenants = new Set(unbilled.map((u) => u.tenant)).size;
  const problems = [
    lastRun ? lastRunProblem(lastRun) : undefined,
    unbilled.length
      ? `${unbilled.length} settled month${unbilled.length === 1 ? ' is' : 's are'} not billed (${tenants} tenant${tenants === 1 ? '' : 's'})`
      : undefined,
    await overdueProblem(ledger, ctx),
  ].filter((p): p is string => p !== undefined);

  return {
    now: ctx.now.toISOString(),
    healthy: problems.length === 0,
    problems,
    last_run: lastRun,
    pending,
    unbilled,
    checked: {
      from: from ? formatMonth(from) : null,
      through: formatMonth(through),
      months_back: LOOK_BACK_MONTHS,
      rule: `each known tenant from the month of its first bill (at most ${LOOK_BACK_MONTHS} months back) through ${formatMonth(through)}, the last settled month`,
    },
    last_billed: await lastBilledOf(ledger, config),
    next_run_expected_by: nextRunExpectedBy(ctx.now, config).toISOString(),
  };
}
