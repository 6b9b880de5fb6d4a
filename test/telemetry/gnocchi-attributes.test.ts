/**
 * Services from Gnocchi resource attributes: the revision in force names each bucket's service,
 * so a volume retyped mid-month (mid-bucket) splits its GB-hours like a resize (hand-computed).
 */
import { parseGnocchi } from '../../src/config/gnocchi.js';
import { parseIni } from '../../src/config/ini-file.js';
import { parseMeters } from '../../src/config/meters.js';
import { HttpClient, type FetchLike } from '../../src/http/index.js';
import { basicAuth, GnocchiCollector } from '../../src/telemetry/gnocchi.js';
import { computeUsage } from '../../src/usage/index.js';
import { at, HOUR } from '../usage/helpers.js';
import type { MeterSpec } from '../../src/model/types.js';

const PROJECT = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';
const MAY = { start: at('2024-05-01T00:00Z'), end: at('2024-06-01T00:00Z') };
const SPECS = parseMeters('[volume.size]\ntransform = gauge\nservice = volume.size.{volume_type|standard}\nunit = gigabyte-hour\nsample_unit = GB\n', '/etc/meters.ini', 3600);
const POLICY = { name: 'billing', back_window: 0, definition: [{ timespan: '400 days, 0:00:00', granularity: '1:00:00', points: 9600 }], aggregation_methods: ['mean'] };

const volume = (fields: Record<string, unknown>) => ({
  id: 'vol-r', type: 'volume', project_id: PROJECT, started_at: '2024-04-01T00:00:00+00:00', ended_at: null, revision_end: null,
  volume_type: 'hdd', display_name: 'data', metrics: { 'volume.size': 'm-vol' }, ...fields,
});

function hourly(from: string, to: string, value: number): [string, number, number][] {
  const rows: [string, number, number][] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += 3_600_000) rows.push([new Date(t).toISOString().replace('.000Z', '+00:00'), 3600, value]);
  return rows;
}

/** A scripted Gnocchi holding `rows` (the history search) and 100 GB every hour of May. */
function collector(rows: unknown[], specs: MeterSpec[] = SPECS): GnocchiCollector {
  const fetch: FetchLike = async (url) => {
    const path = new URL(url).pathname;
    const body = path === '/v1/search/resource/volume' ? rows
      : path.startsWith('/v1/metric/') ? { id: 'm-vol', name: 'volume.size', unit: 'GB', archive_policy: POLICY }
        : path === '/v1/aggregates' ? { measures: { 'vol-r': { 'volume.size': { mean: hourly('2024-04-30T23:00:00Z', '2024-06-01T00:00:00Z', 100) } } } }
          : path === '/v1/metric' ? [] : undefined;
    const status = body === undefined ? 404 : 200;
    return { status, headers: { get: () => null }, text: async () => JSON.stringify(body ?? { code: 404 }), };
  };
  const settings = parseGnocchi({ file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(''), meterSpecs: specs }, () => '[volume.size]\nresource_type = volume\nmetric = volume.size\n');
  Object.assign(settings, { authType: 'basic' });
  return new GnocchiCollector({
    settings, specs, http: new HttpClient({ fetch, retries: 0 }), auth: basicAuth('admin'), now: () => Date.parse('2024-06-02T00:00:00Z'),
    endpoints: async () => [{ url: 'http://gnocchi:8041/v1', region: 'RegionOne', source: '[telemetry] url' }],
  });
}

async function usage(rows: unknown[]) {
  const samples = await collector(rows).samples({ projectId: PROJECT, meter: 'volume.size', start: MAY.start - HOUR, end: MAY.end });
  const { records } = computeUsage(samples, SPECS, { window: MAY, trustSources: [/^openstack$/], datacenterOf: (s) => s.region });
  return records.map((r) => ({ service: r.service, quantity: r.quantity.toString(), ...(r.fallbacks ? { fallbacks: r.fallbacks } : {}) }));
}

describe('Gnocchi resource attributes name the service', () => {
  it('a volume retyped at 12:30 on the 15th: hdd 348.5 h, ssd 395.5 h of 100 GB', async () => {
    // hdd holds May 1 00:00 → May 15 12:30 (14 d 12.5 h = 348.5 h), ssd the remaining 744 − 348.5 = 395.5 h.
    const rows = [
      volume({ revision_start: '2024-04-01T00:00:00+00:00', revision_end: '2024-05-15T12:30:00+00:00' }),
      volume({ revision_start: '2024-05-15T12:30:00+00:00', volume_type: 'ssd' }),
    ];
    expect(await usage(rows)).toEqual([
      { service: 'volume.size.hdd', quantity: '34850' },
      { service: 'volume.size.ssd', quantity: '39550' },
    ]);
  });

  it('a volume without a type (volume_type null) takes the fallback, and says so', async () => {
    expect(await usage([volume({ revision_start: '2024-04-01T00:00:00+00:00', volume_type: null })])).toEqual([
      { service: 'volume.size.standard', quantity: '74400', fallbacks: ['volume_type'] },
    ]);
  });
});
