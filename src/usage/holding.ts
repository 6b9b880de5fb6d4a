/**
 * The holding rule (docs/architecture.md, "Samples to usage"), written once for uptime and gauge: a sample at t holds over
 * [t, min(next sample, t + maxGap, window end)), clipped to the window. The latest sample
 * before the window start therefore holds from the start, and earlier ones hold nothing.
 */
import type { Micros } from '../model/time.js';
import type { Window } from '../model/types.js';

/**
 * `samples` are one resource's samples of one meter, sorted by time. Calls `hold(i, start, end)`
 * for the non-empty part of the window sample i holds, and `gap(i, start, end)` for a stretch
 * no sample covered after sample i's hold ran out (t + maxGap) before the next sample, both in
 * time order. There is no gap before the first sample or after the last one, since a resource
 * created or deleted mid-window is not a gap. Callbacks, not arrays: a month of hourly samples
 * would otherwise allocate one object per sample.
 */
export function forEachHold(
  samples: readonly { timestamp: Micros }[],
  window: Window,
  maxGapUs: Micros,
  hold: (i: number, start: Micros, end: Micros) => void,
  gap: (i: number, start: Micros, end: Micros) => void = () => undefined,
): void {
  for (let i = 0; i < samples.length; i++) {
    const t = samples[i]!.timestamp;
    const next = i + 1 < samples.length ? samples[i + 1]!.timestamp : Infinity;
    const expires = t + maxGapUs;
    const start = Math.max(t, window.start);
    const end = Math.min(next, expires, window.end);
    if (end > start) hold(i, start, end);
    if (next !== Infinity && next > expires) {
      const gapStart = Math.max(expires, window.start);
      const gapEnd = Math.min(next, window.end);
      if (gapEnd > gapStart) gap(i, gapStart, gapEnd);
    }
  }
}
