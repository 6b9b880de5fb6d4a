import { Decimal } from '../../src/model/decimal.js';
import { gauge } from '../../src/usage/gauge.js';
import { at, every, GIB, HOUR, sample, spec, window } from './helpers.js';

const DAY = window('2024-05-01T00:00Z', '2024-05-02T00:00Z');
const VOLUME = spec({ meter: 'volume.size', transform: 'gauge', unit: 'gigabyte-hour' });
const IMAGE = spec({ meter: 'image.size', transform: 'gauge', unit: 'gigabyte-hour', divideBy: new Decimal(GIB) });

describe('gauge', () => {
  it('integrates a volume resized mid-window, in GB-hours', () => {
    const samples = [
      ...every(HOUR, '2024-04-30T23:30Z', '2024-05-01T10:00Z', { meter: 'volume.size', volume: 10 }),
      ...every(HOUR, '2024-05-01T10:00Z', '2024-05-02T00:00Z', { meter: 'volume.size', volume: 20 }),
    ];
    // 10 GB × 10 h (00:00–10:00) + 20 GB × 14 h (10:00–24:00) = 380 GB-h.
    const [usage] = gauge(samples, VOLUME, { window: DAY });
    expect(usage.quantity.toString()).toBe('380');
    expect(usage.service).toBe('volume.size');
    expect(usage.sampleTimes).toHaveLength(11 + 14);
    expect(usage.sampleTimes[0]).toBe(at('2024-04-30T23:30Z'));
    expect(usage.gaps).toEqual([]);
  });

  it('converts bytes to GB with divideBy 2^30', () => {
    const samples = [
      sample({ meter: 'image.size', timestamp: '2024-05-01T00:00Z', volume: 1.5 * GIB }), // 0.5 h × 1.5 GB
      ...every(HOUR, '2024-05-01T00:30Z', '2024-05-01T04:00Z', { meter: 'image.size', volume: 2.5 * GIB }), // 4 h × 2.5 GB
    ];
    const [usage] = gauge(samples, IMAGE, { window: DAY });
    expect(usage.quantity.toString()).toBe('10.75');
  });

  it('keeps exact digits where floats would not: 0.1 GB for 3 hours is 0.3 GB-h', () => {
    const samples = every(HOUR, '2024-05-01T00:00Z', '2024-05-01T03:00Z', { meter: 'volume.size', volume: 0.1 });
    expect(gauge(samples, VOLUME, { window: DAY })[0].quantity.toString()).toBe('0.3');
  });

  it('does not bill beyond max_gap and reports the gap', () => {
    const samples = [
      sample({ meter: 'volume.size', timestamp: '2024-05-01T00:00Z', volume: 8 }),
      sample({ meter: 'volume.size', timestamp: '2024-05-01T12:00Z', volume: 8 }),
    ];
    const [usage] = gauge(samples, VOLUME, { window: DAY });
    expect(usage.quantity.toString()).toBe('16');
    expect(usage.gaps).toEqual([{ start: at('2024-05-01T01:00Z'), end: at('2024-05-01T12:00Z') }]);
  });

  it('gives a zero quantity with its sample for a volume of size 0, and nothing without a sample', () => {
    const [usage] = gauge([sample({ meter: 'volume.size', timestamp: '2024-05-01T05:00Z', volume: 0 })], VOLUME, { window: DAY });
    expect(usage.quantity.toString()).toBe('0');
    expect(usage.sampleTimes).toEqual([at('2024-05-01T05:00Z')]);
    const stale = [sample({ meter: 'volume.size', timestamp: '2024-04-30T22:00Z', volume: 5 })];
    expect(gauge(stale, VOLUME, { window: DAY })).toEqual([]);
  });

  it('bills a 1 TiB volume over all of May 2024 UTC exactly', () => {
    const may = window('2024-05-01T00:00Z', '2024-06-01T00:00Z');
    const samples = every(HOUR, '2024-04-30T23:59Z', '2024-06-01T00:00Z', { meter: 'volume.size', volume: 1024 });
    expect(gauge(samples, VOLUME, { window: may })[0].quantity.toString()).toBe(String(1024 * 31 * 24)); // 761856
  });
});
