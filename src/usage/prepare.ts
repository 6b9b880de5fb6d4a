/** Trust filtering, de-duplication and ordering of samples, before any transform (docs/architecture.md, "Samples to usage"). */
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { compareText, sampleOrder } from './order.js';
import { concatAll } from '../model/arrays.js';
import type { Collected, Sample } from '../model/types.js';

/** One resource's samples of one meter. */
export interface SampleSeries {
  meter: string;
  resourceId: string;
  /** Trusted and unique, in the total order of `sampleOrder`. */
  samples: Sample[];
}

export interface PreparedSamples {
  /** One series per meter and resource, ordered by meter then resource id. */
  series: SampleSeries[];
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

/** Trusted samples before `end`, by meter then resource, each list in arrival order. */
interface Grouped {
  byMeter: Map<string, Map<string, Sample[]>>;
  untrusted: number;
  untrustedSources: Set<string>;
}

function groupTrusted({ samples, series }: Collected, trustSources: readonly RegExp[], end: number): Grouped {
  const byMeter = new Map<string, Map<string, Sample[]>>();
  const untrustedSources = new Set<string>();
  let untrusted = 0;
  // A month holds a handful of sources and many samples: each source is matched once.
  const trust = new Map<string, boolean>();
  // Collectors give a resource's samples one after another: its list is kept at hand.
  let list: Sample[] = [];
  let listMeter: string | undefined;
  let listResource: string | undefined;
  // A series' samples are made here, read once, and dropped with the tenant's usage.
  for (const s of series.length === 0 ? samples : concatAll([samples, ...series.map((one) => one.samples())])) {
    if (s.timestamp >= end) continue;
    let ok = trust.get(s.source);
    if (ok === undefined) trust.set(s.source, (ok = trustSources.some((pattern) => pattern.test(s.source))));
    if (!ok) {
      untrusted++;
      untrustedSources.add(s.source);
      continue;
    }
    if (s.meter !== listMeter || s.resourceId !== listResource) {
      let resources = byMeter.get(s.meter);
      if (!resources) byMeter.set(s.meter, (resources = new Map()));
      let found = resources.get(s.resourceId);
      if (!found) resources.set(s.resourceId, (found = []));
      [list, listMeter, listResource] = [found, s.meter, s.resourceId];
    }
    list.push(s);
  }
  return { byMeter, untrusted, untrustedSources };
}

/**
 * Drops duplicates from one sorted series. A sample with an id is a duplicate of the kept sample
 * of that id, in any series (`seenIds` spans them); one without an id, of the kept one with the
 * same timestamp and volume, which the order puts right before it. Returns the unique samples.
 */
function dropDuplicates(sorted: readonly Sample[], seenIds: Map<string, Sample>, order: (a: Sample, b: Sample) => number): Sample[] {
  const unique: Sample[] = [];
  let lastWithoutId: Sample | undefined;
  for (const sample of sorted) {
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
      unique.push(sample);
      continue;
    }
    // Name the two in the total order, so the message does not depend on which series came first.
    const [first, second] = order(kept, sample) <= 0 ? [kept, sample] : [sample, kept];
    const differ = conflicts(first, second);
    if (differ.length > 0) {
      throw new DataError(
        `sample ${sample.id} appears twice with different values (${differ.join('; ')}); which one is right cannot be ` +
          'told: remove the wrong copy at its source, then bill again',
      );
    }
  }
  return unique;
}

/**
 * Keeps samples before `end` whose `source` matches one of `trustSources` (already anchored:
 * API-posted samples carry a forgeable `<project>:<source>`), groups them by meter and resource,
 * sorts each group and drops duplicates: same id, or, for samples without an id, same meter +
 * resource + timestamp + volume. Sorting comes first, so the copy kept among duplicates is the
 * same whatever order they arrived in. Two samples of one id that disagree on what is billed
 * (volume 10 and 100000) are a `DataError` naming both: a billing tool must not pick one silently.
 * Grouping before sorting sorts each resource's series alone, which costs one pass when a
 * collector gives it in time order already (the Gnocchi collector does).
 */
export function prepareSamples(samples: readonly Sample[] | Collected, trustSources: readonly RegExp[], end = Number.POSITIVE_INFINITY): PreparedSamples {
  const { byMeter, untrusted, untrustedSources } = groupTrusted('series' in samples ? samples : { samples, series: [] }, trustSources, end);
  const order = sampleOrder();
  const seenIds = new Map<string, Sample>();
  const series: SampleSeries[] = [];
  let trusted = 0;
  let kept = 0;
  for (const meter of [...byMeter.keys()].sort(compareText)) {
    const resources = byMeter.get(meter)!;
    for (const resourceId of [...resources.keys()].sort(compareText)) {
      const list = resources.get(resourceId)!;
      const unique = dropDuplicates(list.sort(order), seenIds, order);
      trusted += list.length;
      kept += unique.length;
      series.push({ meter, resourceId, samples: unique });
    }
  }
  return { series, kept, untrusted, untrustedSources: [...untrustedSources].sort(), duplicates: trusted - kept };
}
