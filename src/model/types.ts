/**
 * The types every stage of the pipeline shares (docs/architecture.md): samples, meters, windows,
 * usage records, invoice lines and check items. A leaf: it imports nothing of the project but the
 * other model modules, so any module may import it without making a cycle.
 */
import type { Decimal } from 'decimal.js';
import type { Micros } from './time.js';

export type SampleType = 'gauge' | 'cumulative' | 'delta';

/** A normalized sample (docs/architecture.md, "Samples to usage"). `timestamp` is epoch microseconds, UTC. */
export interface Sample {
  meter: string;
  resourceId: string;
  projectId: string | null;
  timestamp: Micros;
  volume: number;
  unit: string;
  type: SampleType;
  /** Flattened resource metadata, values as the API gave them (Ceilometer stringifies them). */
  metadata: Record<string, unknown>;
  id: string | null;
  source: string;
  /** The region (endpoint) the sample was collected from; the default datacenter. */
  region: string;
}

/**
 * Samples a collector keeps in a compact form of its own until the usage step reads them: a month
 * of hourly buckets is 744 objects per resource, which would otherwise stay alive (and be copied
 * by the garbage collector) while the tenant's other meters are read. The usage step treats
 * them exactly as loose samples: filtered, sorted and de-duplicated alike.
 */
export interface SampleSeries {
  /** The meter and resource of every sample of the series. */
  readonly meter: string;
  readonly resourceId: string;
  /** The samples, made anew on each call. */
  samples(): Sample[];
}

/** What a collector answers for one query: loose samples, and series read on demand. */
export interface Collected {
  samples: readonly Sample[];
  series: readonly SampleSeries[];
}

export interface SampleQuery {
  projectId: string;
  meter: string;
  /** Inclusive lower bound: already includes the look-back before the billing window. */
  start: Micros;
  /** Exclusive upper bound: the window end. */
  end: Micros;
}

export interface Tenant {
  id: string;
  name?: string;
}

export function isSampleType(value: unknown): value is SampleType {
  return value === 'gauge' || value === 'cumulative' || value === 'delta';
}

export type TransformName = 'uptime' | 'gauge' | 'counter' | 'sum' | 'max';

/** One piece of a meters.ini `service` template: text, or `{attribute}` / `{attribute|fallback}`. */
export type ServicePart = { kind: 'text'; text: string } | { kind: 'attribute'; name: string; fallback?: string };

/** One condition of meters.ini `match` (`os_type=windows|win`, `os_distro!=debian`): all must hold. */
export interface MatchCondition {
  attribute: string;
  /** Lower-cased; the attribute's value is compared lower-cased. */
  values: string[];
  /** `!=`: the value must be none of `values` (an absent attribute then matches). */
  negate: boolean;
}

/** One section of config/meters.ini: how a meter becomes usage. */
export interface MeterSpec {
  meter: string;
  transform: TransformName;
  /** Service name of its lines as written in meters.ini (a template, or for `uptime` the legacy `flavor`). */
  service: string;
  /**
   * `service` parsed. Absent (specs built by hand): `service` is plain text, except `flavor` for
   * `uptime`, which means `{flavor|unknown}` (the legacy spelling).
   */
  serviceParts?: readonly ServicePart[];
  /** meters.ini `meter`: the telemetry meter read for this section (absent: the section name, `meter`). */
  telemetryMeter?: string;
  /** meters.ini `attributes`: attributes the operator's telemetry carries beyond the known ones. */
  attributes?: readonly string[];
  /** meters.ini `match`: only samples whose attributes match are billed (absent: all). */
  match?: readonly MatchCondition[];
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
  /**
   * meters.ini `max_volume`: a sample volume above it (or not finite) is not a quantity that can
   * exist, and fails its tenant. Always set by the meters file; specs built by hand may omit it.
   */
  maxVolume?: number;
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
  /**
   * Attributes of the service template that no sample reported, so their `{attribute|fallback}`
   * made the service name (shown by `--explain`). Absent when none.
   */
  fallbacks?: string[];
  /**
   * A `max` meter's record: the window's peak, which does not add up over parts of the window,
   * so a price change inside the window does not split it (docs/prices.md). Absent otherwise.
   */
  peak?: true;
}

/** The telemetry meter a spec reads: meters.ini `meter`, else the section name. */
export function telemetryMeterOf(spec: Pick<MeterSpec, 'meter' | 'telemetryMeter'>): string {
  return spec.telemetryMeter ?? spec.meter;
}

export interface BillingWindow extends Window {
  /** `2024-05` for a month, `<start>/<end>` otherwise: what tables and messages show. */
  label: string;
}

export interface InvoiceTenant {
  id: string;
  name?: string;
}

export interface InvoiceLine {
  datacenter: string;
  name: string;
  quantity: Decimal;
  unit: string;
  rate: Decimal;
  amount: Decimal;
  /**
   * The part of the billing window this line covers, when it is not the whole window (a price
   * change inside the window splits a service into one line per price period).
   */
  period?: Window;
  /** Why the line cost what it did; recorded in the ledger with the line. */
  basis?: LineBasis;
}

/**
 * What priced a line (stored as JSON with the line in the ledger, so `history`, `--explain` and
 * `verify` can say why a line cost what it did).
 */
export type LineBasis =
  /** The adapter's `cost(datacenter, service)` answered the rate (Odoo, a user's adapter). */
  | { kind: 'adapter' }
  /** A row of the rate table (its line in the file and its scope), and the tier when tiered. */
  | { kind: 'rate'; row: number; scope: string; tier?: { from: string; mode: 'graduated' | 'volume' } }
  /** A percentage discount of a tenant or group, on the lines before it. */
  | { kind: 'discount'; percent: string; scope: string }
  /** The monthly minimum of a tenant or group, bringing the total up to it. */
  | { kind: 'minimum'; minimum: string; scope: string };

export interface CheckItem {
  /** Short name, e.g. `config`, `telemetry endpoint`, `keystone auth`, `adapter`, `price coverage`. */
  name: string;
  ok: boolean;
  /** What was found (endpoint URL, adapter spec), or on failure what is wrong and how to fix it. Never a secret. */
  detail: string;
}
