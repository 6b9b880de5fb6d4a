/** The holds of one resource's samples, split by the service each sample bills: what gauge and max share. */
import type { Micros } from '../model/time.js';
import type { Gap, Sample } from '../model/types.js';
import { holdSamples, type Hold } from './holding.js';
import { billedBy, labelSamples, ServiceTally } from './labels.js';
import type { TransformContext } from './transform.js';
import type { MeterSpec } from '../model/types.js';

export interface HeldService {
  holds: Hold<Sample>[];
  gaps: Gap[];
  fallbacks: Set<string>;
}

/** Per service, in order of first hold: its holds (by the holding rule) and the gaps after them. */
export function holdsByService(samples: readonly Sample[], spec: MeterSpec, { window, flavorNames }: TransformContext): Map<string, HeldService> {
  const labels = labelSamples(samples, spec, flavorNames);
  const labelOf = new Map<Sample, number>();
  samples.forEach((sample, i) => labelOf.set(sample, i));
  const { holds, gaps } = holdSamples(samples, window, spec.maxGapUs);
  const tallies = new ServiceTally(() => ({ holds: [] as Hold<Sample>[], gaps: [] as Gap[] }));
  for (const hold of holds) {
    const billed = billedBy(labels[labelOf.get(hold.sample)!]!, hold.sample, spec);
    if (billed) tallies.of(billed).holds.push(hold);
  }
  for (const { start, end, after } of gaps) {
    const label = labels[labelOf.get(after)!]!;
    if (label.kind === 'billed') tallies.byService.get(label.service)?.gaps.push({ start, end });
  }
  return tallies.byService;
}

/** The sample times of holds, in time order. */
export function holdTimes(holds: readonly Hold<Sample>[]): Micros[] {
  return holds.map((h) => h.sample.timestamp);
}
