/**
 * uptime (docs/architecture.md, "Samples to usage"): hours an instance held a tracked state, per
 * service (by default `{flavor}`: per flavor; labels.ts fills the template).
 */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR } from '../model/time.js';
import { stateOf } from './attributes.js';
import { holdsByService } from './held.js';
import { fallbackField } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';
import type { Sample } from '../model/types.js';

export { flavorOf, stateOf } from './attributes.js';

/**
 * Whether each sample's instance is in a tracked state. State carries forward: pollster samples
 * often report none, and the last report (possibly the look-back sample's) is the best knowledge
 * of the instance. No state ever reported counts as running: pollsters only see instances that
 * exist. A sample with the same metadata object as the one before has its answer.
 */
function trackedFlags(samples: readonly Sample[], trackedStates: ReadonlySet<string>): boolean[] {
  let state: string | undefined;
  let previous: Sample['metadata'] | undefined;
  let tracked = true;
  return samples.map((sample) => {
    if (sample.metadata !== previous) {
      previous = sample.metadata;
      state = stateOf(sample) ?? state;
      tracked = state === undefined || trackedStates.has(state);
    }
    return tracked;
  });
}

export const uptime: Transform = (samples, spec, context) => {
  const tracked = trackedFlags(samples, new Set(spec.trackedStates.map((s) => s.toLowerCase())));
  // Each hold starts at its own sample (or the window start), never at an earlier tracked
  // point, so an untracked stretch is never billed (Distil measured from a stale point).
  return [...holdsByService(samples, spec, context, (i) => tracked[i]!)].map(([service, held]): ResourceUsage => {
    let heldUs = 0; // integers below 2^53: exact
    for (const us of held.heldByVolume.values()) heldUs += us;
    return {
      service,
      quantity: new Decimal(heldUs).div(US_PER_HOUR),
      sampleTimes: held.sampleTimes,
      gaps: held.gaps,
      ...fallbackField(held.fallbacks),
    };
  });
};
