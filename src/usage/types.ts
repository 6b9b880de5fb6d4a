/** Types shared by the usage transforms (docs/architecture.md, "Samples to usage"), pricing and the ledger. */
import type { Decimal } from 'decimal.js';
import type { Micros } from '../model/time.js';
import type { Gap, Sample, UsageRecord, Window } from '../model/types.js';

export interface UsageOptions {
  window: Window;
  /** Full-match regexes; a sample whose source matches none is dropped. */
  trustSources: readonly RegExp[];
  /** The datacenter (invoice section) of a resource, decided from one of its samples. */
  datacenterOf: (sample: Sample) => string;
  /** Flavor id → name, for samples that carry only `flavor_id`/`flavor.id`. */
  flavorNames?: Record<string, string>;
}

/** What `computeUsage` returns: records, and what was dropped before any transform. */
export interface UsageResult {
  /** Sorted by meter, resourceId, service. */
  records: UsageRecord[];
  /** Samples dropped because their source matched no `trust_sources` pattern. */
  untrusted: number;
  /** Their distinct sources, sorted. */
  untrustedSources: string[];
  /** Samples kept: trusted, not duplicates, before the window end. */
  kept: number;
  /** Samples dropped as duplicates. */
  duplicates: number;
  /** Meters that had samples but no spec in meters.ini (their samples were ignored), sorted. */
  unknownMeters: string[];
}

/** What one transform gives for one resource and one service, before it becomes a record. */
export interface ResourceUsage {
  service: string;
  quantity: Decimal;
  /** Timestamps of the samples that contributed (incl. a look-back/baseline one), in time order. */
  sampleTimes: Micros[];
  gaps: Gap[];
  /** Template attributes whose fallback named the service (see labels.ts). */
  fallbacks?: string[];
}
