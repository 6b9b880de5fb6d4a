import { forEachHold } from '../../src/usage/holding.js';
import type { Micros } from '../../src/model/time.js';
import type { Window } from '../../src/model/types.js';
import { at, HOUR, MINUTE, window } from './helpers.js';

/** What forEachHold calls back, gathered: holds and gaps with the sample they belong to. */
function holdSamples<T extends { timestamp: Micros }>(samples: T[], w: Window, maxGapUs: Micros) {
  const holds: { sample: T; start: Micros; end: Micros }[] = [];
  const gaps: { after: T; start: Micros; end: Micros }[] = [];
  forEachHold(samples, w, maxGapUs, (i, start, end) => holds.push({ sample: samples[i]!, start, end }), (i, start, end) => gaps.push({ after: samples[i]!, start, end }));
  return { holds, gaps };
}

const W = window('2024-05-01T00:00Z', '2024-05-01T06:00Z');
const ts = (...isos: string[]) => isos.map((iso) => ({ timestamp: at(iso) }));
const spans = (holds: { start: number; end: number }[]) => holds.map((h) => [h.start, h.end]);

describe('forEachHold', () => {
  it('holds each sample until the next one, max_gap, or the window end', () => {
    const { holds, gaps } = holdSamples(ts('2024-05-01T00:00Z', '2024-05-01T00:20Z', '2024-05-01T05:30Z'), W, HOUR);
    expect(spans(holds)).toEqual([
      [at('2024-05-01T00:00Z'), at('2024-05-01T00:20Z')],
      [at('2024-05-01T00:20Z'), at('2024-05-01T01:20Z')],
      [at('2024-05-01T05:30Z'), at('2024-05-01T06:00Z')],
    ]);
    expect(gaps.map((g) => [g.start, g.end])).toEqual([[at('2024-05-01T01:20Z'), at('2024-05-01T05:30Z')]]);
    expect(gaps[0].after.timestamp).toBe(at('2024-05-01T00:20Z'));
  });

  it('lets only the latest sample before the start hold, from the start', () => {
    const samples = ts('2024-04-30T23:00Z', '2024-04-30T23:40Z', '2024-05-01T00:10Z');
    const { holds, gaps } = holdSamples(samples, W, HOUR);
    expect(holds.map((h) => h.sample)).toEqual([samples[1], samples[2]]);
    expect(spans(holds)[0]).toEqual([at('2024-05-01T00:00Z'), at('2024-05-01T00:10Z')]);
    expect(gaps).toEqual([]);
  });

  it('drops a look-back sample that expired before the start, and reports the gap from the start', () => {
    const { holds, gaps } = holdSamples(ts('2024-04-30T22:00Z', '2024-05-01T01:00Z'), W, HOUR);
    expect(spans(holds)).toEqual([[at('2024-05-01T01:00Z'), at('2024-05-01T02:00Z')]]);
    expect(gaps.map((g) => [g.start, g.end])).toEqual([[at('2024-05-01T00:00Z'), at('2024-05-01T01:00Z')]]);
  });

  it('has no leading gap before the first sample nor a trailing one after the last', () => {
    const { holds, gaps } = holdSamples(ts('2024-05-01T02:00Z', '2024-05-01T02:30Z'), W, HOUR);
    expect(spans(holds)).toEqual([
      [at('2024-05-01T02:00Z'), at('2024-05-01T02:30Z')],
      [at('2024-05-01T02:30Z'), at('2024-05-01T03:30Z')],
    ]);
    expect(gaps).toEqual([]);
  });

  it('clips a gap that runs past the window end', () => {
    const { gaps } = holdSamples(ts('2024-05-01T04:00Z', '2024-05-01T09:00Z'), W, HOUR);
    expect(gaps.map((g) => [g.start, g.end])).toEqual([[at('2024-05-01T05:00Z'), at('2024-05-01T06:00Z')]]);
  });

  it('treats a step of exactly max_gap as covered', () => {
    const { gaps, holds } = holdSamples(ts('2024-05-01T00:00Z', '2024-05-01T01:00Z'), W, HOUR);
    expect(gaps).toEqual([]);
    expect(holds.reduce((s, h) => s + h.end - h.start, 0)).toBe(2 * HOUR);
  });

  it('drops empty holds: of two samples at one instant the later in order holds', () => {
    const samples = ts('2024-05-01T00:00Z', '2024-05-01T00:00Z');
    const { holds } = holdSamples(samples, W, 30 * MINUTE);
    expect(holds).toHaveLength(1);
    expect(holds[0].sample).toBe(samples[1]);
  });
});
