/**
 * The measures of one metric as Gnocchi answers them (`[timestamp, granularity, value]` rows) →
 * buckets sorted by time, each instant once. Pure: no HTTP here.
 */
import { formatTimestamp, parseTimestamp, US_PER_SECOND, type Micros } from '../../model/time.js';
import { formatSeconds } from './policy.js';
import { GnocchiProblem } from './problem.js';

/** A measure bucket: start time, width, aggregated value. */
export interface Bucket {
  t: Micros;
  granularityUs: Micros;
  value: number;
}

/**
 * Buckets in three arrays of numbers (start, width, value), which V8 stores unboxed: what a
 * tenant's series hold while its other meters are read. A month of hourly buckets is then three
 * objects, not 744 that the garbage collector copies on each pass. (Typed arrays would be
 * smaller still, but their memory lives outside the heap and is freed late, which raised a long
 * run's peak memory.)
 */
export interface PackedBuckets {
  t: number[];
  granularityUs: number[];
  value: number[];
}

export function packBuckets(buckets: readonly Bucket[]): PackedBuckets {
  const packed: PackedBuckets = { t: [], granularityUs: [], value: [] };
  for (const b of buckets) {
    packed.t.push(b.t);
    packed.granularityUs.push(b.granularityUs);
    packed.value.push(b.value);
  }
  return packed;
}

export function unpackBuckets(packed: PackedBuckets): Bucket[] {
  const buckets: Bucket[] = [];
  for (let i = 0; i < packed.t.length; i++) buckets.push({ t: packed.t[i]!, granularityUs: packed.granularityUs[i]!, value: packed.value[i]! });
  return buckets;
}

/** Days `bucketTime` has parsed (YYYYMMDD → epoch µs of its midnight): a month of buckets has some 31. */
const days = new Map<number, Micros>();
const MAX_DAYS = 4096;

/** `-`, `T`, `:`: a timestamp is read with char codes and plain locals, as it is for every bucket of a run (millions). */
const [DASH, LETTER_T, COLON] = [45, 84, 58];

/** The two digits at `at` as a number, or -1. */
function digitPair(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** The midnight of the `YYYY-MM-DD` that starts `text`, parsed once per day; undefined if it is no date. */
function dayOf(text: string): Micros | undefined {
  const c = digitPair(text, 0), y = digitPair(text, 2), m = digitPair(text, 5), d = digitPair(text, 8);
  if ((c | y | m | d) < 0 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return undefined;
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
  if (text.length === 25 && text.endsWith('+00:00') && text.charCodeAt(10) === LETTER_T && text.charCodeAt(13) === COLON && text.charCodeAt(16) === COLON) {
    const day = dayOf(text);
    const h = digitPair(text, 11), m = digitPair(text, 14), s = digitPair(text, 17);
    if (day !== undefined && (h | m | s) >= 0 && h <= 23 && m <= 59 && s <= 59) return day + ((h * 60 + m) * 60 + s) * 1_000_000;
  }
  return parseTimestamp(text);
}

/** `[t, granularity, value]` rows of a Gnocchi answer → buckets, sorted, unreadable rows dropped. */
export function parseMeasures(rows: unknown): Bucket[] {
  if (!Array.isArray(rows)) return [];
  const buckets: Bucket[] = [];
  // Gnocchi answers in time order: the sort (a comparison per row even then) is done only if not.
  let sorted = true;
  let last = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    if (!Array.isArray(row) || row.length < 3) continue;
    const t = typeof row[0] === 'string' ? bucketTime(row[0]) : undefined;
    const g = Number(row[1]);
    const value = row[2];
    if (t === undefined || !Number.isFinite(g) || g <= 0 || typeof value !== 'number' || !Number.isFinite(value)) continue;
    buckets.push({ t, granularityUs: Math.round(g * 1_000_000), value });
    if (t < last) sorted = false;
    last = t;
  }
  return sorted ? buckets : buckets.sort((a, b) => a.t - b.t);
}

/** How a conflict's message ends: what the operator can do. */
const CHECK = 'which one is right cannot be told: check the Gnocchi server and its storage, then bill again';

/**
 * `buckets` (sorted by time, as parseMeasures returns them) with each instant once; `bucketsToSamples`
 * relies on buckets that do not overlap. A row repeated as it is (same time, granularity and value)
 * is kept once. Two rows at one time that differ, or a bucket that starts inside the one before,
 * cannot both be true of one metric at one granularity: a GnocchiProblem naming the metric, the
 * resource and the time. Samples carry no id, so the usage step would not see such a conflict: it
 * would merge or keep both copies, and bill one of two values silently.
 */
export function distinctBuckets(buckets: readonly Bucket[], metricId: string, resourceId: string): readonly Bucket[] {
  let kept: Bucket[] | undefined;
  for (let i = 1; i < buckets.length; i++) {
    const before = buckets[i - 1]!;
    const b = buckets[i]!;
    if (b.t >= before.t + before.granularityUs) {
      kept?.push(b);
      continue;
    }
    const of = `for metric ${metricId} of resource ${resourceId}`;
    if (b.t !== before.t) {
      throw new GnocchiProblem(
        `Gnocchi answered overlapping measures ${of}: the bucket at ${formatTimestamp(before.t)} holds ${width(before)}, yet the next one starts at ` +
          `${formatTimestamp(b.t)}; ${CHECK}`,
      );
    }
    if (b.granularityUs !== before.granularityUs || b.value !== before.value) {
      const values = b.granularityUs === before.granularityUs
        ? `values ${before.value} and ${b.value}`
        : `${before.value} over ${width(before)} and ${b.value} over ${width(b)}`;
      throw new GnocchiProblem(`Gnocchi answered two measures at ${formatTimestamp(b.t)} ${of} (${values}); ${CHECK}`);
    }
    // A repeated row: the copy starts at the first one.
    kept ??= buckets.slice(0, i);
  }
  return kept ?? buckets;
}

function width(bucket: Bucket): string {
  return formatSeconds(bucket.granularityUs / US_PER_SECOND);
}
