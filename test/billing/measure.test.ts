/** src/billing/measure.ts: datacenters of samples, and the look-back of a counter. */
import { measure } from '../../src/billing/measure.js';
import { loadConfig } from '../../src/config.js';
import { packageFile } from '../../src/model/paths.js';
import { parseTimestamp } from '../../src/model/time.js';
import { monthWindow } from '../../src/period.js';
import type { Collector } from '../../src/telemetry/contract.js';
import type { Sample } from '../../src/model/types.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { billingFixture, MAY } from './fixture.js';

afterAll(cleanTempDirs);

const f = billingFixture();

describe('datacenters', () => {
  it('an availability zone named like an Object property (constructor, __proto__) is not a [datacenters] entry', async () => {
    const odd = (zone: string): Sample => ({
      meter: 'volume.size', resourceId: `vol-${zone}`, projectId: 'tenant-01', timestamp: parseTimestamp('2024-05-10T00:00:00Z')!, volume: 1,
      unit: 'GB', type: 'gauge', metadata: { availability_zone: zone }, id: `s-${zone}`, source: 'openstack', region: 'RegionOne',
    });
    const collector: Collector = {
      description: 'odd zones', tenants: async () => [], close: async () => {},
      samples: async (query) => (query.meter === 'volume.size' ? [odd('constructor'), odd('__proto__'), odd('toString')] : []),
    };
    const result = await measure({ config: f.config, collector }, { id: 'tenant-01' }, MAY);
    expect(result.records.map((r) => r.datacenter)).toEqual(['RegionOne', 'RegionOne', 'RegionOne']);
  });
});

describe('the look-back of a counter', () => {
  it('finds a baseline older than max_gap, so consecutive months add up to the whole', async () => {
    // The demo config: default meters, max_gap 1 h (loading it writes nothing).
    const config = await loadConfig({ flag: packageFile('config', 'demo', 'artifice.ini'), env: {}, cwd: process.cwd() });
    expect(config.main.maxGapSeconds).toBe(3600);
    const GIB = 2 ** 30;
    // A counter polled with a 3-hour hole across the month boundary: 1 GiB at 04-30 21:00,
    // 4 GiB at 05-01 00:30, 10 GiB at 05-31 23:00, 13 GiB at 06-01 02:00.
    const at = (iso: string, gib: number): Sample => ({
      meter: 'network.outgoing.bytes', resourceId: 'tap-1', projectId: 'p1', timestamp: parseTimestamp(iso)!, volume: gib * GIB,
      unit: 'B', type: 'cumulative', metadata: {}, id: iso, source: 'openstack', region: 'RegionOne',
    });
    const all = [at('2024-04-30T21:00:00', 1), at('2024-05-01T00:30:00', 4), at('2024-05-31T23:00:00', 10), at('2024-06-01T02:00:00', 13)];
    const collector: Collector = {
      description: 'memory',
      tenants: async () => [{ id: 'p1' }],
      close: async () => {},
      samples: async (q) => all.filter((s) => s.meter === q.meter && s.timestamp >= q.start && s.timestamp < q.end),
    };
    const outgoing = async (window: typeof MAY) =>
      (await measure({ config, collector }, { id: 'p1' }, window)).records.find((r) => r.meter === 'network.outgoing.bytes')!.quantity.toString();
    const JUNE = monthWindow({ year: 2024, month: 6 }, 'UTC');
    // May counts 04-30 21:00 → 05-31 23:00 (9 GiB), June 05-31 23:00 → 06-01 02:00 (3 GiB): 12 = 13 − 1.
    expect(await outgoing(MAY)).toBe('9');
    expect(await outgoing(JUNE)).toBe('3');
  });
});

describe('collectors that keep series compact', () => {
  it('bill what the same samples bill loose, read through collect() rather than samples()', async () => {
    const hourly = (resourceId: string, hours: number): Sample[] =>
      Array.from({ length: hours }, (_, h) => ({
        meter: 'volume.size', resourceId, projectId: 'tenant-01', timestamp: MAY.start + h * 3_600_000_000, volume: 10,
        unit: 'GB', type: 'gauge', metadata: {}, id: null, source: 'openstack', region: 'RegionOne',
      }));
    const loose: Collector = {
      description: 'loose', tenants: async () => [], close: async () => {},
      samples: async (q) => (q.meter === 'volume.size' ? [...hourly('vol-1', 48), ...hourly('vol-2', 24)] : []),
    };
    let read = 0;
    const compact: Collector = {
      ...loose,
      description: 'compact',
      samples: async () => {
        throw new Error('the pipeline must call collect() when a collector has it');
      },
      collect: async (q) => ({
        samples: q.meter === 'volume.size' ? hourly('vol-1', 48) : [],
        series: q.meter === 'volume.size' ? [{ meter: 'volume.size', resourceId: 'vol-2', samples: () => (read++, hourly('vol-2', 24)) }] : [],
      }),
    };
    const quantities = async (collector: Collector) =>
      (await measure({ config: f.config, collector }, { id: 'tenant-01' }, MAY)).records.map((r) => [r.resourceId, r.quantity.toString(), r.samples]);
    expect(await quantities(compact)).toEqual(await quantities(loose));
    // 10 GB held from each sample, the last one for the fixture's max_gap (6 h).
    expect(await quantities(compact)).toEqual([['vol-1', '530', 48], ['vol-2', '290', 24]]);
    expect(read).toBeGreaterThan(0);
    // A price change inside the window measures its parts from the same series, read again.
    const parts = async (collector: Collector) => {
      const { usageIn } = await measure({ config: f.config, collector }, { id: 'tenant-01' }, MAY);
      const middle = MAY.start + 30 * 3_600_000_000;
      return [usageIn({ start: MAY.start, end: middle }), usageIn({ start: middle, end: MAY.end })].map((records) =>
        records.map((r) => [r.resourceId, r.quantity.toString()]),
      );
    };
    const before = read;
    expect(await parts(compact)).toEqual(await parts(loose));
    // vol-1 holds 53 h (30 + 23), vol-2 29 h, all before the middle.
    expect(await parts(compact)).toEqual([[['vol-1', '300'], ['vol-2', '290']], [['vol-1', '230']]]);
    expect(read).toBeGreaterThan(before);
  });
});
