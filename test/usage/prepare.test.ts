import { DataError } from '../../src/model/errors.js';
import { prepareSamples, type PreparedSeries } from '../../src/usage/prepare.js';
import { at, sample, shuffled } from './helpers.js';
import type { Sample } from '../../src/model/types.js';

const TRUST = [/^(?:openstack|ceilometer)$/];
/** What prepareSamples gives: its counts, and the series it visited, in order. */
function prepared(samples: Parameters<typeof prepareSamples>[0], end = Number.POSITIVE_INFINITY) {
  const series: PreparedSeries[] = [];
  return { ...prepareSamples(samples, TRUST, end, (one) => series.push(one)), series };
}
/** Every kept sample, series after series. */
const kept = (samples: Sample[], end?: number) => prepared(samples, end).series.flatMap((s) => s.samples);

describe('prepareSamples', () => {
  it('drops samples whose source matches no trusted pattern (full match)', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', source: 'openstack' }),
      sample({ timestamp: '2024-05-01T00:01Z', source: 'ceilometer' }),
      sample({ timestamp: '2024-05-01T00:02Z', source: 'p-1:openstack' }),
      sample({ timestamp: '2024-05-01T00:03Z', source: 'openstack2' }),
    ];
    const result = prepared(samples);
    expect(kept(samples).map((s) => s.source)).toEqual(['openstack', 'ceilometer']);
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
    const result = prepared(samples);
    expect(result.duplicates).toBe(2);
    expect(result.kept).toBe(6);
    expect(kept(samples)).toHaveLength(6);
  });

  it('keeps the same copy of a duplicate whatever the input order', () => {
    const a = sample({ timestamp: '2024-05-01T00:00Z', id: 'x', metadata: { status: 'active' } });
    const b = sample({ timestamp: '2024-05-01T00:00Z', id: 'x', metadata: { status: 'shutoff' } });
    expect(kept([a, b])).toEqual([a]);
    expect(kept([b, a])).toEqual([a]);
  });

  it('a duplicate id that disagrees on what is billed fails, naming the id and both values, in any order', () => {
    const small = sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-1', volume: 10 });
    const big = sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-1', volume: 100000 });
    for (const order of [[small, big], [big, small]]) {
      expect(() => prepared(order)).toThrow(DataError);
      expect(() => prepared(order)).toThrow('sample dup-1 appears twice with different values (volume 10 and 100000)');
    }
    const later = sample({ timestamp: '2024-05-01T01:00Z', id: 'dup-2', resourceId: 'vm-9' });
    expect(() => prepared([sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-2' }), later])).toThrow(
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
    // By resource; then by time; at one time without id first (by volume), then by id.
    const expected = [4, 5, 3, 2, 1, 0, 6].map((i) => samples[i]);
    for (let seed = 1; seed <= 8; seed++) {
      expect(kept(shuffled(samples, seed))).toEqual(expected);
    }
  });

  it('gives one series per meter and resource, ordered by meter then resource', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', resourceId: 'vm-2' }),
      sample({ timestamp: '2024-05-01T00:00Z', resourceId: 'vm-1', meter: 'vcpus' }),
      sample({ timestamp: '2024-05-01T01:00Z', resourceId: 'vm-1' }),
      sample({ timestamp: '2024-05-01T00:00Z', resourceId: 'vm-1' }),
    ];
    const { series } = prepared(samples);
    expect(series.map((s) => [s.meter, s.resourceId, s.samples.map((x) => x.timestamp)])).toEqual([
      ['instance', 'vm-1', [at('2024-05-01T00:00Z'), at('2024-05-01T01:00Z')]],
      ['instance', 'vm-2', [at('2024-05-01T00:00Z')]],
      ['vcpus', 'vm-1', [at('2024-05-01T00:00Z')]],
    ]);
  });

  it('leaves out samples at or after the end, before judging trust', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z' }),
      sample({ timestamp: '2024-05-02T00:00Z' }),
      sample({ timestamp: '2024-05-02T00:00Z', source: 'p-1:openstack' }),
    ];
    const result = prepared(samples, at('2024-05-02T00:00Z'));
    expect(result.kept).toBe(1);
    expect(result.untrusted).toBe(0);
  });

  it('drops a copy without id of the same time and volume, even with other samples at that time between them', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T00:00Z', volume: 5 }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 5, id: 'x' }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 4 }),
      sample({ timestamp: '2024-05-01T00:00Z', volume: 5 }),
      sample({ timestamp: '2024-05-01T01:00Z', volume: 5 }),
    ];
    for (let seed = 1; seed <= 6; seed++) {
      const result = prepared(shuffled(samples, seed));
      expect(result.duplicates).toBe(1);
      expect(result.series[0]!.samples.map((s) => [s.volume, s.id])).toEqual([[4, null], [5, null], [5, 'x'], [5, null]]);
    }
  });

  it('a copy without id in another unit fails like one with an id', () => {
    const samples = [sample({ timestamp: '2024-05-01T00:00Z', volume: 5 }), sample({ timestamp: '2024-05-01T00:00Z', volume: 5, unit: 'GB' })];
    expect(() => prepared(samples)).toThrow("appears twice with different values (unit 'GB' and 'instance')");
  });

  it('names the two copies of an id in the total order, whichever resource comes first', () => {
    const late = sample({ timestamp: '2024-05-01T01:00Z', id: 'dup-3', resourceId: 'vm-0' });
    const early = sample({ timestamp: '2024-05-01T00:00Z', id: 'dup-3', resourceId: 'vm-9' });
    for (const order of [[late, early], [early, late]]) {
      expect(() => prepared(order)).toThrow(/\(timestamp 2024-05-01T00:00:00(?:\.0+)?Z and 2024-05-01T01:00:00(?:\.0+)?Z; resource vm-9 and vm-0\)/);
    }
  });
});

describe('prepareSamples with series', () => {
  it('treats the samples of a series as loose ones: trust, end, order and duplicates across both', () => {
    const loose = [sample({ timestamp: '2024-05-01T01:00Z', id: 'a' }), sample({ timestamp: '2024-05-01T00:00Z' })];
    const series = [
      {
        meter: 'instance',
        resourceId: 'vm-1',
        samples: () => [
          sample({ timestamp: '2024-05-01T00:00Z' }), // a copy of a loose one
          sample({ timestamp: '2024-05-01T02:00Z', source: 'p-1:openstack' }),
          sample({ timestamp: '2024-05-01T03:00Z' }), // at the end
          sample({ timestamp: '2024-05-01T00:30Z' }),
        ],
      },
    ];
    const result = prepared({ samples: loose, series }, at('2024-05-01T03:00Z'));
    expect(result.series.map((s) => s.samples.map((x) => x.timestamp))).toEqual([[at('2024-05-01T00:00Z'), at('2024-05-01T00:30Z'), at('2024-05-01T01:00Z')]]);
    expect([result.kept, result.duplicates, result.untrusted]).toEqual([3, 1, 1]);
  });

  it('a series whose sample repeats a loose id with another volume fails', () => {
    const loose = [sample({ timestamp: '2024-05-01T00:00Z', id: 'x', volume: 1 })];
    const series = [{ meter: 'instance', resourceId: 'vm-1', samples: () => [sample({ timestamp: '2024-05-01T00:00Z', id: 'x', volume: 2 })] }];
    expect(() => prepared({ samples: loose, series })).toThrow('sample x appears twice with different values (volume 1 and 2)');
  });
});

describe('prepareSamples on a series alone (used as it is when nothing is dropped)', () => {
  const one = (samples: Sample[]) => [{ meter: 'instance', resourceId: 'vm-1', samples: () => samples }];
  const times = (result: ReturnType<typeof prepared>) => result.series.flatMap((s) => s.samples.map((x) => x.timestamp));

  it('drops an untrusted sample in the middle of a series, and those at the end, keeping the others in order', () => {
    const samples = ['00:00', '01:00', '02:00', '03:00'].map((t, i) => sample({ timestamp: `2024-05-01T${t}Z`, source: i === 1 ? 'p-1:openstack' : 'openstack' }));
    const result = prepared({ samples: [], series: one(samples) }, at('2024-05-01T03:00Z'));
    expect(times(result)).toEqual([at('2024-05-01T00:00Z'), at('2024-05-01T02:00Z')]);
    expect([result.kept, result.untrusted, result.duplicates]).toEqual([2, 1, 0]);
  });

  it('sorts a series that is not in strict time order: equal timestamps go by id, then volume', () => {
    const samples = [
      sample({ timestamp: '2024-05-01T01:00Z', volume: 2 }),
      sample({ timestamp: '2024-05-01T01:00Z', volume: 1 }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'b' }),
      sample({ timestamp: '2024-05-01T00:00Z', id: 'a' }),
    ];
    const result = prepared({ samples: [], series: one(samples) });
    expect(result.series[0]!.samples.map((x) => [x.id, x.volume])).toEqual([['a', 1], ['b', 1], [null, 1], [null, 2]]);
  });

  it('drops a copy inside one series, and an id repeated by a later series of the resource, counting both', () => {
    const first = [sample({ timestamp: '2024-05-01T00:00Z', id: 'x' }), sample({ timestamp: '2024-05-01T01:00Z' }), sample({ timestamp: '2024-05-01T01:00Z' })];
    const later = [sample({ timestamp: '2024-05-01T00:00Z', id: 'x' }), sample({ timestamp: '2024-05-01T02:00Z' })];
    const result = prepared({ samples: [], series: [...one(first), ...one(later)] });
    expect(times(result)).toEqual([at('2024-05-01T00:00Z'), at('2024-05-01T01:00Z'), at('2024-05-01T02:00Z')]);
    expect([result.kept, result.duplicates]).toEqual([3, 2]);
  });
});

describe('prepareSamples visiting series', () => {
  it('reads a series only when its group is visited, and visits each group once, in order', () => {
    const events: string[] = [];
    const series = (resourceId: string) => ({
      meter: 'instance',
      resourceId,
      samples: () => (events.push(`read ${resourceId}`), [sample({ timestamp: '2024-05-01T00:00Z', resourceId })]),
    });
    prepareSamples({ samples: [sample({ timestamp: '2024-05-01T01:00Z', resourceId: 'vm-2' })], series: [series('vm-3'), series('vm-2')] }, TRUST, Infinity, (one) =>
      events.push(`visit ${one.resourceId} ${one.samples.length}`),
    );
    expect(events).toEqual(['read vm-2', 'visit vm-2 2', 'read vm-3', 'visit vm-3 1']);
  });

  it('refuses a series that holds another resource\'s sample', () => {
    const series = [{ meter: 'instance', resourceId: 'vm-1', samples: () => [sample({ timestamp: '2024-05-01T00:00Z', resourceId: 'vm-2' })] }];
    expect(() => prepared({ samples: [], series })).toThrow("the collector's series of instance for resource vm-1 holds a sample of instance for resource vm-2");
  });
});
