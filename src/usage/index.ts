/**
 * Samples → usage records (docs/architecture.md, "Samples to usage"): trust filtering and de-duplication, then one transform
 * per meter (named by meters.ini) for each resource. Pure: same samples, same result.
 */
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { refuseAbsurdVolume } from './bounds.js';
import { counter } from './counter.js';
import { gauge } from './gauge.js';
import { max } from './max.js';
import { compareText } from './order.js';
import { prepareSamples, type PreparedSeries } from './prepare.js';
import { sum } from './sum.js';
import type { Transform } from './transform.js';
import type { UsageOptions, UsageResult } from './types.js';
import { uptime } from './uptime.js';
import { telemetryMeterOf, type Collected, type MeterSpec, type Sample, type TransformName, type UsageRecord } from '../model/types.js';

export type { UsageResult } from './types.js';

const TRANSFORMS: Record<TransformName, Transform> = { uptime, gauge, counter, sum, max };

function compareRecords(a: UsageRecord, b: UsageRecord): number {
  return compareText(a.meter, b.meter) || compareText(a.resourceId, b.resourceId) || compareText(a.service, b.service);
}

/**
 * A gauge (a size) or a cumulative counter below zero is not a quantity: billing it would credit
 * the tenant. Refused, naming the sample, so the tenant fails instead of being billed wrong.
 */
function refuseNegative(samples: readonly Sample[], spec: MeterSpec): void {
  const bad = samples.find((s) => s.volume < 0);
  if (!bad) return;
  throw new DataError(
    `sample ${bad.id ?? '(no id)'} of ${spec.meter} for resource ${bad.resourceId} at ${formatTimestamp(bad.timestamp)} has a negative ` +
      `volume (${bad.volume}); a ${spec.transform} cannot be below 0: fix or remove the sample at its source, then bill again`,
  );
}

function refuseOtherUnit(samples: readonly Sample[], spec: MeterSpec, unit: string): void {
  const bad = samples.find((s) => s.unit !== '' && s.unit !== unit);
  if (!bad) return;
  throw new DataError(
    `sample ${bad.id ?? '(no id)'} of ${spec.meter} for resource ${bad.resourceId} at ${formatTimestamp(bad.timestamp)} is in '${bad.unit}', ` +
      `but the meters file says sample_unit = ${unit} (its divide_by assumes that unit): fix the sample, or the meter's sample_unit and divide_by`,
  );
}

/** The records of one spec for one resource: one per service. */
function specUsage(spec: MeterSpec, { resourceId, samples }: PreparedSeries, options: UsageOptions): UsageRecord[] {
  if (spec.transform === 'gauge' || spec.transform === 'counter' || spec.transform === 'max') refuseNegative(samples, spec);
  refuseAbsurdVolume(samples, spec);
  if (spec.sampleUnit !== undefined) refuseOtherUnit(samples, spec, spec.sampleUnit);
  // A record needs a sample that contributed; a quantity of 0 with samples is still explainable.
  const usages = TRANSFORMS[spec.transform](samples, spec, options).filter((u) => u.sampleTimes.length > 0);
  if (usages.length === 0) return [];
  const datacenter = options.datacenterOf(samples[samples.length - 1]!);
  return usages.map((usage) => ({
    meter: spec.meter,
    resourceId,
    service: usage.service,
    datacenter,
    quantity: usage.quantity,
    unit: spec.unit,
    samples: usage.sampleTimes.length,
    firstSample: usage.sampleTimes[0]!,
    lastSample: usage.sampleTimes[usage.sampleTimes.length - 1]!,
    gaps: usage.gaps,
    ...(usage.fallbacks ? { fallbacks: usage.fallbacks } : {}),
    ...(spec.transform === 'max' ? { peak: true as const } : {}),
  }));
}

/** `samples`: loose samples, or what a collector collected (loose samples and series, read here). */
export function computeUsage(samples: readonly Sample[] | Collected, specs: readonly MeterSpec[], options: UsageOptions): UsageResult {
  // Several sections may read one telemetry meter (`[instance.license] meter = instance`).
  const specsByMeter = new Map<string, MeterSpec[]>();
  for (const spec of specs) {
    const meter = telemetryMeterOf(spec);
    specsByMeter.set(meter, [...(specsByMeter.get(meter) ?? []), spec]);
  }
  const records: UsageRecord[] = [];
  const unknownMeters = new Set<string>();
  // Collectors return samples before the window end only; ignoring later ones makes a file
  // with extra data give what a bounded API query gives.
  const prepared = prepareSamples(samples, options.trustSources, options.window.end, (series) => {
    const meterSpecs = specsByMeter.get(series.meter);
    if (!meterSpecs) unknownMeters.add(series.meter);
    else for (const spec of meterSpecs) records.push(...specUsage(spec, series, options));
  });

  return {
    records: records.sort(compareRecords),
    untrusted: prepared.untrusted,
    untrustedSources: prepared.untrustedSources,
    kept: prepared.kept,
    duplicates: prepared.duplicates,
    unknownMeters: [...unknownMeters].sort(compareText),
  };
}
