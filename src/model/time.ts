/**
 * Instants inside artifice are epoch microseconds held in a JS number (exact up to 2^53 µs,
 * i.e. until year 2255). A `Date` holds only milliseconds, and Ceilometer timestamps carry
 * microseconds, so parsing goes through this module and never through `new Date(string)` alone.
 */
export type Micros = number;

export const US_PER_MS = 1000;
export const US_PER_SECOND = 1_000_000;
export const US_PER_HOUR = 3_600_000_000;

/** Years an instant may have: before 1970 is no telemetry's; after 2255 epoch µs stop being exact in a double. */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 2255;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO-8601 timestamp to epoch microseconds. A string without an offset is UTC
 * (Ceilometer's naive timestamps); fractions beyond microseconds are truncated.
 * Returns undefined for anything that is not such a timestamp (readTimestamp says why).
 */
export function parseTimestamp(text: string): Micros | undefined {
  const result = readTimestamp(text);
  return typeof result === 'number' ? result : undefined;
}

/** parseTimestamp, or what is wrong with the text (`not an ISO-8601 time`, `year 0050 …`), for messages. */
export function readTimestamp(text: string): Micros | string {
  const m = ISO.exec(text.trim());
  if (!m) return 'not an ISO-8601 time';
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return 'not a date and time that exists';
  }
  if (year < MIN_YEAR || year > MAX_YEAR) return `year ${y} is out of range: use a year from ${MIN_YEAR} to ${MAX_YEAR}`;
  // Not Date.UTC: it reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(Number(h), Number(mi), Number(s), 0);
  // 31 February rolls over into March: reject dates that do not exist.
  if (date.getUTCDate() !== day) return 'not a date and time that exists';
  const micros = Number((frac + '000000').slice(0, 6));
  let offsetUs = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const [hours, minutes] = [Number(digits.slice(0, 2)), Number(digits.slice(2, 4))];
    // Real offsets run from -12:00 to +14:00; ±14:00 either way is enough to refuse +99:99.
    if (minutes > 59 || hours * 60 + minutes > 14 * 60) return `offset ${zone} is out of range: use one from -14:00 to +14:00`;
    offsetUs = sign * (hours * 60 + minutes) * 60 * US_PER_SECOND;
  }
  const us = date.getTime() * US_PER_MS + micros - offsetUs;
  // The last hours of 2255 (with an offset, a few more) are past 2^53 µs.
  if (!Number.isSafeInteger(us)) return `it is beyond ${formatTimestamp(Number.MAX_SAFE_INTEGER)}, the last instant artifice can hold exactly`;
  return us;
}

export function fromDate(date: Date): Micros {
  return date.getTime() * US_PER_MS;
}

export function toDate(us: Micros): Date {
  return new Date(Math.floor(us / US_PER_MS));
}

/** ISO-8601 UTC with a `Z`; microseconds are shown only when the instant has them. */
export function formatTimestamp(us: Micros): string {
  const ms = Math.floor(us / US_PER_MS);
  const rest = us - ms * US_PER_MS;
  const iso = new Date(ms).toISOString();
  if (rest === 0) return iso.endsWith('.000Z') ? iso.replace('.000Z', 'Z') : iso;
  return `${iso.slice(0, 23)}${String(rest).padStart(3, '0')}Z`;
}

/** Naive UTC without offset, as Ceilometer's query parser wants it (offsets are dropped, not converted). */
export function formatNaiveUtc(us: Micros): string {
  return formatTimestamp(us).replace(/Z$/, '');
}
