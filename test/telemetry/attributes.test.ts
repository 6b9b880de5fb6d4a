/**
 * The attributes a template needs travel through every metadata collector: a volume retyped
 * mid-month (hdd → ssd) and a Windows instance (its image metadata nested as Ceilometer sends
 * it), read from the fake Ceilometer v2 and from a samples file, bill the same hand-computed
 * usage. (Gnocchi: test/telemetry/gnocchi-attributes.test.ts.)
 */
import { parseConfig, parseMeters } from '../../src/config.js';
import { formatNaiveUtc, parseTimestamp } from '../../src/model/time.js';
import { openCeilometer } from '../../src/telemetry/ceilometer.js';
import { FileCollector } from '../../src/telemetry/file.js';
import { computeUsage } from '../../src/usage/index.js';
import { FakeCeilometer, type RawSample } from '../fakes/ceilometer-server.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';
import type { Sample } from '../../src/model/types.js';

const P = '33333333333333333333333333333333';
const at = (iso: string) => parseTimestamp(iso)!;
const MAY = { start: at('2024-05-01T00:00:00Z'), end: at('2024-06-01T00:00:00Z') };
const SPECS = parseMeters(
  '[volume.size]\ntransform = gauge\nservice = volume.size.{volume_type|standard}\nunit = gigabyte-hour\nsample_unit = GB\n\n' +
    '[instance]\ntransform = uptime\nunit = hour\n\n' +
    '[instance.license]\nmeter = instance\ntransform = uptime\nmatch = os_type=windows\nservice = license.{os_distro|windows}\nunit = hour\n',
  'meters.ini', 3600,
);

let serial = 0;
/** Hourly samples in [from, to) as Ceilometer v2 gives them (naive UTC, nested metadata). */
function hourly(meter: string, resource: string, from: string, to: string, volume: number, unit: string, metadata: Record<string, unknown>): RawSample[] {
  const out: RawSample[] = [];
  for (let t = at(from); t < at(to); t += 3_600_000_000) {
    const timestamp = formatNaiveUtc(t);
    out.push({ id: `s-${++serial}`, meter, type: 'gauge', unit, volume, user_id: 'u', project_id: P, resource_id: resource, source: 'openstack', timestamp, recorded_at: timestamp, metadata });
  }
  return out;
}

const WINDOWS = { status: 'active', flavor: { name: 'm1.small' }, image_meta: { os_type: 'windows', os_distro: 'windows2022' } };
const SAMPLES: RawSample[] = [
  // 100 GB: hdd through the 12:00 sample of May 15, ssd from 13:00 (349 h and 395 h of May's 744).
  ...hourly('volume.size', 'vol-r', '2024-04-30T23:00:00Z', '2024-05-15T13:00:00Z', 100, 'GB', { volume_type: 'hdd' }),
  ...hourly('volume.size', 'vol-r', '2024-05-15T13:00:00Z', '2024-06-01T00:00:00Z', 100, 'GB', { volume_type: 'ssd' }),
  // A Windows instance for 10 h on May 2, a Linux one for 5 h.
  ...hourly('instance', 'vm-win', '2024-05-02T00:00:00Z', '2024-05-02T10:00:00Z', 1, 'instance', WINDOWS),
  ...hourly('instance', 'vm-lin', '2024-05-02T00:00:00Z', '2024-05-02T05:00:00Z', 1, 'instance', { ...WINDOWS, image_meta: { os_type: 'linux' } }),
];

const EXPECTED = [
  ['instance', 'vm-lin', 'm1.small', '5'],
  ['instance', 'vm-win', 'm1.small', '10'],
  ['instance.license', 'vm-win', 'license.windows2022', '10'],
  ['volume.size', 'vol-r', 'volume.size.hdd', '34900'],
  ['volume.size', 'vol-r', 'volume.size.ssd', '39500'],
];

function usageOf(samples: Sample[]) {
  return computeUsage(samples, SPECS, { window: MAY, trustSources: [/^openstack$/], datacenterOf: (s) => s.region })
    .records.map((r) => [r.meter, r.resourceId, r.service, r.quantity.toString()]);
}

async function collect(collector: { samples: (q: { projectId: string; meter: string; start: number; end: number }) => Promise<Sample[]> }) {
  const meters = ['volume.size', 'instance'];
  return (await Promise.all(meters.map((meter) => collector.samples({ projectId: P, meter, start: MAY.start - 3_600_000_000, end: MAY.end })))).flat();
}

afterAll(cleanTempDirs);

describe('attributes through the metadata collectors', () => {
  it('the fake Ceilometer v2: nested metadata arrives flattened, the retype and the licence bill exactly', async () => {
    const fake = await FakeCeilometer.start({ samples: SAMPLES });
    try {
      const config = parseConfig(`[telemetry]\nbackend = ceilometer\nurl = ${fake.url}\n`, '/etc/artifice/artifice.ini', SPECS);
      const c = openCeilometer(config, { sleep: async () => undefined });
      expect(usageOf(await collect(c))).toEqual(EXPECTED);
      await c.close();
    } finally {
      await fake.close();
    }
  });

  it('a samples file: the same samples, the same usage', async () => {
    const file = writeIn(tempDir(), 'samples.ndjson', SAMPLES.map((s) => JSON.stringify(s)).join('\n'));
    expect(usageOf(await collect(new FileCollector(file)))).toEqual(EXPECTED);
  });
});
