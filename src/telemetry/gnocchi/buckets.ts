/**
 * The measures of one metric as Gnocchi answers them (`[timestamp, granularity, value]` rows) →
 * buckets sorted by time. Pure: no HTTP here.
 */
import { parseTimestamp, type Micros } from '../../model/time.js';

/** A measure bucket: start time, width, aggregated value. */
export interface Bucket {
  t: Micros;
  granularityUs: Micros;
  value: number;
}

/** Days `bucketTime` has parsed (YYYYMMDD → epoch µs of its midnight): a month of buckets has some 31. */
const days = new Map<number, Micros>();
const MAX_DAYS = 4096;

/** The two digits at `at` as a number, or -1. */
function digitPair(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The midnight of the `YYYY-MM-DD` that starts `text`, parsed once per day; undefined if it is no date. */
function dayOf(text: string): Micros | undefined {
  const [c, y, m, d] = [digitPair(text, 0), digitPair(text, 2), digitPair(text, 5), digitPair(text, 8)];
  if ((c | y | m | d) < 0 || text[4] !== '-' || text[7] !== '-') return undefined;
  const key = ((c * 100 + y) * 100 + m) * 100 + d;
  let us = days.get(key);
  if (us === undefined) {
    us = parseTimestamp(`${text.slice(0, 10)}T00:00:00Z`);
    if (us === undefined) return undefined;
    if (days.size >= MAX_DAYS) days.clear();
    days.set(key, us);
  }
  return us;
}

/**
 * A bucket's timestamp. Gnocchi writes them all as `YYYY-MM-DDTHH:MM:SS+00:00`: those are read
 * field by field with each day parsed once; anything else goes through parseTimestamp.
 */
export function bucketTime(text: string): Micros | undefined {
  if (text.length === 25 && text.endsWith('+00:00') && text[10] === 'T' && text[13] === ':' && text[16] === ':') {
    const day = dayOf(text);
    const [h, m, s] = [digitPair(text, 11), digitPair(text, 14), digitPair(text, 17)];
    if (day !== undefined && (h | m | s) >= 0 && h <= 23 && m <= 59 && s <= 59) return day + ((h * 60 + m) * 60 + s) * 1_000_000;
  }
  return parseTimestamp(text);
}

/** `[t, granularity, value]` rows of a Gnocchi answer → buckets, sorted, unreadable rows dropped. */
export function parseMeasures(rows: unknown): Bucket[] {
  if (!Array.isArray(rows)) return [];
  const buckets: Bucket[] = [];
  for (const row of rows) {
    if (!Array.isArray(row) || row.length < 3) continue;
    const t = typeof row[0] === 'string' ? bucketTime(row[0]) : undefined;
    const g = Number(row[1]);
    const value = row[2];
    if (t === undefined || !Number.isFinite(g) || g <= 0 || typeof value !== 'number' || !Number.isFinite(value)) continue;
    buckets.push({ t, granularityUs: Math.round(g * 1_000_000), value });
  }
  return buckets.sort((a, b) => a.t - b.t);
}

