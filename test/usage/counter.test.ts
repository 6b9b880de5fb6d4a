import { Decimal } from '../../src/model/decimal.js';
import { counter } from '../../src/usage/counter.js';
import { at, GIB, sample, spec, window } from './helpers.js';

const BYTES = spec({ meter: 'network.incoming.bytes', transform: 'counter', unit: 'gigabyte', divideBy: new Decimal(GIB) });
const RAW = { ...BYTES, divideBy: new Decimal(1) };
const MAY1 = window('2024-05-01T00:00Z', '2024-05-02T00:00Z');
const MAY2 = window('2024-05-02T00:00Z', '2024-05-03T00:00Z');
const BOTH = window('2024-05-01T00:00Z', '2024-05-03T00:00Z');

const c = (timestamp: string, volume: number) => sample({ meter: 'network.incoming.bytes', timestamp, volume, type: 'cumulative' });

const SERIES = [
  c('2024-04-30T22:00Z', 100), //  earlier than the baseline: irrelevant
  c('2024-04-30T23:00Z', 150), //  baseline of May 1
  c('2024-05-01T06:00Z', 400), //  +250
  c('2024-05-01T12:00Z', 50), //   reset: +50
  c('2024-05-01T18:00Z', 250), //  +200            → May 1: 500
  c('2024-05-02T00:00Z', 300), //  +50 (May 2, whose baseline is 18:00)
  c('2024-05-02T10:00Z', 1000), // +700            → May 2: 750
];

describe('counter', () => {
  it('sums increases from the look-back baseline, treating a decrease as a reset', () => {
    const [usage] = counter(SERIES, RAW, { window: MAY1 });
    expect(usage.quantity.toString()).toBe('500');
    expect(usage.sampleTimes).toEqual([at('2024-04-30T23:00Z'), at('2024-05-01T06:00Z'), at('2024-05-01T12:00Z'), at('2024-05-01T18:00Z')]);
    expect(usage.gaps).toEqual([]);
  });

  it('adds up over two consecutive windows to the whole', () => {
    const first = counter(SERIES, RAW, { window: MAY1 })[0].quantity;
    const second = counter(SERIES, RAW, { window: MAY2 })[0].quantity;
    const whole = counter(SERIES, RAW, { window: BOTH })[0].quantity;
    expect(second.toString()).toBe('750');
    expect(whole.toString()).toBe('1250');
    expect(first.plus(second).toString()).toBe(whole.toString());
  });

  it('takes the first sample ever seen as a baseline only', () => {
    const [usage] = counter([c('2024-05-01T06:00Z', 400), c('2024-05-01T07:00Z', 500)], RAW, { window: MAY1 });
    expect(usage.quantity.toString()).toBe('100');
    expect(usage.sampleTimes).toHaveLength(2);
  });

  it('converts bytes to GB', () => {
    const series = [c('2024-04-30T23:00Z', GIB), c('2024-05-01T01:00Z', 2.5 * GIB), c('2024-05-01T02:00Z', 4 * GIB)];
    expect(counter(series, BYTES, { window: MAY1 })[0].quantity.toString()).toBe('3');
  });

  it('gives 0 with samples when the counter did not move, and nothing with only a baseline', () => {
    const flat = counter([c('2024-04-30T23:00Z', 7), c('2024-05-01T01:00Z', 7)], RAW, { window: MAY1 });
    expect(flat[0].quantity.toString()).toBe('0');
    expect(flat[0].sampleTimes).toHaveLength(2);
    expect(counter([c('2024-04-30T23:00Z', 7)], RAW, { window: MAY1 })).toEqual([]);
  });
  it('stays exact when integer steps give way to fractions, or to a total beyond 2^53', () => {
    const fractions = [c('2024-05-01T01:00Z', 10), c('2024-05-01T02:00Z', 30), c('2024-05-01T03:00Z', 30.1), c('2024-05-01T04:00Z', 0.2), c('2024-05-01T05:00Z', 7)];
    // 20 + 0.1 + 0.2 (reset) + 6.8, in decimal: no binary rounding (20.1 + 0.2 is 20.300000000000001 in floats).
    expect(counter(fractions, RAW, { window: MAY1 })[0].quantity.toString()).toBe('27.1');
    const big = 2 ** 53 - 1;
    const huge = [c('2024-05-01T01:00Z', 0), c('2024-05-01T02:00Z', big), c('2024-05-01T03:00Z', 5), c('2024-05-01T04:00Z', big)];
    // big + 5 (reset) + (big − 5): twice 2^53 − 1, beyond what a number holds exactly.
    expect(counter(huge, RAW, { window: MAY1 })[0].quantity.toString()).toBe('18014398509481982');
  });
});
