/**
 * Is the biller healthy? What `artifice status` shows and what every `bill` run writes to the
 * status file ([main] status_file) for a monitor: the last run and its errors, pending claims,
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
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { errorMessage } from '../model/errors.js';
import type { Bill, Ledger, Owner, Run } from '../ledger.js';
import { ownerAlive, processAlive } from '../ledger/owner.js';
import { formatMonth, monthOf, monthWindow, nextMonth, previousMonthOf, type Month } from '../period.js';
import { formatTimestamp, fromDate, toDate, US_PER_HOUR } from '../model/time.js';

export const LOOK_BACK_MONTHS = 24;
export const STATUS_FILE_VERSION = 1;

/** What `bill` stores as a run's summary in the `runs` table. */
export interface RunSummary {
  text: string;
  window: { label: string; start: string; end: string };
  all: boolean;
  /** The batch ran to its end over a window that was billable (not interrupted, not open). */
  complete: boolean;
  counts: Record<string, number>;
  totals: Record<string, string>;
  exit_code?: number;
}

export interface Unbilled {
  tenant: string;
  tenant_name: string | null;
  month: string;
  start: string;
  end: string;
  why: string;
}

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

export interface HealthContext {
  config: Config;
  now: Date;
  /** This host's name: a claim of this host is alive while its pid is. */
  host: string;
}

/** `now − hours` as a Date. */
function minusHours(now: Date, hours: number): Date {
  return toDate(fromDate(now) - Math.round(hours * US_PER_HOUR));
}

/** The latest month whose end is at least `hours` before now. */
function lastMonthEndedBy(now: Date, hours: number, timeZone: string): Month {
  return previousMonthOf(monthOf(minusHours(now, hours), timeZone));
}

export function nextRunExpectedBy(now: Date, config: Config): Date {
  const { settleHours, graceHours, timezone } = config.main;
  const next = monthWindow(monthOf(minusHours(now, settleHours), timezone), timezone);
  return toDate(next.end + Math.round((settleHours + graceHours) * US_PER_HOUR));
}

function monthLabel(start: number, end: number, config: Config): string {
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

function isSummary(value: unknown): value is RunSummary {
  return typeof value === 'object' && value !== null && 'window' in value && 'complete' in value;
}

/** [start, end) of windows fully covered by `bills`' windows? */
function covers(bills: Bill[], start: number, end: number): 'full' | 'part' | 'none' {
  const spans = bills.filter((b) => b.start < end && start < b.end).sort((a, b) => a.start - b.start);
  if (spans.length === 0) return 'none';
  let at = start;
  for (const span of spans) {
    if (span.start > at) return 'part';
    at = Math.max(at, span.end);
    if (at >= end) return 'full';
  }
  return 'part';
}

export function unbilledMonths(ledger: Ledger, ctx: HealthContext): { unbilled: Unbilled[]; from: Month | null; through: Month } {
  const { config } = ctx;
  const tz = config.main.timezone;
  const through = lastMonthEndedBy(ctx.now, config.main.settleHours, tz);
  const lastOverdue = lastMonthEndedBy(ctx.now, config.main.settleHours + config.main.graceHours, tz);
  const overdueEnd = monthWindow(lastOverdue, tz).end;
  let floor = through;
  for (let i = 1; i < LOOK_BACK_MONTHS; i++) floor = previousMonthOf(floor);
  const floorStart = monthWindow(floor, tz).start;
  const throughEnd = monthWindow(through, tz).end;

  const completeAll = new Set<string>();
  for (const run of ledger.runs(100_000)) {
    if (run.command === 'bill' && isSummary(run.summary) && run.summary.all && run.summary.complete) {
      completeAll.add(`${run.summary.window.start}/${run.summary.window.end}`);
    }
  }

  const byTenant = new Map<string, Bill[]>();
  for (const bill of ledger.bills()) {
    let list = byTenant.get(bill.tenant);
    if (!list) byTenant.set(bill.tenant, (list = []));
    list.push(bill);
  }

  const unbilled: Unbilled[] = [];
  let earliest: Month | null = null;
  for (const tenant of ledger.tenants()) {
    const bills = byTenant.get(tenant.id) ?? [];
    if (bills.length === 0) continue;
    const first = Math.max(Math.min(...bills.map((b) => b.start)), floorStart);
    if (first >= throughEnd) continue;
    let month = monthOf(toDate(first), tz);
    if (!earliest || monthWindow(month, tz).start < monthWindow(earliest, tz).start) earliest = month;
    const committed = bills.filter((b) => b.status === 'committed');
    for (; monthWindow(month, tz).start < throughEnd; month = nextMonth(month)) {
      const w = monthWindow(month, tz);
      const coverage = covers(committed, w.start, w.end);
      if (coverage === 'full') continue;
      const attempts = bills
        .filter((b) => b.status !== 'committed' && b.start < w.end && w.start < b.end)
        .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
      const latest = attempts[attempts.length - 1];
      let why: string | undefined;
      if (latest?.status === 'pending') {
        if (ownerAlive(latest.owner, latest, ctx)) continue; // being billed right now
        why = `pending, its run is gone (${latest.owner ? `${latest.owner.host} pid ${latest.owner.pid}` : 'no owner'}): the next bill run resumes it`;
      } else if (latest?.status === 'failed') {
        why = `failed: ${latest.error ?? 'no reason recorded'}`;
      } else if (latest?.status === 'voided') {
        why = `voided (${latest.voidReason ?? ''}) and not billed again`;
      } else if (coverage === 'part') {
        why = 'partly billed: committed bills cover only part of the month';
      } else if (w.end <= overdueEnd && !completeAll.has(`${formatTimestamp(w.start)}/${formatTimestamp(w.end)}`)) {
        why = `not billed, and no \`bill --all\` run for ${w.label} ran to its end (missed or crashed run?)`;
      }
      if (why) {
        unbilled.push({
          tenant: tenant.id, tenant_name: tenant.name, month: w.label, start: formatTimestamp(w.start), end: formatTimestamp(w.end), why,
        });
      }
    }
  }
  return { unbilled, from: earliest, through };
}

export function assessHealth(ledger: Ledger, ctx: HealthContext): Health {
  const { config } = ctx;
  const problems: string[] = [];
  const last = ledger.lastRun();
  const lastRun = last ? runView(last, ctx) : null;
  if (lastRun) {
    if (lastRun.status === 'failed' || lastRun.status === 'partial') {
      problems.push(`the last run (${lastRun.command} ${lastRun.args.join(' ')}, ${lastRun.started_at}) ${lastRun.status === 'failed' ? 'failed' : 'had failures'}: ${lastRun.errors.length} error${lastRun.errors.length === 1 ? '' : 's'}`);
    } else if (lastRun.status === 'running' && lastRun.alive === false) {
      problems.push(`the last run (${lastRun.started_at}, ${lastRun.host} pid ${lastRun.pid}) never finished: its process is gone`);
    }
  }

  const pending: PendingClaim[] = ledger.pendingBills().map((b) => ({
    tenant: b.tenant,
    window: monthLabel(b.start, b.end, config),
    bill: b.id,
    owner: b.owner,
    alive: ownerAlive(b.owner, b, ctx),
    claimed_at: b.claimedAt,
    heartbeat_at: b.heartbeatAt,
  }));

  const { unbilled, from, through } = unbilledMonths(ledger, ctx);
  if (unbilled.length) {
    const tenants = new Set(unbilled.map((u) => u.tenant)).size;
    problems.push(`${unbilled.length} settled month${unbilled.length === 1 ? ' is' : 's are'} not billed (${tenants} tenant${tenants === 1 ? '' : 's'})`);
  }

  // Overdue: the last bill run that finished was long enough ago that the next one should have come.
  const finished = ledger.runs(1000).find((r) => r.command === 'bill' && r.finishedAt);
  if (finished) {
    const expected = nextRunExpectedBy(new Date(finished.startedAt), config);
    if (ctx.now.getTime() > expected.getTime()) {
      problems.push(`no bill run has finished since ${finished.startedAt}; the next was expected by ${expected.toISOString()}`);
    }
  }

  // fromEntries makes own keys: a tenant id such as __proto__ stays a key, not the prototype.
  const lastBilled: Health['last_billed'] = Object.fromEntries(
    ledger.tenants().flatMap((tenant) => {
      const w = ledger.lastBilledWindow(tenant.id);
      return w ? [[tenant.id, { start: formatTimestamp(w.start), end: formatTimestamp(w.end), window: monthLabel(w.start, w.end, config) }]] : [];
    }),
  );

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
    last_billed: lastBilled,
    next_run_expected_by: nextRunExpectedBy(ctx.now, config).toISOString(),
  };
}

/** The status file of one `bill` run: what a monitor reads. */
export interface StatusFile {
  version: number;
  written_at: string;
  healthy: boolean;
  problems: string[];
  run: (Partial<RunView> & { exit_code: number; summary?: unknown }) | null;
  errors: { tenant?: string; message: string }[];
  last_billed: Health['last_billed'];
  unbilled: Unbilled[];
  pending: PendingClaim[];
  next_run_expected_by: string;
}

/** Writes `data` as JSON to `file` atomically (temp file in the same directory + rename). */
export function writeStatusFile(file: string, data: StatusFile): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Unique per write: two runs of one host (or two writes of one run) never share a temp file.
  const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    fs.writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`);
    fs.renameSync(temp, file);
  } catch (error) {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // nothing more to do
    }
    throw new Error(`cannot write the status file ${file}: ${errorMessage(error)}; check [main] status_file`, { cause: error });
  }
}

export function readStatusFile(file: string): StatusFile | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as StatusFile;
  } catch {
    return undefined;
  }
}
