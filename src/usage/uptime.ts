/** uptime (docs/architecture.md, "Samples to usage"): hours an instance held a tracked state, per flavor. */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR, type Micros } from '../model/time.js';
import { holdSamples } from './holding.js';
import { firstMetadataText } from './metadata.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';
import type { Gap, Sample } from '../model/types.js';

const STATE_KEYS = ['status', 'state'];
const FLAVOR_NAME_KEYS = ['flavor.name', 'instance_type'];
const FLAVOR_ID_KEYS = ['flavor.id', 'flavor_id', 'instance_flavor_id'];

/** The state a sample reports, lower-cased, or undefined when it reports none. */
export function stateOf(sample: Sample): string | undefined {
  return firstMetadataText(sample.metadata, STATE_KEYS)?.toLowerCase();
}

/** The flavor name a sample reports (a bare id resolves through `flavorNames`, else `flavor:<id>`). */
export function flavorOf(sample: Sample, flavorNames: Record<string, string> = {}): string | undefined {
  const name = firstMetadataText(sample.metadata, FLAVOR_NAME_KEYS);
  if (name !== undefined) return name;
  const id = firstMetadataText(sample.metadata, FLAVOR_ID_KEYS);
  if (id === undefined) return undefined;
  return Object.hasOwn(flavorNames, id) ? flavorNames[id] : `flavor:${id}`;
}

interface InstanceSample {
  timestamp: Micros;
  tracked: boolean;
  service: string;
}

interface Tally {
  heldUs: number;
  sampleTimes: Micros[];
  gaps: Gap[];
}

export const uptime: Transform = (samples, spec, { window, flavorNames }) => {
  const trackedStates = new Set(spec.trackedStates.map((s) => s.toLowerCase()));
  // State and flavor carry forward: pollster samples often report neither, and the last
  // report (possibly the look-back sample's) is the best knowledge of the instance.
  let state: string | undefined;
  let flavor: string | undefined;
  const resolved: InstanceSample[] = samples.map((sample) => {
    state = stateOf(sample) ?? state;
    flavor = flavorOf(sample, flavorNames) ?? flavor;
    return {
      timestamp: sample.timestamp,
      // No state ever reported: count it as running, since pollsters only see instances that exist.
      tracked: state === undefined || trackedStates.has(state),
      service: spec.service === 'flavor' ? (flavor ?? 'unknown') : spec.service,
    };
  });

  const { holds, gaps } = holdSamples(resolved, window, spec.maxGapUs);
  const tallies = new Map<string, Tally>();
  // Each hold starts at its own sample (or the window start), never at an earlier tracked
  // point, so an untracked stretch is never billed (Distil measured from a stale point).
  for (const { sample, start, end } of holds) {
    if (!sample.tracked) continue;
    let tally = tallies.get(sample.service);
    if (!tally) tallies.set(sample.service, (tally = { heldUs: 0, sampleTimes: [], gaps: [] }));
    tally.heldUs += end - start; // integers below 2^53: exact
    tally.sampleTimes.push(sample.timestamp);
  }
  // A gap belongs to the flavor whose hold ran out; a flavor never tracked has no record to carry it.
  for (const { start, end, after } of gaps) tallies.get(after.service)?.gaps.push({ start, end });

  return [...tallies].map(([service, tally]): ResourceUsage => ({
    service,
    quantity: new Decimal(tally.heldUs).div(US_PER_HOUR),
    sampleTimes: tally.sampleTimes,
    gaps: tally.gaps,
  }));
};
