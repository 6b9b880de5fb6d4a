/**
 * Gnocchi measures → the normalized samples of contract.ts, so the usage transforms (docs/architecture.md, "Samples to usage")
 * stay the same for every backend. Pure: no HTTP here. The rules (docs/gnocchi.md):
 *
 * - A measure `[t, g, v]` is a bucket `[t, t + g)` (Gnocchi's timestamp is the bucket start).
 *   It becomes a sample at t (at `started_at` when the resource started inside the bucket).
 * - uptime: the instance is up in every bucket where its uptime metric (vcpus) has a measure,
 *   bounded by the resource's `started_at`/`ended_at`. Each such sample reports status `active`
 *   and the flavor of the resource revision in force at its time; a revision that starts inside
 *   an up bucket (a resize) adds a sample at its `revision_start`, so the bucket's time splits
 *   between the two flavors. gauge and max do the same at the bucket's value (a volume retyped
 *   mid-bucket splits its GB-hours between the two types).
 * - uptime and gauge: where a run of contiguous buckets ends (the next bucket has no measure,
 *   or the resource ended), an end sample closes it — status `deleted` at `ended_at`, else
 *   status `unmeasured` (volume 0 for a gauge) at the bucket end — so a bucket holds exactly
 *   its own time whatever `max_gap` is (≥ granularity), and nothing is billed past `ended_at`.
 * - gauge and max: the sample's volume is the bucket's aggregate (mean by default), held over the bucket.
 * - counter: the bucket's aggregate (last by default) of the cumulative value at t, no end
 *   samples (an end sample of 0 would read as a counter reset).
 * - sum: the bucket's aggregate (sum) at t.
 *
 * Samples carry no id (`id: null`), which spares the usage step a key per sample: it takes two
 * samples of one meter and resource at one time with one volume for copies of one. What an id
 * `gnocchi:<metric>:<t>` guaranteed, the collector checks instead: one metric's buckets hold each
 * instant once and do not overlap (`distinctBuckets`: a conflict fails the tenant, as two samples
 * of one id with two values did), and a metric is one resource's (measures.ts `withMetric`). So a
 * resource's samples of one meter are at distinct times: a bucket's at its start (or
 * `started_at`), a revision's strictly inside that bucket, an end sample where no later bucket
 * makes one.
 */
import { parseTimestamp, type Micros } from '../../model/time.js';
import type { Sample, SampleType, TransformName } from '../../model/types.js';
import type { Buckets } from './buckets.js';

/** One row of `POST /v1/search/resource/{type}?history=true`: a resource as it was in one revision. */
export interface GnocchiResourceRow {
  id: string;
  project_id?: string | null;
  started_at?: string | null;
  ended_at?: string | null;
  revision_start?: string | null;
  revision_end?: string | null;
  metrics?: Record<string, string>;
  [attribute: string]: unknown;
}

export interface Revision {
  start: Micros;
  attributes: Record<string, unknown>;
}

/** A resource with its revisions, oldest first; `startedAt`/`endedAt`/`metrics` are the current revision's. */
export interface ResourceTimeline {
  id: string;
  projectId: string | null;
  startedAt: Micros | null;
  endedAt: Micros | null;
  metrics: Record<string, string>;
  revisions: Revision[];
}

/** Fields that describe the revision rather than the resource: not copied into sample metadata. */
const BOOKKEEPING = new Set(['metrics', 'revision_start', 'revision_end', 'created_by_user_id', 'created_by_project_id', 'creator']);

function time(value: unknown): Micros | null {
  return typeof value === 'string' ? (parseTimestamp(value) ?? null) : null;
}

function attributesOf(row: GnocchiResourceRow): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (BOOKKEEPING.has(key) || (value !== null && typeof value === 'object')) continue;
    attributes[key] = value;
  }
  return attributes;
}

/**
 * Groups history rows by resource. A resource whose current revision (`revision_end` null) is
 * not among the rows is left out: its current state does not match the search (e.g. it ended
 * before the window, though an older revision still said it was running).
 */
export function buildTimelines(rows: readonly GnocchiResourceRow[]): ResourceTimeline[] {
  const byId = new Map<string, GnocchiResourceRow[]>();
  for (const row of rows) {
    if (typeof row.id !== 'string') continue;
    let list = byId.get(row.id);
    if (!list) byId.set(row.id, (list = []));
    list.push(row);
  }
  const timelines: ResourceTimeline[] = [];
  for (const [id, list] of byId) {
    const current = list.find((row) => row.revision_end === null || row.revision_end === undefined);
    if (!current) continue;
    // Two revisions written at one instant: the one that ended then (at its start) comes first, so
    // the one in force after it is the later, whatever order Gnocchi listed them in.
    const revisions = list
      .map((row) => ({ row, start: time(row.revision_start) ?? Number.NEGATIVE_INFINITY, end: time(row.revision_end) ?? Number.POSITIVE_INFINITY }))
      .sort((a, b) => a.start - b.start || a.end - b.end)
      .map(({ row, start }) => ({ start, attributes: attributesOf(row) }));
    timelines.push({
      id,
      projectId: typeof current.project_id === 'string' ? current.project_id : null,
      startedAt: time(current.started_at),
      endedAt: time(current.ended_at),
      metrics: { ...(current.metrics ?? {}) },
      revisions,
    });
  }
  return timelines.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The revision in force at `t`: the last one started at or before t, else the first one. */
export function revisionAt(timeline: ResourceTimeline, t: Micros): Revision | undefined {
  let found: Revision | undefined;
  for (const revision of timeline.revisions) {
    if (revision.start <= t) found = revision;
    else break;
  }
  return found ?? timeline.revisions[0];
}

export interface SampleContext {
  meter: string;
  transform: TransformName;
  metricId: string;
  unit: string;
  region: string;
  source: string;
  /** The query's exclusive end: no sample at or after it. */
  end: Micros;
}

const SAMPLE_TYPE: Record<TransformName, SampleType> = { uptime: 'gauge', gauge: 'gauge', max: 'gauge', counter: 'cumulative', sum: 'delta' };

/**
 * The metadata of a revision (its attributes plus the flavor keys the uptime transform reads),
 * built once per revision and shared, frozen, by its samples: a month of hourly buckets would
 * otherwise copy the same attributes 744 times per resource.
 */
const shared = new WeakMap<Revision, { plain: Readonly<Record<string, unknown>>; active: Readonly<Record<string, unknown>> }>();

function revisionMetadata(revision: Revision | undefined): { plain: Readonly<Record<string, unknown>>; active: Readonly<Record<string, unknown>> } {
  const cached = revision && shared.get(revision);
  if (cached) return cached;
  const attributes = revision?.attributes ?? {};
  const metadata: Record<string, unknown> = { ...attributes };
  const flavorName = attributes.flavor_name;
  const flavorId = attributes.flavor_id;
  if (typeof flavorName === 'string' && flavorName.trim() !== '') metadata['flavor.name'] = flavorName;
  if (typeof flavorId === 'string' && flavorId.trim() !== '') metadata['flavor.id'] = flavorId;
  const made = { plain: Object.freeze(metadata), active: Object.freeze({ ...metadata, status: 'active' }) };
  if (revision) shared.set(revision, made);
  return made;
}

/** Sample metadata at `t`: the revision's attributes, plus the flavor keys the uptime transform reads, plus `extra`. */
function metadataAt(timeline: ResourceTimeline, t: Micros, extra: 'plain' | 'active' | Record<string, unknown>): Readonly<Record<string, unknown>> {
  const made = revisionMetadata(revisionAt(timeline, t));
  return typeof extra === 'string' ? made[extra] : { ...made.plain, ...extra };
}

/**
 * `metadataAt(timeline, t, kind)` for times that mostly grow, as buckets do: the revision in
 * force is followed from one call to the next instead of looked up (and its metadata fetched)
 * for each bucket.
 */
function metadataCursor(timeline: ResourceTimeline, kind: 'plain' | 'active'): (t: Micros) => Readonly<Record<string, unknown>> {
  const revisions = timeline.revisions;
  let index = 0;
  let made = revisionMetadata(revisions[0])[kind];
  let validUntil = Number.NEGATIVE_INFINITY;
  let validFrom = Number.POSITIVE_INFINITY;
  return (t) => {
    if (t >= validFrom && t < validUntil) return made;
    if (t < validFrom) index = 0;
    // revisionAt: the last revision started at or before t, else the first one.
    while (index + 1 < revisions.length && revisions[index + 1]!.start <= t) index++;
    validFrom = index === 0 ? Number.NEGATIVE_INFINITY : revisions[index]!.start;
    validUntil = index + 1 < revisions.length ? revisions[index + 1]!.start : Number.POSITIVE_INFINITY;
    made = revisionMetadata(revisions[index])[kind];
    return made;
  };
}

/** Whether some bucket from `from` on (starts sorted) starts exactly at `t`. */
function startsAt(starts: Float64Array, from: number, t: Micros): boolean {
  let i = from;
  while (i < starts.length && starts[i]! < t) i++;
  return i < starts.length && starts[i] === t;
}

/**
 * One resource's buckets of one metric → samples (see the module comment for the rules). The
 * buckets are sorted and distinct, as `distinctBuckets` returns them: the collector checks them
 * once, when it reads the answer, and this runs each time the usage step reads the series.
 */
export function bucketsToSamples(timeline: ResourceTimeline, buckets: Buckets, ctx: SampleContext): Sample[] {
  const { t: starts, granularityUs: widths, value: values } = buckets;
  const samples: Sample[] = [];
  // An uptime sample stands for the instance (its metric, vcpus, only says it was up).
  const unit = ctx.transform === 'uptime' ? 'instance' : ctx.unit;
  const type = SAMPLE_TYPE[ctx.transform];
  const sample = (t: Micros, volume: number, metadata: Readonly<Record<string, unknown>>): Sample => ({
    meter: ctx.meter,
    resourceId: timeline.id,
    projectId: timeline.projectId,
    timestamp: t,
    volume,
    unit,
    type,
    metadata,
    id: null,
    source: ctx.source,
    region: ctx.region,
  });

  if (ctx.transform === 'counter' || ctx.transform === 'sum') {
    const plainAt = metadataCursor(timeline, 'plain');
    for (let i = 0; i < starts.length; i++) if (starts[i]! < ctx.end) samples.push(sample(starts[i]!, values[i]!, plainAt(starts[i]!)));
    return samples;
  }

  const uptime = ctx.transform === 'uptime';
  const metadataOf = metadataCursor(timeline, uptime ? 'active' : 'plain');
  const from = timeline.startedAt ?? Number.NEGATIVE_INFINITY;
  const until = timeline.endedAt ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < starts.length; i++) {
    const bucketStart = starts[i]!;
    const bucketEnd = bucketStart + widths[i]!;
    const a = Math.max(bucketStart, from);
    const e = Math.min(bucketEnd, until);
    if (a >= e || a >= ctx.end) continue;
    const volume = uptime ? 1 : values[i]!;
    samples.push(sample(a, volume, metadataOf(a)));
    // A revision (a resize, a volume retype) that starts inside the bucket takes the rest of it,
    // at the bucket's value: the time splits between the services of the two revisions. Revisions
    // are sorted: two that start at one instant make one sample (of the later one, in force then).
    let split = a;
    for (const revision of timeline.revisions) {
      if (revision.start > split && revision.start < e && revision.start < ctx.end) {
        split = revision.start;
        samples.push(sample(split, volume, metadataAt(timeline, split, uptime ? 'active' : 'plain')));
      }
    }
    // The next bucket continues this one only if it has a measure and the resource still lives then.
    const continued = e === bucketEnd && until > bucketEnd && startsAt(starts, i + 1, bucketEnd);
    if (!continued && e < ctx.end) {
      const deleted = e === until;
      const marker = { 'gnocchi.end': deleted ? 'ended_at' : 'no measure after this bucket' };
      samples.push(
        uptime
          ? sample(e, 0, metadataAt(timeline, e, { ...marker, status: deleted ? 'deleted' : 'unmeasured' }))
          : sample(e, 0, metadataAt(timeline, e, marker)),
      );
    }
  }
  return samples;
}
