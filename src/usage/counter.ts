/**
 * counter (docs/architecture.md, "Samples to usage"), for cumulative meters: the sum of increases between consecutive samples,
 * each counted in the window holding the later sample, so consecutive windows add up exactly.
 * The latest sample before the window start is the baseline; a decrease is a reset, after
 * which the new value counts from zero.
 */
import type { Micros } from '../model/time.js';
import { Decimal } from '../model/decimal.js';
import type { Transform } from './transform.js';

export const counter: Transform = (samples, spec, { window }) => {
  let increase = new Decimal(0);
  const sampleTimes: Micros[] = [];
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i];
    if (sample.timestamp < window.start || sample.timestamp >= window.end) continue;
    // The first sample ever seen has no predecessor: it is only a baseline.
    const previous = i > 0 ? samples[i - 1] : undefined;
    if (previous) {
      if (previous.timestamp < window.start) sampleTimes.push(previous.timestamp); // the look-back baseline
      const now = new Decimal(sample.volume);
      increase = increase.plus(sample.volume >= previous.volume ? now.minus(previous.volume) : now);
    }
    sampleTimes.push(sample.timestamp);
  }
  if (sampleTimes.length === 0) return [];
  return [{ service: spec.service, quantity: increase.div(spec.divideBy), sampleTimes, gaps: [] }];
};
