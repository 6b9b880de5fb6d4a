/** Trust filtering, de-duplication and ordering of samples, before any transform (docs/architecture.md, "Samples to usage"). */
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { sortSamples } from './order.js';
import type { Sample } from '../model/types.js';

export interface PreparedSamples {
  /** Trusted, unique samples in the total order of `sortSamples`. */
  samples: Sample[];
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

/**
 * Drops samples whose `source` matches none of `trustSources` (already anchored: API-posted
 * samples carry a forgeable `<project>:<source>`), then duplicates: same id, or, for samples
 * without an id, same meter + resource + timestamp + volume. Sorting comes first, so the copy
 * kept among duplicates is the same whatever order they arrived in. Two samples of one id that
 * disagree on what is billed (volume 10 and 100000) are a `DataError` naming both: a billing
 * tool must not pick one silently.
 */
export function prepareSamples(samples: readonly Sample[], trustSources: readonly RegExp[]): PreparedSamples {
  const trusted: Sample[] = [];
  const untrustedSources = new Set<string>();
  // A month holds a handful of sources and many samples: each source is matched once.
  const trust = new Map<string, boolean>();
  for (const s of samples) {
    let ok = trust.get(s.source);
    if (ok === undefined) trust.set(s.source, (ok = trustSources.some((pattern) => pattern.test(s.source))));
    if (ok) trusted.push(s);
    else untrustedSources.add(s.source);
  }
  // Samples with an id are keyed by it alone (no key string to build per sample).
  const seenIds = new Map<string, Sample>();
  const seenContent = new Map<string, Sample>();
  const unique: Sample[] = [];
  for (const sample of sortSamples(trusted)) {
    let kept: Sample | undefined;
    if (sample.id !== null) {
      kept = seenIds.get(sample.id);
      if (kept === undefined) seenIds.set(sample.id, sample);
    } else {
      const key = `${sample.meter}\u0000${sample.resourceId}\u0000${sample.timestamp}\u0000${sample.volume}`;
      kept = seenContent.get(key);
      if (kept === undefined) seenContent.set(key, sample);
    }
    if (kept === undefined) {
      unique.push(sample);
      continue;
    }
    const differ = conflicts(kept, sample);
    if (differ.length > 0) {
      throw new DataError(
        `sample ${sample.id} appears twice with different values (${differ.join('; ')}); which one is right cannot be ` +
          'told: remove the wrong copy at its source, then bill again',
      );
    }
  }
  return {
    samples: unique,
    untrusted: samples.length - trusted.length,
    untrustedSources: [...untrustedSources].sort(),
    duplicates: trusted.length - unique.length,
  };
}
