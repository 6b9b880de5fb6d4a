/**
 * counter (docs/architecture.md, "Samples to usage"), for cumulative meters: the sum of increases between consecutive samples,
 * each counted in the window holding the later sample, so consecutive windows add up exactly.
 * The latest sample before the window start is the baseline; a decrease is a reset, after
 * which the new value counts from zero. An increase bills the service of its later sample.
 */
import type { Micros } from '../model/time.js';
import { Decimal } from '../model/decimal.js';
import type { Sample } from '../model/types.js';
import { billedBy, fallbackField, labelSamples, ServiceTally } from './labels.js';
import type { Transform } from './transform.js';
import type { ResourceUsage } from './types.js';

/**
 * An exact sum of increases. Byte counters are integers: their increases are summed as numbers
 * while the total stays a safe integer (exact, so the same as decimal.js), and in Decimal from
 * the first step that is not (a fraction, or a total beyond 2^53) on.
 */
class Increase {
  private whole = 0;
  private decimal: Decimal | undefined;

  /** Adds the increase from `previous` to `sample` (a decrease is a reset: the new value counts from 0). */
  add(sample: Sample, previous: Sample): void {
    const up = sample.volume >= previous.volume;
    if (this.decimal === undefined && Number.isSafeInteger(sample.volume) && Number.isSafeInteger(previous.volume)) {
      const next = this.whole + (up ? sample.volume - previous.volume : sample.volume);
      if (Number.isSafeInteger(next)) {
        this.whole = next;
        return;
      }
    }
    const now = new Decimal(sample.volume);
    this.decimal = (this.decimal ?? new Decimal(this.whole)).plus(up ? now.minus(previous.volume) : now);
  }

  total(): Decimal {
    return this.decimal ?? new Decimal(this.whole);
  }
}

export const counter: Transform = (samples, spec, { window, flavorNames }) => {
  const labels = labelSamples(samples, spec, flavorNames);
  const tallies = new ServiceTally(() => ({ increase: new Increase(), sampleTimes: [] as Micros[] }));
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
      tally.increase.add(sample, previous);
    }
    tally.sampleTimes.push(sample.timestamp);
  }
  return [...tallies.byService].map(([service, t]): ResourceUsage => ({
    service, quantity: t.increase.total().div(spec.divideBy), sampleTimes: t.sampleTimes, gaps: [], ...fallbackField(t.fallbacks),
  }));
};
