/**
 * max (docs/architecture.md, "Samples to usage"), peak usage as Distil's max transformer: the
 * highest value held in the window, per service. A value is held in the window when its sample's
 * hold (the holding rule: from the sample until the next one, at most max_gap) overlaps the
 * window for some time: the look-back sample still holding at the window start counts, a sample
 * whose hold ran out before the start does not, and none at or after the end does.
 */
import { Decimal } from '../model/decimal.js';
import { holdsByService } from './held.js';
import { fallbackField } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';

export const max: Transform = (samples, spec, context) =>
  [...holdsByService(samples, spec, context)].map(([service, { heldByVolume, sampleTimes, gaps, fallbacks }]): ResourceUsage => {
    let peak = Number.NEGATIVE_INFINITY;
    for (const volume of heldByVolume.keys()) peak = Math.max(peak, volume);
    return { service, quantity: new Decimal(peak).div(spec.divideBy), sampleTimes, gaps, ...fallbackField(fallbacks) };
  });
