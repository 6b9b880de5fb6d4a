/**
 * counter (docs/architecture.md, "Samples to usage"), for cumulative meters: the sum of increases between consecutive samples,
 * each counted in the window holding the later sample, so consecutive windows add up exactly.
 * The latest sample before the window start is the baseline; a decrease is a reset, after
 * which the new value counts from zero.
 */
import type { Micros } from '../model/time.js';
import { Decimal } from '../model/decimal.js';
import type { Sample } from '../model/types.js';
import type { Transform } from './transform.js';

/** The increase from `previous` to `sample` (a decrease is a reset: the new value counts from 0). */
function step(sample: Sample, previous: Sample): number {
  return sample.volume >= previous.volume ? sample.volume - previous.volume : sample.volume;
}

export const counter: Transform = (samples, spec, { window }) => {
  // Byte counters are integers: their increases are summed as numbers while the total stays a
  // safe integer (exact, so the same as decimal.js), and in Decimal from the first step that is
  // not (a fraction, or a total beyond 2^53) on, as every step was before.
  let whole = 0;
  let increase: Decimal | undefined;
  const sampleTimes: Micros[] = [];
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i];
    if (sample.timestamp < window.start || sample.timestamp >= window.end) continue;
    // The first sample ever seen has no predecessor: it is only a baseline.
    const previous = i > 0 ? samples[i - 1] : undefined;
    if (previous) {
      if (previous.timestamp < window.start) sampleTimes.push(previous.timestamp); // the look-back baseline
      const next = increase === undefined && Number.isSafeInteger(sample.volume) && Number.isSafeInteger(previous.volume) ? whole + step(sample, previous) : NaN;
      if (Number.isSafeInteger(next)) {
        whole = next;
      } else {
        const now = new Decimal(sample.volume);
        increase = (increase ?? new Decimal(whole)).plus(sample.volume >= previous.volume ? now.minus(previous.volume) : now);
      }
    }
    sampleTimes.push(sample.timestamp);
  }
  if (sampleTimes.length === 0) return [];
  return [{ service: spec.service, quantity: (increase ?? new Decimal(whole)).div(spec.divideBy), sampleTimes, gaps: [] }];
};
