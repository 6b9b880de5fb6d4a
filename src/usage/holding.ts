/**
 * The holding rule (docs/architecture.md, "Samples to usage"), written once for uptime and gauge: a sample at t holds over
 * [t, min(next sample, t + maxGap, window end)), clipped to the window. The latest sample
 * before the window start therefore holds from the start, and earlier ones hold nothing.
 */
import type { Micros } from '../model/time.js';
import type { Gap, Window } from '../model/types.js';

/** The part of the window one sample holds (never empty). */
export interface Hold<T> {
  sample: T;
  start: Micros;
  end: Micros;
}

/** A stretch no sample covered, with the sample whose hold ran out before it. */
export interface HeldGap<T> extends Gap {
  after: T;
}

export interface Holding<T> {
  /** Non-empty holds, in time order. */
  holds: Hold<T>[];
  /** Interior coverage gaps inside the window, in time order. */
  gaps: HeldGap<T>[];
}

/**
 * `samples` are one resource's samples of one meter, sorted by time. A gap is the time
 * between a hold running out (t + maxGap) and the next sample; there is none before the first
 * sample or after the last one, since a resource created or deleted mid-window is not a gap.
 */
export function holdSamples<T extends { timestamp: Micros }>(
  samples: readonly T[],
  window: Window,
  maxGapUs: Micros,
): Holding<T> {
  const holds: Hold<T>[] = [];
  const gaps: HeldGap<T>[] = [];
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i];
    const t = sample.timestamp;
    const next = i + 1 < samples.length ? samples[i + 1].timestamp : Infinity;
    const expires = t + maxGapUs;
    const start = Math.max(t, window.start);
    const end = Math.min(next, expires, window.end);
    if (end > start) holds.push({ sample, start, end });
    if (next !== Infinity && next > expires) {
      const gapStart = Math.max(expires, window.start);
      const gapEnd = Math.min(next, window.end);
      if (gapEnd > gapStart) gaps.push({ start: gapStart, end: gapEnd, after: sample });
    }
  }
  return { holds, gaps };
}

/** Gaps as stored in usage records, without the sample they came after. */
export function plainGaps(gaps: readonly Gap[]): Gap[] {
  return gaps.map(({ start, end }) => ({ start, end }));
}
