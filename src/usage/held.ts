/** The holds of one resource's samples, split by the service each sample bills: what uptime, gauge and max share. */
import type { Micros } from '../model/time.js';
import type { Gap, MeterSpec, Sample } from '../model/types.js';
import { forEachHold } from './holding.js';
import { billedBy, labelSamples, ServiceTally } from './labels.js';
import type { TransformContext } from './transform.js';

export interface HeldService {
  /** Held µs per volume held (integers below 2^53: exact), so a month of one level is one entry. */
  heldByVolume: Map<number, number>;
  /** Times of the samples that held some of the window, in time order. */
  sampleTimes: Micros[];
  gaps: Gap[];
  fallbacks: Set<string>;
}

/**
 * Per service, in order of first hold: what its samples held (by the holding rule) and the gaps
 * after them. `counts(i)` false leaves sample i's hold unbilled (uptime: an untracked state).
 */
export function holdsByService(
  samples: readonly Sample[],
  spec: MeterSpec,
  { window, flavorNames }: TransformContext,
  counts: (i: number) => boolean = () => true,
): Map<string, HeldService> {
  const labels = labelSamples(samples, spec, flavorNames);
  const tallies = new ServiceTally(() => ({ heldByVolume: new Map<number, number>(), sampleTimes: [] as Micros[], gaps: [] as Gap[] }));
  const gaps: { after: number; start: Micros; end: Micros }[] = [];
  // Consecutive holds of one service at one volume (most of a month) are summed here, and added
  // to the service's map once the run ends: one map update per run, not per sample.
  const run = { tally: undefined as HeldService | undefined, volume: 0, us: 0 };
  const endRun = () => {
    if (run.tally) run.tally.heldByVolume.set(run.volume, (run.tally.heldByVolume.get(run.volume) ?? 0) + run.us);
  };
  forEachHold(
    samples,
    window,
    spec.maxGapUs,
    (i, start, end) => {
      const sample = samples[i]!;
      if (!counts(i)) return;
      const billed = billedBy(labels[i]!, sample, spec);
      if (!billed) return;
      const tally = tallies.of(billed);
      if (tally === run.tally && sample.volume === run.volume) run.us += end - start;
      else {
        endRun();
        run.tally = tally;
        run.volume = sample.volume;
        run.us = end - start;
      }
      tally.sampleTimes.push(sample.timestamp);
    },
    (after, start, end) => gaps.push({ after, start, end }),
  );
  endRun();
  // A gap belongs to the service whose hold ran out; a service that never held has no record to carry it.
  for (const { after, start, end } of gaps) {
    const label = labels[after]!;
    if (label.kind === 'billed') tallies.byService.get(label.service)?.gaps.push({ start, end });
  }
  return tallies.byService;
}
