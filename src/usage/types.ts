/** Types shared by the usage transforms (docs/architecture.md, "Samples to usage"), pricing and the ledger. */
import type { Decimal } from 'decimal.js';
import type { Sample } from '../telemetry/contract.js';
import type { Micros } from '../model/time.js';

export type TransformName = 'uptime' | 'gauge' | 'counter' | 'sum';

/** One section of config/meters.ini: how a meter becomes usage. */
export interface MeterSpec {
  meter: string;
  transform: TransformName;
  /** Service name of its lines; for `uptime`, the literal `flavor` means "the flavor name". */
  service: string;
  /** Unit of the resulting quantity, e.g. `hour`, `gigabyte-hour`, `gigabyte`. */
  unit: string;
  /**
   * The sample volume is divided by this (bytes → GB: 1073741824). Time-integrating
   * transforms (uptime, gauge) already give hours.
   */
  divideBy: Decimal;
  /**
   * The unit samples must carry (Ceilometer's `unit`: GB, B, ip…), when set: divide_by assumes
   * it, so a sample in another unit would be billed wrong. Samples with no unit pass.
   */
  sampleUnit?: string;
  /** How long one sample holds at most (the holding rule). */
  maxGapUs: Micros;
  /**
   * How far before the window start samples are fetched: at least maxGapUs, so the sample that
   * holds into the window is seen. Counters look back further (a day by default): their baseline
   * is the latest sample before the start however old, or consecutive months would not add up.
   */
  lookbackUs: Micros;
  /** uptime only: states whose time is billed. */
  trackedStates: string[];
}

export interface Window {
  start: Micros;
  end: Micros;
}

export interface Gap {
  start: Micros;
  end: Micros;
}

/** One resource's usage of one service: an aggregated usage record (count + interval). */
export interface UsageRecord {
  meter: string;
  resourceId: string;
  service: string;
  datacenter: string;
  /** In `unit`, exact, not rounded. */
  quantity: Decimal;
  unit: string;
  /** How many samples the record came from, and the first/last of them. */
  samples: number;
  firstSample: Micros | null;
  lastSample: Micros | null;
  /** Stretches inside the window (where the resource was known) that no sample covered. */
  gaps: Gap[];
}

export interface UsageOptions {
  window: Window;
  /** Full-match regexes; a sample whose source matches none is dropped. */
  trustSources: RegExp[];
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
}
