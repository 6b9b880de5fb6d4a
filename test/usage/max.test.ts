/** max: the highest value held in the window (hand-computed peaks across a resize and a month boundary). */
import { parseMeters } from '../../src/config/meters.js';
import { computeUsage } from '../../src/usage/index.js';
import { max } from '../../src/usage/max.js';
import { at, every, HOUR, sample, spec, window } from './helpers.js';
import type { Sample, Window } from '../../src/model/types.js';

const VCPUS = parseMeters('[vcpus]\ntransform = max\nservice = vcpus.peak\nunit = vcpu\n', '/etc/artifice/meters.ini', 3600);
const vcpus = (timestamp: string, volume: number): Sample => sample({ meter: 'vcpus', timestamp, volume, unit: 'vcpu' });

// 16 vCPUs at 22:00 on Apr 30 (its hold runs out at 23:00, before May), 8 from 23:30 (holds
// until the next sample at 00:30 May 1, so 30 min of May), then resized down to 2 vCPUs, and up
// to 4 on May 20 12:30, until the 23:30 sample of May 31 that holds 30 min into June.
const SAMPLES = [
  vcpus('2024-04-30T22:00Z', 16),
  vcpus('2024-04-30T23:30Z', 8),
  ...every(HOUR, '2024-05-01T00:30Z', '2024-05-20T12:30Z', { meter: 'vcpus', volume: 2, unit: 'vcpu' }),
  ...every(HOUR, '2024-05-20T12:30Z', '2024-06-01T00:00Z', { meter: 'vcpus', volume: 4, unit: 'vcpu' }),
  vcpus('2024-06-01T00:30Z', 4),
];

const peak = (w: Window, samples: readonly Sample[] = SAMPLES) =>
  computeUsage(samples, VCPUS, { window: w, trustSources: [/^openstack$/], datacenterOf: (s) => s.region }).records.map((r) => [r.service, r.quantity.toString()]);

describe('max', () => {
  it('counts the value still held at the window start (the April sample holding into May), not one that ran out before', () => {
    expect(peak(window('2024-05-01T00:00Z', '2024-06-01T00:00Z'))).toEqual([['vcpus.peak', '8']]);
    expect(peak(window('2024-04-01T00:00Z', '2024-05-01T00:00Z'))).toEqual([['vcpus.peak', '16']]);
  });

  it('after the resize, the larger size is the peak; a window after the downsize sees only what it holds', () => {
    expect(peak(window('2024-05-02T00:00Z', '2024-06-01T00:00Z'))).toEqual([['vcpus.peak', '4']]);
    expect(peak(window('2024-05-02T00:00Z', '2024-05-20T12:30Z'))).toEqual([['vcpus.peak', '2']]);
    // June: the May 31 23:30 sample holds into it; a sample at the window end is not in it.
    expect(peak(window('2024-06-01T00:00Z', '2024-06-01T00:30Z'))).toEqual([['vcpus.peak', '4']]);
  });

  it('a sample at exactly the window end, and one whose hold ended at the start, count for nothing', () => {
    const samples = [vcpus('2024-05-01T00:00Z', 32), vcpus('2024-05-01T02:00Z', 64)];
    expect(peak(window('2024-05-01T01:00Z', '2024-05-01T02:00Z'), samples)).toEqual([]);
  });

  it('per service: a template splits the peak by flavor', () => {
    const perFlavor = spec({ meter: 'vcpus', transform: 'max', service: 'x', serviceParts: [{ kind: 'text', text: 'peak.' }, { kind: 'attribute', name: 'flavor' }] });
    const samples = [
      sample({ meter: 'vcpus', timestamp: '2024-05-01T00:00Z', volume: 2, metadata: { 'flavor.name': 'small' } }),
      sample({ meter: 'vcpus', timestamp: '2024-05-01T01:00Z', volume: 8, metadata: { 'flavor.name': 'large' } }),
      sample({ meter: 'vcpus', timestamp: '2024-05-01T02:00Z', volume: 2, metadata: { 'flavor.name': 'small' } }),
    ];
    const usages = max(samples, perFlavor, { window: window('2024-05-01T00:00Z', '2024-05-02T00:00Z') });
    expect(usages.map((u) => [u.service, u.quantity.toString(), u.sampleTimes])).toEqual([
      ['peak.small', '2', [at('2024-05-01T00:00Z'), at('2024-05-01T02:00Z')]],
      ['peak.large', '8', [at('2024-05-01T01:00Z')]],
    ]);
  });
});
