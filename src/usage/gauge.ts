/** gauge (docs/architecture.md, "Samples to usage"): ∫ value dt over the window by the holding rule, in value-hours. */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR } from '../model/time.js';
import { holdSamples, plainGaps } from './holding.js';
import type { Transform } from './transform.js';

export const gauge: Transform = (samples, spec, { window }) => {
  const { holds, gaps } = holdSamples(samples, window, spec.maxGapUs);
  if (holds.length === 0) return [];
  // Sum volume × µs exactly, then divide once.
  const valueUs = holds.reduce((sum, h) => sum.plus(new Decimal(h.sample.volume).times(h.end - h.start)), new Decimal(0));
  return [
    {
      service: spec.service,
      quantity: valueUs.div(new Decimal(US_PER_HOUR).times(spec.divideBy)),
      sampleTimes: holds.map((h) => h.sample.timestamp),
      gaps: plainGaps(gaps),
    },
  ];
};
