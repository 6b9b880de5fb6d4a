/** Trust filtering, de-duplication and ordering of samples, before any transform (docs/architecture.md, "Samples to usage"). */
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

/**
 * Drops samples whose `source` matches none of `trustSources` (already anchored: API-posted
 * samples carry a forgeable `<project>:<source>`), then duplicates: same id, or, for samples
 * without an id, same meter + resource + timestamp + volume. Sorting comes first, so the copy
 * kept among duplicates is the same whatever order they arrived in.
 */
export function prepareSamples(samples: readonly Sample[], trustSources: readonly RegExp[]): PreparedSamples {
  const trusted: Sample[] = [];
  const untrustedSources = new Set<string>();
  for (const s of samples) {
    if (trustSources.some((pattern) => pattern.test(s.source))) trusted.push(s);
    else untrustedSources.add(s.source);
  }
  const seen = new Set<string>();
  const unique: Sample[] = [];
  for (const sample of sortSamples(trusted)) {
    const key =
      sample.id !== null
        ? `id\u0000${sample.id}`
        : `s\u0000${sample.meter}\u0000${sample.resourceId}\u0000${sample.timestamp}\u0000${sample.volume}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(sample);
  }
  return {
    samples: unique,
    untrusted: samples.length - trusted.length,
    untrustedSources: [...untrustedSources].sort(),
    duplicates: trusted.length - unique.length,
  };
}
