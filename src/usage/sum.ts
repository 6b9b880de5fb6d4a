/** sum (docs/architecture.md, "Samples to usage"), for delta meters: the volumes of the samples with start ≤ t < end, per service. */
import type { Micros } from '../model/time.js';
import { Decimal } from '../model/decimal.js';
import { billedBy, fallbackField, labelSamples, ServiceTally } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';

export const sum: Transform = (samples, spec, { window, flavorNames }) => {
  const labels = labelSamples(samples, spec, flavorNames);
  const tallies = new ServiceTally(() => ({ total: new Decimal(0), sampleTimes: [] as Micros[] }));
  samples.forEach((s, i) => {
    if (s.timestamp < window.start || s.timestamp >= window.end) return;
    const billed = billedBy(labels[i]!, s, spec);
    if (!billed) return;
    const tally = tallies.of(billed);
    tally.total = tally.total.plus(s.volume);
    tally.sampleTimes.push(s.timestamp);
  });
  return [...tallies.byService].map(([service, t]): ResourceUsage => ({
    service, quantity: t.total.div(spec.divideBy), sampleTimes: t.sampleTimes, gaps: [], ...fallbackField(t.fallbacks),
  }));
};
