import { DataError } from '../../src/model/errors.js';
import { prepareSamples } from '../../src/usage/prepare.js';
import { sample, shuffled } from './helpers.js';

const TRUST = [/^(?:openstack|ceilometer)$/];

describe('prepareSamples', () => {
  it('drops samples whose source matches no trusted pattern (full match)', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', source: 'openstack' }),
      sample({ timestamp: '2024-05-01T00:01Z', source: 'ceilometer' }),
      sample({ timestamp: '2024-05-01T00:02Z', source: 'p-1:openstack' }),
      sample({ timestamp: '2024-05-01T00:03Z', source: 'openstack2' }),
    ];
    const result = prepareSamples(samples, TRUST);
    expect(result.samples.map((s) => s.source)).toEqual(['openstack', 'ceilometer']);
    expect(result.untrusted).toBe(2);
    expect(result.duplicates).toBe(0);
  });

  it('drops duplicates by id, and without id by meter+resource+timestamp+volume', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', id: 'a' }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'a' }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'b' }), // another id at the same instant: kept
      sample({ timestamp: '2024-05-01T01:00Z', volume: 5 }),
      sample({ timestamp: '2024-05-01T01:00Z', volume: 5 }),
      sample({ timestamp: '2024-05-01T01:00Z', volume: 6 }), // other volume: kept
      sample({ timestamp: '2024-05-01T01:00Z', volume: 5, resourceId: 'vm-2' }), // other resource: kept
      sample({ timestamp: '2024-05-01T01:00Z', volume: 5, meter: 'vcpus' }), // other meter: kept
    ];
    const result = prepareSamples(samples, TRUST);
    expect(result.duplicates).toBe(2);
    expect(result.samples).toHaveLength(6);
  });

  it('keeps the same copy of a duplicate whatever the input order', () => {
    const a = sample({ timestamp: '2024-05-01T00:00Z', id: 'x', metadata: { status: 'active' } });
    const b = sample({ timestamp: '2024-05-01T00:00Z', id: 'x', metadata: { status: 'shutoff' } });
    expect(prepareSamples([a, b], TRUST).samples).toEqual([a]);
    expect(prepareSamples([b, a], TRUST).samples).toEqual([a]);
  });

  it('a duplicate id that disagrees on what is billed fails, naming the id and both values, in any order', () => {
    const small = sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-1', volume: 10 });
    const big = sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-1', volume: 100000 });
    for (const order of [[small, big], [big, small]]) {
      expect(() => prepareSamples(order, TRUST)).toThrow(DataError);
      expect(() => prepareSamples(order, TRUST)).toThrow('sample dup-1 appears twice with different values (volume 10 and 100000)');
    }
    const later = sample({ timestamp: '2024-05-01T01:00Z', id: 'dup-2', resourceId: 'vm-9' });
    expect(() => prepareSamples([sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-2' }), later], TRUST)).toThrow(
      /sample dup-2 appears twice with different values \(timestamp 2024-05-01T00:00:00(?:\.0+)?Z and 2024-05-01T01:00:00(?:\.0+)?Z; resource \S+ and vm-9\)/,
    );
  });

  it('sorts in a total order, so shuffled input gives the identical output', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', id: 'b' }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'a' }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 3 }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 2 }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 2, resourceId: 'vm-0' }),
      sample({ timestamp: '2024-04-30T23:59Z', id: 'z' }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'c', volume: 0 }),
    ];
    // Without id first (by volume, then resource), then by id.
    const expected = [5, 4, 3, 2, 1, 0, 6].map((i) => samples[i]);
    for (let seed = 1; seed <= 8; seed++) {
      expect(prepareSamples(shuffled(samples, seed), TRUST).samples).toEqual(expected);
    }
  });
});
