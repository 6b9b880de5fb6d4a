import { UsageError } from '../src/model/errors.js';
import {
  billableFrom,
  formatMonth,
  isBillable,
  monthOf,
  monthWindow,
  parseInstant,
  parseMonth,
  resolveWindow,
} from '../src/period.js';

/** ISO → epoch µs, computed independently of src/time.ts. */
const us = (iso: string): number => {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad test timestamp ${iso}`);
  return ms * 1000;
};
const HOUR = 3_600_000_000;
const DAY = 24 * HOUR;
const LA = 'America/Los_Angeles';
const AKL = 'Pacific/Auckland';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return error as UsageError;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('parseMonth', () => {
  it('reads YYYY-MM', () => {
    expect(parseMonth('2024-05')).toEqual({ year: 2024, month: 5 });
    expect(parseMonth('1999-12')).toEqual({ year: 1999, month: 12 });
    expect(parseMonth(' 2024-01 ')).toEqual({ year: 2024, month: 1 });
    expect(formatMonth({ year: 2024, month: 5 })).toBe('2024-05');
  });

  it.each(['2024-13', '2024-00', 'May', '2024-5', '24-05', '2024/05', '2024-05-01', '', '0024-05', '1969-12', '2256-01'])('rejects %p with a UsageError naming it', (text) => {
    const error = usageError(() => parseMonth(text));
    expect(error.message).toContain(`'${text}'`);
    expect(error.message).toContain('YYYY-MM');
    expect(error.exitCode).toBe(2);
  });
});

describe('monthWindow: [first instant of the month, first instant of the next) in the zone', () => {
  it('2024-05 in UTC', () => {
    expect(monthWindow({ year: 2024, month: 5 }, 'UTC')).toEqual({
      start: us('2024-05-01T00:00:00Z'), end: us('2024-06-01T00:00:00Z'), label: '2024-05',
    });
  });

  it('2024-05 in Pacific/Auckland (UTC+12)', () => {
    const w = monthWindow({ year: 2024, month: 5 }, AKL);
    expect(w.start).toBe(us('2024-04-30T12:00:00Z'));
    expect(w.end).toBe(us('2024-05-31T12:00:00Z'));
  });

  it('2024-05 in America/Los_Angeles (UTC-7)', () => {
    const w = monthWindow({ year: 2024, month: 5 }, LA);
    expect(w.start).toBe(us('2024-05-01T07:00:00Z'));
    expect(w.end).toBe(us('2024-06-01T07:00:00Z'));
  });

  it('December rolls into the next year', () => {
    const w = monthWindow({ year: 2023, month: 12 }, LA);
    expect(w.start).toBe(us('2023-12-01T08:00:00Z'));
    expect(w.end).toBe(us('2024-01-01T08:00:00Z'));
  });

  it('2024-03 in Los Angeles loses an hour to DST (31 days − 1 h)', () => {
    const w = monthWindow({ year: 2024, month: 3 }, LA);
    expect(w.start).toBe(us('2024-03-01T08:00:00Z'));
    expect(w.end).toBe(us('2024-04-01T07:00:00Z'));
    expect(w.end - w.start).toBe(31 * DAY - HOUR);
  });

  it('2024-11 in Los Angeles gains an hour (30 days + 1 h)', () => {
    const w = monthWindow({ year: 2024, month: 11 }, LA);
    expect(w.end - w.start).toBe(30 * DAY + HOUR);
  });

  it('2024-04 in Auckland gains an hour when NZDT ends (30 days + 1 h)', () => {
    const w = monthWindow({ year: 2024, month: 4 }, AKL);
    expect(w.start).toBe(us('2024-03-31T11:00:00Z'));
    expect(w.end).toBe(us('2024-04-30T12:00:00Z'));
    expect(w.end - w.start).toBe(30 * DAY + HOUR);
  });

  it('2024-09 in Auckland loses an hour when NZDT starts (30 days − 1 h)', () => {
    const w = monthWindow({ year: 2024, month: 9 }, AKL);
    expect(w.end - w.start).toBe(30 * DAY - HOUR);
  });

  it('consecutive months are back to back', () => {
    for (const zone of ['UTC', LA, AKL]) {
      for (let month = 1; month < 12; month++) {
        expect(monthWindow({ year: 2024, month }, zone).end).toBe(monthWindow({ year: 2024, month: month + 1 }, zone).start);
      }
    }
  });
});

describe('the default window: the previous month of now, in the zone', () => {
  it('2024-06-01T05:00Z is still May 31 in Los Angeles: the previous month is April', () => {
    const now = new Date('2024-06-01T05:00:00Z');
    expect(monthOf(now, LA)).toEqual({ year: 2024, month: 5 });
    const w = resolveWindow({}, LA, now);
    expect(w.label).toBe('2024-04');
    expect(w.start).toBe(us('2024-04-01T07:00:00Z'));
    expect(w.end).toBe(us('2024-05-01T07:00:00Z'));
  });

  it('the same instant in UTC is June: the previous month is May', () => {
    const w = resolveWindow({}, 'UTC', new Date('2024-06-01T05:00:00Z'));
    expect(w.label).toBe('2024-05');
    expect(w.start).toBe(us('2024-05-01T00:00:00Z'));
  });

  it('2024-05-31T13:00Z is already June 1 in Auckland: the previous month is May', () => {
    const w = resolveWindow({}, AKL, new Date('2024-05-31T13:00:00Z'));
    expect(w.label).toBe('2024-05');
    expect(w.start).toBe(us('2024-04-30T12:00:00Z'));
  });

  it('in January the previous month is December of the year before', () => {
    expect(resolveWindow({}, 'UTC', new Date('2025-01-15T00:00:00Z')).label).toBe('2024-12');
  });

  it('--month is read in the zone', () => {
    const w = resolveWindow({ month: '2024-05' }, AKL, new Date('2030-01-01T00:00:00Z'));
    expect(w).toEqual({ start: us('2024-04-30T12:00:00Z'), end: us('2024-05-31T12:00:00Z'), label: '2024-05' });
  });

  it('a bad --month is a UsageError', () => {
    usageError(() => resolveWindow({ month: '2024-13' }, 'UTC', new Date()));
  });
});

describe('--from/--to', () => {
  const now = new Date('2024-07-01T00:00:00Z');

  it('a date or naive date-time is read in the zone', () => {
    expect(parseInstant('2024-05-01', LA, '--from')).toBe(us('2024-05-01T07:00:00Z'));
    expect(parseInstant('2024-05-01T12:30', AKL, '--from')).toBe(us('2024-05-01T00:30:00Z'));
    expect(parseInstant('2024-05-01 12:30:15', AKL, '--from')).toBe(us('2024-05-01T00:30:15Z'));
    // With a fraction, or a lower-case t, it is still naive: read in the zone, not as UTC.
    expect(parseInstant('2024-05-01T12:30:00.000', AKL, '--from')).toBe(us('2024-05-01T00:30:00Z'));
    expect(parseInstant('2024-05-01T12:30:15.250001', AKL, '--from')).toBe(us('2024-05-01T00:30:15Z') + 250_001);
    expect(parseInstant('2024-05-01t12:30', AKL, '--from')).toBe(us('2024-05-01T00:30:00Z'));
  });

  it('a time with Z or an offset is taken as given, whatever the zone', () => {
    expect(parseInstant('2024-05-01T00:00:00Z', LA, '--from')).toBe(us('2024-05-01T00:00:00Z'));
    expect(parseInstant('2024-05-01T10:00:00+02:00', AKL, '--from')).toBe(us('2024-05-01T08:00:00Z'));
    expect(parseInstant('2024-05-01T00:00:00.000123Z', 'UTC', '--from')).toBe(us('2024-05-01T00:00:00Z') + 123);
  });

  it('gives a half-open window labelled start/end', () => {
    const w = resolveWindow({ from: '2024-05-10', to: '2024-05-20T00:00:00Z' }, LA, now);
    expect(w.start).toBe(us('2024-05-10T07:00:00Z'));
    expect(w.end).toBe(us('2024-05-20T00:00:00Z'));
    expect(w.label).toBe('2024-05-10T07:00:00Z/2024-05-20T00:00:00Z');
  });

  it('only one of them is a UsageError', () => {
    expect(usageError(() => resolveWindow({ from: '2024-05-01' }, 'UTC', now)).message).toContain('--from and --to');
    expect(usageError(() => resolveWindow({ to: '2024-05-01' }, 'UTC', now)).message).toContain('--from and --to');
  });

  it('--to at or before --from is a UsageError', () => {
    usageError(() => resolveWindow({ from: '2024-05-02', to: '2024-05-01' }, 'UTC', now));
    const error = usageError(() => resolveWindow({ from: '2024-05-01T00:00:00Z', to: '2024-05-01T00:00:00Z' }, 'UTC', now));
    expect(error.message).toContain('must be after');
  });

  it('an instant read in the zone can equal one given in UTC', () => {
    // 2024-05-01 in Los Angeles is 07:00Z: a window ending there is empty.
    usageError(() => resolveWindow({ from: '2024-05-01', to: '2024-05-01T07:00:00Z' }, LA, now));
  });

  it.each(['yesterday', '2024-02-30', '2024-05-01T25:00', '2024-13-01', '1714521600'])('junk %p names the flag', (text) => {
    const error = usageError(() => resolveWindow({ from: text, to: '2024-06-01T00:00:00Z' }, 'UTC', now));
    expect(error.message).toContain('--from');
    expect(error.message).toContain(`'${text}'`);
  });

  it.each([
    ['0050-01-01', 'year 0050 is out of range: use a year from 1970 to 2255'],
    ['0050-01-01T00:00:00Z', 'year 0050 is out of range: use a year from 1970 to 2255'],
    ['1969-12-31T12:00', 'year 1969 is out of range: use a year from 1970 to 2255'],
    ['2300-01-01', 'year 2300 is out of range: use a year from 1970 to 2255'],
    ['2024-05-01T00:00:00+99:99', 'offset +99:99 is out of range: use one from -14:00 to +14:00'],
  ])('%p is refused with the reason, not read as another instant', (text, reason) => {
    const error = usageError(() => resolveWindow({ from: text, to: '2024-06-01T00:00:00Z' }, LA, now));
    expect(error.message).toBe(`--from must be an ISO-8601 date or time (e.g. 2024-05-01 or 2024-05-01T00:00:00Z), got '${text}': ${reason}`);
  });

  it('--month together with --from/--to is a UsageError', () => {
    usageError(() => resolveWindow({ month: '2024-05', from: '2024-05-01', to: '2024-05-02' }, 'UTC', now));
  });
});

describe('the settle rule', () => {
  const may = monthWindow({ year: 2024, month: 5 }, 'UTC');

  it('billable from end + settle_hours', () => {
    expect(billableFrom(may, 6)).toBe(us('2024-06-01T06:00:00Z'));
    expect(billableFrom(may, 0.5)).toBe(us('2024-06-01T00:30:00Z'));
    expect(billableFrom(may, 0)).toBe(may.end);
  });

  it('false 1 ms before, true at the instant', () => {
    expect(isBillable(may, new Date('2024-06-01T05:59:59.999Z'), 6)).toBe(false);
    expect(isBillable(may, new Date('2024-06-01T06:00:00.000Z'), 6)).toBe(true);
    expect(isBillable(may, new Date('2024-06-01T06:00:00.001Z'), 6)).toBe(true);
  });

  it('false 1 µs before end + settle, true at it (window ends on a microsecond)', () => {
    // A Date holds milliseconds: move the window end instead of `now`.
    const now = new Date('2024-06-01T06:00:00Z');
    const oneMicroLater = { start: may.start, end: may.end + 1 };
    expect(isBillable(oneMicroLater, now, 6)).toBe(false);
    expect(isBillable(may, now, 6)).toBe(true);
  });

  it('an open window (now inside it) is never billable', () => {
    expect(isBillable(may, new Date('2024-05-20T00:00:00Z'), 0)).toBe(false);
  });
});
