import { Decimal } from '../../src/model/decimal.js';
import { DataError } from '../../src/model/errors.js';
import { computeUsage } from '../../src/usage/index.js';
import type { UsageOptions } from '../../src/usage/types.js';
import { at, every, GIB, HOUR, plain, sample, shuffled, spec, window } from './helpers.js';
import type { Sample } from '../../src/model/types.js';

const SPECS = [
  spec({ meter: 'instance', transform: 'uptime', service: 'flavor' }),
  spec({ meter: 'volume.size', transform: 'gauge', unit: 'gigabyte-hour' }),
  spec({ meter: 'network.incoming.bytes', transform: 'counter', unit: 'gigabyte', divideBy: new Decimal(GIB) }),
];

const OPTIONS: UsageOptions = {
  window: window('2024-05-01T00:00Z', '2024-05-02T00:00Z'),
  trustSources: [/^openstack$/],
  datacenterOf: (s) => (typeof s.metadata.availability_zone === 'string' ? s.metadata.availability_zone : s.region),
};

let nextId = 0;
const small = { 'flavor.name': 'm1.small', status: 'active' };
const vm1 = every(HOUR, '2024-04-30T23:30Z', '2024-05-01T06:00Z', { metadata: { ...small, availability_zone: 'zone-a' } })
  .map((s) => ({ ...s, id: `i-${nextId++}` }));
vm1[vm1.length - 1].metadata = { ...small, availability_zone: 'zone-b' }; // the latest sample decides the datacenter

const vol = (resourceId: string, timestamp: string, volume: number): Sample =>
  sample({ meter: 'volume.size', resourceId, timestamp, volume });
const net = (timestamp: string, volume: number, source = 'openstack'): Sample =>
  sample({ meter: 'network.incoming.bytes', resourceId: 'tap-1', timestamp, volume, source, type: 'cumulative' });

const SAMPLES: Sample[] = [
  ...vm1, //                                                     6.5 h: 00:00 → 06:30
  { ...vm1[2] }, //                                              duplicate by id
  sample({ resourceId: 'vm-3', timestamp: '2024-05-01T00:00Z', metadata: small }), //   m1.small 0.5 h
  sample({ resourceId: 'vm-3', timestamp: '2024-05-01T00:30Z', metadata: { ...small, 'flavor.name': 'm1.large' } }), // 1 h
  sample({ resourceId: 'vm-2', timestamp: '2024-04-30T20:00Z', metadata: small }), //   expired before the window
  vol('vol-1', '2024-05-01T00:00Z', 10),
  vol('vol-1', '2024-05-01T01:00Z', 10), //                      10 GB × 2 h
  vol('vol-1', '2024-05-01T01:00Z', 10), //                      duplicate without id
  vol('vol-1', '2024-05-02T05:00Z', 10), //                      after the end: ignored, so no trailing gap
  vol('vol-0', '2024-05-01T03:00Z', 0), //                       size 0: a record of 0
  net('2024-04-30T23:00Z', 0),
  net('2024-05-01T12:00Z', 2 * GIB), //                          +2 GB
  net('2024-05-01T13:00Z', 100 * GIB, 'p-1:openstack'), //        forged: would add 98 GB
  sample({ meter: 'cpu_util', timestamp: '2024-05-01T01:00Z' }),
  sample({ meter: 'memory.usage', timestamp: '2024-05-01T01:00Z' }),
];

const EXPECTED = [
  {
    meter: 'instance', resourceId: 'vm-1', service: 'm1.small', datacenter: 'zone-b', quantity: '6.5', unit: 'hour',
    samples: 7, firstSample: at('2024-04-30T23:30Z'), lastSample: at('2024-05-01T05:30Z'), gaps: [],
  },
  {
    meter: 'instance', resourceId: 'vm-3', service: 'm1.large', datacenter: 'RegionOne', quantity: '1', unit: 'hour',
    samples: 1, firstSample: at('2024-05-01T00:30Z'), lastSample: at('2024-05-01T00:30Z'), gaps: [],
  },
  {
    meter: 'instance', resourceId: 'vm-3', service: 'm1.small', datacenter: 'RegionOne', quantity: '0.5', unit: 'hour',
    samples: 1, firstSample: at('2024-05-01T00:00Z'), lastSample: at('2024-05-01T00:00Z'), gaps: [],
  },
  {
    meter: 'network.incoming.bytes', resourceId: 'tap-1', service: 'network.incoming.bytes', datacenter: 'RegionOne',
    quantity: '2', unit: 'gigabyte', samples: 2, firstSample: at('2024-04-30T23:00Z'), lastSample: at('2024-05-01T12:00Z'), gaps: [],
  },
  {
    meter: 'volume.size', resourceId: 'vol-0', service: 'volume.size', datacenter: 'RegionOne', quantity: '0',
    unit: 'gigabyte-hour', samples: 1, firstSample: at('2024-05-01T03:00Z'), lastSample: at('2024-05-01T03:00Z'), gaps: [],
  },
  {
    meter: 'volume.size', resourceId: 'vol-1', service: 'volume.size', datacenter: 'RegionOne', quantity: '20',
    unit: 'gigabyte-hour', samples: 2, firstSample: at('2024-05-01T00:00Z'), lastSample: at('2024-05-01T01:00Z'), gaps: [],
  },
];

describe('computeUsage', () => {
  it('turns trusted, unique samples into sorted, explainable records', () => {
    const result = computeUsage(SAMPLES, SPECS, OPTIONS);
    expect(result.records.map(plain)).toEqual(EXPECTED);
    expect(result.untrusted).toBe(1);
    expect(result.duplicates).toBe(2);
    expect(result.unknownMeters).toEqual(['cpu_util', 'memory.usage']);
  });

  it('gives the identical result for shuffled input', () => {
    for (let seed = 1; seed <= 6; seed++) {
      const result = computeUsage(shuffled(SAMPLES, seed), SPECS, OPTIONS);
      expect(result.records.map(plain)).toEqual(EXPECTED);
      expect([result.untrusted, result.duplicates]).toEqual([1, 2]);
    }
  });

  it('reports gaps of gauges in their record', () => {
    const samples = [vol('vol-9', '2024-05-01T00:00Z', 4), vol('vol-9', '2024-05-01T03:00Z', 4)];
    const [record] = computeUsage(samples, SPECS, OPTIONS).records;
    expect(record.quantity.toString()).toBe('8'); // 4 GB × (00:00–01:00 + 03:00–04:00)
    expect(record.gaps).toEqual([{ start: at('2024-05-01T01:00Z'), end: at('2024-05-01T03:00Z') }]);
  });

  it('refuses a negative gauge or counter sample, naming it (billing it would credit the tenant)', () => {
    const negative = { ...vol('vol-7', '2024-05-01T02:00Z', -100), id: 'bad-1' };
    expect(() => computeUsage([vol('vol-7', '2024-05-01T01:00Z', 10), negative], SPECS, OPTIONS)).toThrow(DataError);
    expect(() => computeUsage([negative], SPECS, OPTIONS)).toThrow(
      'sample bad-1 of volume.size for resource vol-7 at 2024-05-01T02:00:00Z has a negative volume (-100); a gauge cannot be below 0',
    );
    expect(() => computeUsage([net('2024-05-01T01:00Z', 5), net('2024-05-01T02:00Z', -3)], SPECS, OPTIONS)).toThrow(/a counter cannot be below 0/);
    // Zero is a size, and an untrusted negative sample is dropped before it is looked at.
    expect(computeUsage([vol('vol-7', '2024-05-01T01:00Z', 0)], SPECS, OPTIONS).records).toHaveLength(1);
    expect(computeUsage([{ ...negative, source: 'p1:forged' }], SPECS, OPTIONS).records).toEqual([]);
  });

  it('with sample_unit, a sample in another unit fails (divide_by assumes the unit); one without a unit passes', () => {
    const specs = SPECS.map((s) => (s.meter === 'volume.size' ? { ...s, sampleUnit: 'GB' } : s));
    const inTb = { ...vol('vol-7', '2024-05-01T01:00Z', 2), id: 'tb-1', unit: 'TB' };
    expect(() => computeUsage([inTb], specs, OPTIONS)).toThrow(
      "sample tb-1 of volume.size for resource vol-7 at 2024-05-01T01:00:00Z is in 'TB', but the meters file says sample_unit = GB",
    );
    expect(computeUsage([{ ...inTb, unit: 'GB' }], specs, OPTIONS).records).toHaveLength(1);
    expect(computeUsage([{ ...inTb, unit: '' }], specs, OPTIONS).records).toHaveLength(1);
    expect(computeUsage([inTb], SPECS, OPTIONS).records).toHaveLength(1); // no sample_unit: not checked
  });

  it('counts kept and untrusted samples, and names some untrusted sources', () => {
    const result = computeUsage([net('2024-05-01T01:00Z', 5, 'p1:x'), net('2024-05-01T02:00Z', 6, 'p1:x'), net('2024-05-01T03:00Z', 7, 'p2:y')], SPECS, OPTIONS);
    expect(result).toMatchObject({ kept: 0, untrusted: 3, untrustedSources: ['p1:x', 'p2:y'] });
  });

  it('returns nothing for no samples', () => {
    expect(computeUsage([], SPECS, OPTIONS)).toEqual({ records: [], untrusted: 0, untrustedSources: [], kept: 0, duplicates: 0, unknownMeters: [] });
  });
});
