/**
 * counter (docs/architecture.md, "Samples to usage"), for cumulative meters: the sum of increases between consecutive samples,
 * each counted in the window holding the later sample, so consecutive windows add up exactly.
 * The latest sample before the window start is the baseline; a decrease is a reset, after
 * which the new value counts from zero. An increase bills the service of its later sample.
 */
import type { Micros } from '../model/time.js';
import { Decimal } from '../model/decimal.js';
import { billedBy, fallbackField, labelSamples, ServiceTally } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';

export const counter: Transform = (samples, spec, { window, flavorNames }) => {
  const labels = labelSamples(samples, spec, flavorNames);
  const tallies = new ServiceTally(() => ({ increase: new Decimal(0), sampleTimes: [] as Micros[] }));
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    if (sample.timestamp < window.start || sample.timestamp >= window.end) continue;
    const billed = billedBy(labels[i]!, sample, spec);
    if (!billed) continue;
    const tally = tallies.of(billed);
    // The first sample ever seen has no predecessor: it is only a baseline.
    const previous = i > 0 ? samples[i - 1] : undefined;
    if (previous) {
      if (previous.timestamp < window.start) tally.sampleTimes.push(previous.timestamp); // the look-back baseline
      const now = new Decimal(sample.volume);
      tally.increase = tally.increase.plus(sample.volume >= previous.volume ? now.minus(previous.volume) : now);
    }
    tally.sampleTimes.push(sample.timestamp);
  }
  return [...tallies.byService].map(([service, t]): ResourceUsage => ({
    service, quantity: t.increase.div(spec.divideBy), sampleTimes: t.sampleTimes, gaps: [], ...fallbackField(t.fallbacks),
  }));
};
