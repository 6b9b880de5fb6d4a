import { computeUsage } from '../../src/usage/index.js';
import { sum } from '../../src/usage/sum.js';
import { at, sample, spec, window } from './helpers.js';
import type { Window } from '../../src/model/types.js';

const DELTA = spec({ meter: 'network.services.lb.incoming.bytes', transform: 'sum', unit: 'byte' });

const d = (timestamp: string, volume: number) => sample({ meter: DELTA.meter, timestamp, volume, type: 'delta' });

/** Sums through computeUsage, so samples at the end are dropped where a collector would not return them. */
function total(samples: ReturnType<typeof d>[], w: Window): string | undefined {
  const result = computeUsage(samples, [DELTA], { window: w, trustSources: [/^openstack$/], datacenterOf: () => 'dc' });
  return result.records[0]?.quantity.toString();
}

describe('sum', () => {
  it('sums delta volumes with start ≤ t < end', () => {
    const w = window('2024-05-01T00:00Z', '2024-05-02T00:00Z');
    const samples = [d('2024-04-30T23:59:59.999999Z', 1), d('2024-05-01T00:00Z', 2), d('2024-05-01T12:00Z', 0.25), d('2024-05-02T00:00Z', 8)];
    const [usage] = sum(samples, DELTA, { window: w });
    expect(usage.quantity.toString()).toBe('2.25');
    expect(usage.sampleTimes).toEqual([at('2024-05-01T00:00Z'), at('2024-05-01T12:00Z')]);
  });

  it('bills May 2024 in Pacific/Auckland (UTC+12) as [30 April 12:00Z, 31 May 12:00Z)', () => {
    const may = window('2024-04-30T12:00Z', '2024-05-31T12:00Z');
    const samples = [
      d('2024-04-30T11:59:59.999Z', 1000), // 23:59:59.999 on 30 April in Auckland: April
      d('2024-04-30T12:00Z', 1), //            00:00 on 1 May in Auckland
      d('2024-05-31T11:59:59.999Z', 10), //    end − 1 ms: May
      d('2024-05-31T12:00Z', 100), //          00:00 on 1 June in Auckland: June
    ];
    expect(total(samples, may)).toBe('11');
    expect(total(samples, window('2024-05-31T12:00Z', '2024-06-30T12:00Z'))).toBe('100');
  });

  it('bills January 2024 in America/Los_Angeles (UTC-8) as [1 January 08:00Z, 1 February 08:00Z)', () => {
    const january = window('2024-01-01T08:00Z', '2024-02-01T08:00Z');
    const samples = [
      d('2024-01-01T07:59:59.999Z', 1000), // still 31 December in Los Angeles
      d('2024-01-01T08:00Z', 1),
      d('2024-02-01T07:59:59.999Z', 10), //   end − 1 ms
      d('2024-02-01T08:00Z', 100), //         1 February 00:00 PST
    ];
    expect(total(samples, january)).toBe('11');
  });
});
