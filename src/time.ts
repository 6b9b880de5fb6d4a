/**
 * Instants inside artifice are epoch microseconds held in a JS number (exact up to 2^53 µs,
 * i.e. until year 2255). A `Date` holds only milliseconds, and Ceilometer timestamps carry
 * microseconds, so parsing goes through this module and never through `new Date(string)` alone.
 */
export type Micros = number;

export const US_PER_MS = 1000;
export const US_PER_SECOND = 1_000_000;
export const US_PER_HOUR = 3_600_000_000;

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO-8601 timestamp to epoch microseconds. A string without an offset is UTC
 * (Ceilometer's naive timestamps); fractions beyond microseconds are truncated.
 * Returns undefined for anything that is not such a timestamp.
 */
export function parseTimestamp(text: string): Micros | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return undefined;
  }
  const ms = Date.UTC(Number(y), month - 1, day, Number(h), Number(mi), Number(s));
  // Date.UTC rolls 31 February over into March: reject dates that do not exist.
  if (new Date(ms).getUTCDate() !== day) return undefined;
  const micros = Number((frac + '000000').slice(0, 6));
  let offsetUs = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetUs = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60 * US_PER_SECOND;
  }
  return ms * US_PER_MS + micros - offsetUs;
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
