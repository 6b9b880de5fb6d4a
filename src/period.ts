/**
 * Billing windows (docs/architecture.md, "Windows and time"): a month in a named zone, or any `--from/--to`, as a half-open
 * UTC window [start, end) in epoch microseconds; and the settle rule that says when a window
 * may be billed.
 */
import { TZDate } from '@date-fns/tz';
import { UsageError } from './model/errors.js';
import { formatTimestamp, fromDate, MAX_YEAR, MIN_YEAR, readTimestamp, US_PER_HOUR, US_PER_MS, type Micros } from './model/time.js';
import type { BillingWindow, Window } from './model/types.js';

export interface Month {
  year: number;
  month: number; // 1..12
}

const MONTH = /^(\d{4})-(\d{2})$/;

export function parseMonth(text: string): Month {
  const m = MONTH.exec(text.trim());
  const month = m ? Number(m[2]) : 0;
  // Years before 1970 are no telemetry's (and Date maps years below 100 to 19xx); after 2255
  // epoch microseconds are no longer exact.
  if (!m || month < 1 || month > 12 || Number(m[1]) < MIN_YEAR || Number(m[1]) > MAX_YEAR) {
    throw new UsageError(`--month must be a month as YYYY-MM (e.g. 2024-05) from ${MIN_YEAR} to ${MAX_YEAR}, got '${text}'`);
  }
  return { year: Number(m[1]), month };
}

export function formatMonth({ year, month }: Month): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}`;
}

/** First instant of the month in `timeZone`, as epoch microseconds. */
function monthStart({ year, month }: Month, timeZone: string): Micros {
  return new TZDate(year, month - 1, 1, timeZone).getTime() * US_PER_MS;
}

export function nextMonth({ year, month }: Month): Month {
  return month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
}

export function previousMonthOf({ year, month }: Month): Month {
  return month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 };
}

export function monthWindow(month: Month, timeZone: string): BillingWindow {
  return { start: monthStart(month, timeZone), end: monthStart(nextMonth(month), timeZone), label: formatMonth(month) };
}

/** The month that contains `now` in `timeZone`. */
export function monthOf(now: Date, timeZone: string): Month {
  const local = new TZDate(now.getTime(), timeZone);
  return { year: local.getFullYear(), month: local.getMonth() + 1 };
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const NAIVE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/i;

/**
 * A date or a date-time without an offset, read in the zone (as a person means it); ISO-8601
 * with `Z` or an offset, as given. The instant, or why the text is not one.
 */
export function readLocalInstant(text: string, timeZone: string): Micros | string {
  const value = text.trim();
  const local = DATE_ONLY.exec(value) ?? NAIVE.exec(value);
  if (!local) return readTimestamp(value);
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = ''] = local;
  // Checks the date (and the year range) the same way a time with an offset is checked.
  const result = readTimestamp(`${y}-${mo}-${d}T${h.padStart(2, '0')}:${mi.padStart(2, '0')}:${s.padStart(2, '0')}Z`);
  if (typeof result !== 'number') return result;
  // Fractions beyond microseconds are truncated, as parseTimestamp does.
  const micros = Number((frac + '000000').slice(0, 6));
  return new TZDate(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), timeZone).getTime() * US_PER_MS + micros;
}

/** `--from/--to` values, read by readLocalInstant. */
export function parseInstant(text: string, timeZone: string, flag: string): Micros {
  const result = readLocalInstant(text, timeZone);
  if (typeof result === 'number') return result;
  throw new UsageError(`${flag} must be an ISO-8601 date or time (e.g. 2024-05-01 or 2024-05-01T00:00:00Z), got '${text}': ${result}`);
}

export interface WindowOptions {
  month?: string;
  from?: string;
  to?: string;
}

/** The window a command works on: `--month`, `--from/--to`, or the previous month in the zone. */
export function resolveWindow(options: WindowOptions, timeZone: string, now: Date): BillingWindow {
  if (options.month !== undefined && (options.from !== undefined || options.to !== undefined)) {
    throw new UsageError('give either --month or --from/--to, not both');
  }
  if (options.from !== undefined || options.to !== undefined) {
    if (options.from === undefined || options.to === undefined) {
      throw new UsageError('--from and --to go together: give both');
    }
    const start = parseInstant(options.from, timeZone, '--from');
    const end = parseInstant(options.to, timeZone, '--to');
    if (end <= start) throw new UsageError(`--to (${formatTimestamp(end)}) must be after --from (${formatTimestamp(start)})`);
    return { start, end, label: `${formatTimestamp(start)}/${formatTimestamp(end)}` };
  }
  const month = options.month !== undefined ? parseMonth(options.month) : previousMonthOf(monthOf(now, timeZone));
  return monthWindow(month, timeZone);
}

/** When the window may be billed: late samples have until then to arrive. */
export function billableFrom(window: Window, settleHours: number): Micros {
  return window.end + Math.round(settleHours * US_PER_HOUR);
}

export function isBillable(window: Window, now: Date, settleHours: number): boolean {
  return fromDate(now) >= billableFrom(window, settleHours);
}
