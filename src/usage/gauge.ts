/** gauge (docs/architecture.md, "Samples to usage"): ∫ value dt over the window by the holding rule, in value-hours, per service. */
import { Decimal } from '../model/decimal.js';
import { US_PER_HOUR } from '../model/time.js';
import { holdsByService } from './held.js';
import { fallbackField } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';

export const gauge: Transform = (samples, spec, context) =>
  [...holdsByService(samples, spec, context)].map(([service, { heldByVolume, sampleTimes, gaps, fallbacks }]): ResourceUsage => {
    // Sum volume × µs exactly, then divide once: held µs are summed per distinct volume first,
    // so a month of one level costs one Decimal product, not 744.
    let valueUs = new Decimal(0);
    for (const [volume, us] of heldByVolume) valueUs = valueUs.plus(new Decimal(volume).times(us));
    return {
      service,
      quantity: valueUs.div(new Decimal(US_PER_HOUR).times(spec.divideBy)),
      sampleTimes,
      gaps,
      ...fallbackField(fallbacks),
    };
  });
