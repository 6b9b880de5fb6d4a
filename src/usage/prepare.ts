/** Trust filtering, de-duplication and ordering of samples, before any transform (docs/architecture.md, "Samples to usage"). */
import { concatAll } from '../model/arrays.js';
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { compareText, sampleOrder } from './order.js';
import type { Collected, Sample, SampleSeries } from '../model/types.js';

/** One resource's samples of one meter: trusted and unique, in the total order of `sampleOrder`. */
export interface PreparedSeries {
  meter: string;
  resourceId: string;
  samples: Sample[];
}

/** What was kept and dropped, once every series was visited. */
export interface PreparedCounts {
  /** How many samples were kept: before the end, trusted, not duplicates. */
  kept: number;
  /** How many samples were dropped because their source matched no trusted pattern. */
  untrusted: number;
  /** The distinct sources of those samples, sorted. */
  untrustedSources: string[];
  /** How many samples were dropped as duplicates of a kept one. */
  duplicates: number;
}

/** What differs between two samples of one id in what is billed (metadata may differ: it is not billed as such). */
function conflicts(a: Sample, b: Sample): string[] {
  const differ: string[] = [];
  if (a.volume !== b.volume) differ.push(`volume ${a.volume} and ${b.volume}`);
  if (a.timestamp !== b.timestamp) differ.push(`timestamp ${formatTimestamp(a.timestamp)} and ${formatTimestamp(b.timestamp)}`);
  if (a.meter !== b.meter) differ.push(`meter ${a.meter} and ${b.meter}`);
  if (a.resourceId !== b.resourceId) differ.push(`resource ${a.resourceId} and ${b.resourceId}`);
  if (a.unit !== b.unit) differ.push(`unit '${a.unit}' and '${b.unit}'`);
  return differ;
}

/** Samples before `end` whose source is trusted; the others counted. */
class Admission {
  untrusted = 0;
  readonly untrustedSources = new Set<string>();
  /** A month holds a handful of sources and many samples: each source is matched once. */
  private readonly trust = new Map<string, boolean>();

  constructor(private readonly trustSources: readonly RegExp[], private readonly end: number) {}

  /** The last source looked up, and its answer: a series' samples most often share one. */
  private lastSource: string | undefined;
  private lastOk = false;

  admits(s: Sample): boolean {
    if (s.timestamp >= this.end) return false;
    if (s.source !== this.lastSource) {
      let ok = this.trust.get(s.source);
      if (ok === undefined) this.trust.set(s.source, (ok = this.trustSources.some((pattern) => pattern.test(s.source))));
      this.lastSource = s.source;
      this.lastOk = ok;
    }
    if (!this.lastOk) {
      this.untrusted++;
      this.untrustedSources.add(s.source);
    }
    return this.lastOk;
  }
}

/** What one meter and resource gathers: loose samples admitted, and series not read yet. */
interface Group {
  loose: Sample[];
  series: SampleSeries[];
}

/** Groups by meter, then resource: loose samples as they are admitted, series unread. */
function groupSamples({ samples, series }: Collected, admission: Admission): Map<string, Map<string, Group>> {
  const byMeter = new Map<string, Map<string, Group>>();
  const groupOf = (meter: string, resourceId: string): Group => {
    let resources = byMeter.get(meter);
    if (!resources) byMeter.set(meter, (resources = new Map()));
    let group = resources.get(resourceId);
    if (!group) resources.set(resourceId, (group = { loose: [], series: [] }));
    return group;
  };
  // Collectors give a resource's samples one after another: its group is kept at hand.
  let at: { meter: string; resourceId: string; group: Group } | undefined;
  for (const s of samples) {
    if (!admission.admits(s)) continue;
    if (s.meter !== at?.meter || s.resourceId !== at.resourceId) at = { meter: s.meter, resourceId: s.resourceId, group: groupOf(s.meter, s.resourceId) };
    at.group.loose.push(s);
  }
  for (const one of series) groupOf(one.meter, one.resourceId).series.push(one);
  return byMeter;
}

/**
 * A group's samples: its loose ones, and its series read now. A resource's samples most often
 * come as one series, all admitted: that array (made for this call, see SampleSeries) is used as
 * it is, not copied.
 */
function readGroup(group: Group, meter: string, resourceId: string, admission: Admission): Sample[] {
  if (group.series.length === 0) return group.loose;
  const lists = [group.loose, ...group.series.map((one) => admitted(one.samples(), meter, resourceId, admission))].filter((list) => list.length > 0);
  return lists.length === 1 ? lists[0]! : concatAll(lists);
}

/** A series' admitted samples, each checked to be the series': the array itself when all are, else a copy of those. */
function admitted(samples: Sample[], meter: string, resourceId: string, admission: Admission): Sample[] {
  let kept: Sample[] | undefined;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.meter !== meter || s.resourceId !== resourceId) {
      throw new DataError(
        `the collector's series of ${meter} for resource ${resourceId} holds a sample of ${s.meter} for resource ${s.resourceId}: ` +
          'this is a defect of the collector; report it',
      );
    }
    if (admission.admits(s)) kept?.push(s);
    else kept ??= samples.slice(0, i);
  }
  return kept ?? samples;
}

/**
 * `samples` sorted by `order`, in place. Timestamps that strictly increase already are that order
 * (it compares timestamps first), and a series that comes in time order (Gnocchi's) is then only
 * read once, not passed to the sort's comparator sample by sample.
 */
function inOrder(samples: Sample[], order: (a: Sample, b: Sample) => number): Sample[] {
  for (let i = 1; i < samples.length; i++) if (!(samples[i - 1]!.timestamp < samples[i]!.timestamp)) return samples.sort(order);
  return samples;
}

/**
 * Drops duplicates from one sorted series. A sample with an id is a duplicate of the kept sample
 * of that id, in any series (`seenIds` spans them); one without an id, of the kept one with the
 * same timestamp and volume, which the order puts right before it. Returns the unique samples.
 */
function dropDuplicates(sorted: Sample[], seenIds: Map<string, Sample>, order: (a: Sample, b: Sample) => number): Sample[] {
  // Copied only from the first duplicate on: most series have none.
  let unique: Sample[] | undefined;
  let lastWithoutId: Sample | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const sample = sorted[i]!;
    let kept: Sample | undefined;
    if (sample.id !== null) {
      kept = seenIds.get(sample.id);
      if (kept === undefined) seenIds.set(sample.id, sample);
    } else if (lastWithoutId !== undefined && lastWithoutId.timestamp === sample.timestamp && lastWithoutId.volume === sample.volume) {
      kept = lastWithoutId;
    } else {
      lastWithoutId = sample;
    }
    if (kept === undefined) {
      unique?.push(sample);
      continue;
    }
    unique ??= sorted.slice(0, i);
    // Name the two in the total order, so the message does not depend on which series came first.
    const [first, second] = order(kept, sample) <= 0 ? [kept, sample] : [sample, kept];
    const differ = conflicts(first, second);
    if (differ.length > 0) {
      throw new DataError(
        `sample ${sample.id ?? '(no id)'} appears twice with different values (${differ.join('; ')}); which one is right cannot be ` +
          'told: remove the wrong copy at its source, then bill again',
      );
    }
  }
  return unique ?? sorted;
}

/**
 * Keeps samples before `end` whose `source` matches one of `trustSources` (already anchored:
 * API-posted samples carry a forgeable `<project>:<source>`), groups them by meter and resource,
 * sorts each group and drops duplicates: same id, or, for samples without an id, same meter +
 * resource + timestamp + volume. Sorting comes first, so the copy kept among duplicates is the
 * same whatever order they arrived in. Two samples of one id that disagree on what is billed
 * (volume 10 and 100000) are a `DataError` naming both: a billing tool must not pick one silently.
 *
 * Each group goes to `visit` in turn (by meter, then resource id), and is not kept: a collector's
 * series are read only then, so a tenant's month of samples never lives all at once. Grouping
 * before sorting sorts each resource's samples alone, which costs one pass when they come in time
 * order already (the Gnocchi collector's do).
 */
export function prepareSamples(
  samples: readonly Sample[] | Collected, trustSources: readonly RegExp[], end: number, visit: (series: PreparedSeries) => void,
): PreparedCounts {
  const admission = new Admission(trustSources, end);
  const byMeter = groupSamples('series' in samples ? samples : { samples, series: [] }, admission);
  const order = sampleOrder();
  const seenIds = new Map<string, Sample>();
  let admitted = 0;
  let kept = 0;
  for (const meter of [...byMeter.keys()].sort(compareText)) {
    const resources = byMeter.get(meter)!;
    for (const resourceId of [...resources.keys()].sort(compareText)) {
      const list = readGroup(resources.get(resourceId)!, meter, resourceId, admission);
      const unique = dropDuplicates(inOrder(list, order), seenIds, order);
      admitted += list.length;
      kept += unique.length;
      if (unique.length > 0) visit({ meter, resourceId, samples: unique });
    }
  }
  return { kept, untrusted: admission.untrusted, untrustedSources: [...admission.untrustedSources].sort(), duplicates: admitted - kept };
}
