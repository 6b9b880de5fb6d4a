/**
 * uptime (docs/architecture.md, "Samples to usage"): hours an instance held a tracked state, per
 * service (by default `{flavor}`: per flavor; labels.ts fills the template).
 */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR, type Micros } from '../model/time.js';
import { holdSamples } from './holding.js';
import { stateOf } from './attributes.js';
import { billedBy, fallbackField, labelSamples, ServiceTally, type Label } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';
import type { Gap, Sample } from '../model/types.js';

export { flavorOf, stateOf } from './attributes.js';

interface InstanceSample {
  timestamp: Micros;
  tracked: boolean;
  label: Label;
  sample: Sample;
}

export const uptime: Transform = (samples, spec, { window, flavorNames }) => {
  const trackedStates = new Set(spec.trackedStates.map((s) => s.toLowerCase()));
  const labels = labelSamples(samples, spec, flavorNames);
  // State carries forward: pollster samples often report none, and the last report (possibly
  // the look-back sample's) is the best knowledge of the instance (labels carry the flavor).
  let state: string | undefined;
  const resolved: InstanceSample[] = samples.map((sample, i) => {
    state = stateOf(sample) ?? state;
    // No state ever reported: count it as running, since pollsters only see instances that exist.
    return { timestamp: sample.timestamp, tracked: state === undefined || trackedStates.has(state), label: labels[i]!, sample };
  });

  const { holds, gaps } = holdSamples(resolved, window, spec.maxGapUs);
  const tallies = new ServiceTally(() => ({ heldUs: 0, sampleTimes: [] as Micros[], gaps: [] as Gap[] }));
  // Each hold starts at its own sample (or the window start), never at an earlier tracked
  // point, so an untracked stretch is never billed (Distil measured from a stale point).
  for (const { sample, start, end } of holds) {
    if (!sample.tracked) continue;
    const billed = billedBy(sample.label, sample.sample, spec);
    if (!billed) continue;
    const tally = tallies.of(billed);
    tally.heldUs += end - start; // integers below 2^53: exact
    tally.sampleTimes.push(sample.timestamp);
  }
  // A gap belongs to the service whose hold ran out; a service never tracked has no record to carry it.
  for (const { start, end, after } of gaps) {
    if (after.label.kind === 'billed') tallies.byService.get(after.label.service)?.gaps.push({ start, end });
  }

  return [...tallies.byService].map(([service, tally]): ResourceUsage => ({
    service,
    quantity: new Decimal(tally.heldUs).div(US_PER_HOUR),
    sampleTimes: tally.sampleTimes,
    gaps: tally.gaps,
    ...fallbackField(tally.fallbacks),
  }));
};
