/**
 * The Gnocchi collector without a server: archive policies, bucket → sample mapping (through the
 * real usage transforms), settings, and the HTTP flow against a scripted fake (paging, errors).
 * The suite against a real Gnocchi is test/gnocchi-live (`npm run test:gnocchi`).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, SECTIONS } from '../../src/config.js';
import { Decimal } from '../../src/model/decimal.js';
import { packageFile } from '../../src/model/paths.js';
import { ConfigError, TelemetryError } from '../../src/model/errors.js';
import { basicAuth, GnocchiCollector, openGnocchi } from '../../src/telemetry/gnocchi.js';
import { aliveFilter, nextMarker } from '../../src/telemetry/gnocchi/search.js';
import { LIST_METRICS_AFTER } from '../../src/telemetry/gnocchi/measures.js';
import { GnocchiProblem } from '../../src/telemetry/gnocchi/problem.js';
import { parseTimestamp } from '../../src/model/time.js';
import { choosePolicy, parseTimespan, type ArchivePolicy } from '../../src/telemetry/gnocchi/policy.js';
import { bucketTime, distinctBuckets, parseMeasures } from '../../src/telemetry/gnocchi/buckets.js';
import { buildTimelines, bucketsToSamples, type GnocchiResourceRow, type ResourceTimeline } from '../../src/telemetry/gnocchi/samples.js';
import { parseGnocchi as readGnocchiSettings } from '../../src/config/gnocchi.js';
import type { GnocchiSettings } from '../../src/config/gnocchi.js';
import { HttpClient, type FetchLike } from '../../src/http/index.js';
import { parseIni } from '../../src/config/ini-file.js';
import { computeUsage } from '../../src/usage/index.js';
import { at, GIB, HOUR, spec } from '../usage/helpers.js';
import type { MeterSpec, Sample } from '../../src/model/types.js';

const PROJECT = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const MAY = { start: at('2024-05-01T00:00Z'), end: at('2024-06-01T00:00Z') };
const DAY = { start: at('2024-05-10T00:00Z'), end: at('2024-05-11T00:00Z') };
const INSTANCE = spec({ meter: 'instance', transform: 'uptime', service: 'flavor' });
const VOLUME = spec({ meter: 'volume.size', transform: 'gauge', unit: 'gigabyte-hour' });
const TRAFFIC = spec({ meter: 'network.outgoing.bytes', transform: 'counter', unit: 'gigabyte', divideBy: new Decimal(GIB) });

const BILLING_1H: ArchivePolicy = {
  name: 'billing-1h',
  back_window: 0,
  definition: [{ timespan: '400 days, 0:00:00', granularity: '1:00:00', points: 9600 }],
  aggregation_methods: ['count', 'min', 'max', 'rate:mean', 'mean', 'sum', 'last'],
};
const CEILOMETER_LOW: ArchivePolicy = {
  name: 'ceilometer-low',
  definition: [{ timespan: '30 days, 0:00:00', granularity: '0:05:00', points: 8640 }],
  aggregation_methods: ['mean'],
};

function row(fields: Partial<GnocchiResourceRow> & { id: string }): GnocchiResourceRow {
  return {
    project_id: PROJECT, started_at: '2024-04-01T00:00:00+00:00', ended_at: null, revision_start: '2024-04-01T00:00:00+00:00',
    revision_end: null, type: 'instance', flavor_name: 'm1.small', flavor_id: '2', metrics: { vcpus: 'm-1' }, ...fields,
  };
}

/** Hourly buckets [from, to) with a value. */
function hourly(from: string, to: string, value = 1): [string, number, number][] {
  const rows: [string, number, number][] = [];
  for (let t = Date.parse(from); t < Date.parse(to); t += 3_600_000) rows.push([new Date(t).toISOString().replace('Z', '+00:00'), 3600.0, value]);
  return rows;
}

/** What the collector does with one resource's measures: parse, check, then make samples. */
function samplesOf(timeline: ResourceTimeline, rows: unknown, meterSpec: MeterSpec, end = MAY.end): Sample[] {
  return bucketsToSamples(timeline, distinctBuckets(parseMeasures(rows), 'm-1', timeline.id), {
    meter: meterSpec.meter, transform: meterSpec.transform, metricId: 'm-1', unit: '', region: 'RegionOne', source: 'openstack', end,
  });
}

function usage(samples: Sample[], meterSpec: MeterSpec, w = MAY): Record<string, string> {
  const result = computeUsage(samples, [meterSpec], { window: w, trustSources: [/^openstack$/], datacenterOf: (s) => s.region });
  const sums = new Map<string, Decimal>();
  for (const r of result.records) sums.set(r.service, (sums.get(r.service) ?? new Decimal(0)).plus(r.quantity));
  return Object.fromEntries([...sums].map(([service, q]) => [service, q.toString()]));
}

describe('archive policies', () => {
  it('parses Python timedelta strings and seconds', () => {
    expect(parseTimespan('1:00:00')).toBe(3600);
    expect(parseTimespan('0:05:00')).toBe(300);
    expect(parseTimespan('365 days, 0:00:00')).toBe(365 * 86400);
    expect(parseTimespan('1 day, 0:00:00')).toBe(86400);
    expect(parseTimespan('0:00:00.500000')).toBe(0.5);
    expect(parseTimespan(60)).toBe(60);
    expect(parseTimespan('an hour')).toBeUndefined();
  });

  it('takes the first preferred aggregation the policy holds', () => {
    expect(choosePolicy(BILLING_1H, 3600, ['last', 'max', 'mean'])).toEqual({ ok: true, aggregation: 'last', timespan: 400 * 86400 });
    expect(choosePolicy({ ...BILLING_1H, aggregation_methods: ['mean'] }, 3600, ['last', 'max', 'mean'])).toMatchObject({ ok: true, aggregation: 'mean' });
  });

  it('says which policy lacks the granularity or the aggregation, and what it has', () => {
    const gran = choosePolicy(CEILOMETER_LOW, 3600, ['mean']);
    expect(gran).toMatchObject({ ok: false, problem: 'granularity' });
    expect(gran.ok || gran.reason).toContain("archive policy 'ceilometer-low' keeps granularity 300 s, not 3600 s");
    const agg = choosePolicy(CEILOMETER_LOW, 300, ['max']);
    expect(agg.ok || agg.reason).toContain("archive policy 'ceilometer-low' holds the aggregation method mean, not max");
  });
});

describe('resource history', () => {
  it('groups revisions by resource, oldest first, with the current revision deciding the lifespan', () => {
    const [t] = buildTimelines([
      row({ id: 'vm-1', revision_end: null, revision_start: '2024-05-10T14:30:00+00:00', flavor_name: 'm1.medium' }),
      row({ id: 'vm-1', revision_end: '2024-05-10T14:30:00+00:00', revision_start: '2024-04-01T00:00:00+00:00', flavor_name: 'm1.small' }),
    ]);
    expect(t!.revisions.map((r) => r.attributes.flavor_name)).toEqual(['m1.small', 'm1.medium']);
    expect(t!.startedAt).toBe(at('2024-04-01T00:00Z'));
    expect(t!.endedAt).toBeNull();
  });

  it('leaves out a resource whose current revision did not match the search (it ended before the window)', () => {
    expect(buildTimelines([row({ id: 'vm-1', revision_end: '2024-06-10T00:00:00+00:00' })])).toEqual([]);
  });
});

describe('buckets → samples → usage', () => {
  const timeline = (fields: Partial<GnocchiResourceRow> = {}, older: Partial<GnocchiResourceRow>[] = []) =>
    buildTimelines([row({ id: 'vm-1', ...fields }), ...older.map((o) => row({ id: 'vm-1', ...o }))])[0]!;

  it('bills every bucket with a measure, whole, as the bucket start: a month of hours is 744 h', () => {
    const samples = samplesOf(timeline(), hourly('2024-04-30T23:00Z', '2024-06-01T00:00Z'), INSTANCE);
    expect(usage(samples, INSTANCE)).toEqual({ 'm1.small': '744' });
  });

  it('splits the hours of a resize at the revision_start, even inside a bucket', () => {
    const t = timeline(
      { revision_start: '2024-05-10T14:30:00+00:00', flavor_name: 'm1.medium', flavor_id: '3' },
      [{ revision_start: '2024-04-01T00:00:00+00:00', revision_end: '2024-05-10T14:30:00+00:00' }],
    );
    const samples = samplesOf(t, hourly('2024-05-10T00:00Z', '2024-05-11T00:00Z'), INSTANCE, DAY.end);
    expect(usage(samples, INSTANCE, DAY)).toEqual({ 'm1.small': '14.5', 'm1.medium': '9.5' });
  });

  it('a resize inside the last bucket of a run still ends with that bucket', () => {
    const t = timeline(
      { revision_start: '2024-05-10T14:30:00+00:00', flavor_name: 'm1.medium' },
      [{ revision_start: '2024-04-01T00:00:00+00:00', revision_end: '2024-05-10T14:30:00+00:00' }],
    );
    // Up 12:00–15:00 only: 14:00–14:30 small, 14:30–15:00 medium; a max_gap of 3 h bills nothing more.
    const longHold = { ...INSTANCE, maxGapUs: 3 * HOUR };
    const samples = samplesOf(t, hourly('2024-05-10T12:00Z', '2024-05-10T15:00Z'), longHold, DAY.end);
    expect(usage(samples, longHold, DAY)).toEqual({ 'm1.small': '2.5', 'm1.medium': '0.5' });
  });

  it('bounds the up time by started_at and ended_at, and bills nothing for buckets without a measure', () => {
    const t = timeline({ started_at: '2024-05-10T09:40:00+00:00', ended_at: '2024-05-10T16:10:00+00:00' });
    const rows = [...hourly('2024-05-10T09:00Z', '2024-05-10T12:00Z'), ...hourly('2024-05-10T13:00Z', '2024-05-10T17:00Z')];
    const samples = samplesOf(t, rows, INSTANCE, DAY.end);
    // 09:40–12:00 (2 h 20) + 13:00–16:10 (3 h 10): the 12:00 bucket has no measure.
    expect(usage(samples, INSTANCE, DAY)).toEqual({ 'm1.small': '5.5' });
    expect(samples.find((s) => s.timestamp === at('2024-05-10T16:10Z'))?.metadata.status).toBe('deleted');
    expect(samples.find((s) => s.timestamp === at('2024-05-10T12:00Z'))?.metadata.status).toBe('unmeasured');
  });

  it('gives the flavor of the first revision to buckets before it (the resource was recorded late)', () => {
    const t = timeline({ revision_start: '2024-06-20T00:00:00+00:00' });
    expect(usage(samplesOf(t, hourly('2024-05-10T00:00Z', '2024-05-10T02:00Z'), INSTANCE, DAY.end), INSTANCE, DAY)).toEqual({ 'm1.small': '2' });
  });

  it('reads a flavor that has only an id through the flavor_id key (resolved by [flavors])', () => {
    const t = timeline({ flavor_name: '', flavor_id: '42' });
    const samples = samplesOf(t, hourly('2024-05-10T00:00Z', '2024-05-10T01:00Z'), INSTANCE, DAY.end);
    expect(samples[0]!.metadata['flavor.id']).toBe('42');
    expect(samples[0]!.metadata['flavor.name']).toBeUndefined();
  });

  it('integrates a gauge bucket by bucket and ends it where the measures stop or the resource ended', () => {
    const t = timeline({ type: 'volume', metrics: { 'volume.size': 'm-1' }, ended_at: '2024-05-10T05:30:00+00:00' });
    const rows = [...hourly('2024-05-10T00:00Z', '2024-05-10T02:00Z', 100), ...hourly('2024-05-10T02:00Z', '2024-05-10T03:00Z', 125), ...hourly('2024-05-10T04:00Z', '2024-05-10T06:00Z', 150)];
    const longHold = { ...VOLUME, maxGapUs: 6 * HOUR };
    // 2 h × 100 + 1 h × 125 + (03:00 no measure) + 04:00–05:30 × 150 = 550 GB-h
    expect(usage(samplesOf(t, rows, longHold, DAY.end), longHold, DAY)).toEqual({ 'volume.size': '550' });
  });

  it('reads a counter bucket by bucket without end samples, the look-back bucket being the baseline', () => {
    const t = timeline({ type: 'instance_network_interface', metrics: { 'network.outgoing.bytes': 'm-1' } });
    const rows = [['2024-05-09T23:00:00+00:00', 3600, 10 * GIB], ['2024-05-10T00:00:00+00:00', 3600, 12 * GIB], ['2024-05-10T01:00:00+00:00', 3600, 1 * GIB]];
    const samples = samplesOf(t, rows, TRAFFIC, DAY.end);
    expect(samples.map((s) => s.type)).toEqual(['cumulative', 'cumulative', 'cumulative']);
    // +2 GB, then a reset counted from zero: +1 GB.
    expect(usage(samples, TRAFFIC, DAY)).toEqual({ 'network.outgoing.bytes': '3' });
  });

  it('windows that start mid-bucket (a +05:30 zone at 1 h) add up to the whole, for every transform', () => {
    // Started, resized and deleted inside the buckets that straddle the window edges.
    const t = timeline(
      { started_at: '2024-04-30T18:10:00+00:00', ended_at: '2024-05-01T18:50:00+00:00', revision_start: '2024-04-30T18:45:00+00:00', flavor_name: 'm1.large' },
      [{ started_at: '2024-04-30T18:10:00+00:00', revision_start: '2024-04-01T00:00:00+00:00', revision_end: '2024-04-30T18:45:00+00:00' }],
    );
    const rows = hourly('2024-04-30T12:00Z', '2024-05-02T00:00Z').map(([ts, g], i) => [ts, g, i * GIB + (i % 5)] as [string, number, number]);
    const SUM = spec({ meter: 'x.delta', transform: 'sum', unit: 'x' });
    // What Gnocchi answers for start/stop: buckets from the one holding `start`, before `stop`.
    const read = (s: MeterSpec, from: number, to: number) => {
      const first = Math.floor((from - s.lookbackUs) / HOUR) * HOUR;
      const answered = rows.filter(([ts]) => at(ts) >= first && at(ts) < to);
      return bucketsToSamples(t, distinctBuckets(parseMeasures(answered), 'm-1', t.id), {
        meter: s.meter, transform: s.transform, metricId: 'm-1', unit: '', region: 'RegionOne', source: 'openstack', end: to,
      });
    };
    const edges = [at('2024-04-30T00:00Z'), at('2024-04-30T18:30Z'), at('2024-05-01T18:30Z'), at('2024-05-02T00:00Z')];
    for (const s of [INSTANCE, VOLUME, TRAFFIC, SUM]) {
      const total = new Map<string, Decimal>();
      for (let i = 0; i + 1 < edges.length; i++) {
        for (const [k, v] of Object.entries(usage(read(s, edges[i]!, edges[i + 1]!), s, { start: edges[i]!, end: edges[i + 1]! }))) {
          total.set(k, (total.get(k) ?? new Decimal(0)).plus(new Decimal(v)));
        }
      }
      const whole = usage(read(s, edges[0]!, edges[3]!), s, { start: edges[0]!, end: edges[3]! });
      expect(Object.fromEntries([...total].map(([k, v]) => [k, v.toString()]))).toEqual(whole);
    }
  });

  it('makes samples without an id, one per instant of a resource, whatever falls inside buckets', () => {
    // Started, resized (two revisions written at one instant) and deleted inside buckets, with a bucket missing.
    const t = timeline(
      { started_at: '2024-05-10T00:30:00+00:00', ended_at: '2024-05-10T05:30:00+00:00', revision_start: '2024-05-10T02:15:00+00:00', flavor_name: 'm1.large' },
      [
        { started_at: '2024-05-10T00:30:00+00:00', revision_start: '2024-05-10T00:30:00+00:00', revision_end: '2024-05-10T02:15:00+00:00' },
        { started_at: '2024-05-10T00:30:00+00:00', revision_start: '2024-05-10T02:15:00+00:00', revision_end: '2024-05-10T02:15:00+00:00', flavor_name: 'm1.medium' },
      ],
    );
    const rows = [...hourly('2024-05-10T00:00Z', '2024-05-10T03:00Z', 1), ...hourly('2024-05-10T04:00Z', '2024-05-10T08:00Z', 1)];
    for (const s of [INSTANCE, VOLUME, TRAFFIC]) {
      const samples = samplesOf(t, rows, s, DAY.end);
      expect(samples.every((sample) => sample.id === null)).toBe(true);
      expect(new Set(samples.map((sample) => sample.timestamp)).size).toBe(samples.length);
    }
    expect(usage(samplesOf(t, rows, INSTANCE, DAY.end), INSTANCE, DAY)).toEqual({ 'm1.small': '1.75', 'm1.large': '2.25' });
  });

  it('keeps a repeated row once, and refuses two measures of a metric at one time, or buckets that overlap', () => {
    const t = timeline();
    const rows = hourly('2024-05-10T00:00Z', '2024-05-10T04:00Z', 1);
    expect(samplesOf(t, [...rows, rows[2]!], VOLUME, DAY.end)).toEqual(samplesOf(t, rows, VOLUME, DAY.end));
    const fails = (extra: [string, number, number], message: string) => {
      const read = () => samplesOf(t, [...rows, extra], VOLUME, DAY.end);
      expect(read).toThrow(GnocchiProblem);
      expect(read).toThrow(`${message}; which one is right cannot be told: check the Gnocchi server and its storage, then bill again`);
    };
    fails(['2024-05-10T02:00:00+00:00', 3600, 2], 'Gnocchi answered two measures at 2024-05-10T02:00:00Z for metric m-1 of resource vm-1 (values 1 and 2)');
    fails(['2024-05-10T02:00:00+00:00', 300, 1], 'Gnocchi answered two measures at 2024-05-10T02:00:00Z for metric m-1 of resource vm-1 (1 over 1 h and 1 over 5 min)');
    fails(['2024-05-10T02:30:00+00:00', 3600, 1],
      'Gnocchi answered overlapping measures for metric m-1 of resource vm-1: the bucket at 2024-05-10T02:00:00Z holds 1 h, yet the next one starts at 2024-05-10T02:30:00Z');
  });

  it('lets two meters read one metric (vCPU-hours beside instance hours): their samples do not collide', () => {
    const VCPUS = spec({ meter: 'vcpus', transform: 'gauge', unit: 'vcpu-hour' });
    const rows = hourly('2024-05-10T00:00Z', '2024-05-10T03:00Z', 2);
    const samples = [...samplesOf(timeline(), rows, INSTANCE, DAY.end), ...samplesOf(timeline(), rows, VCPUS, DAY.end)];
    const { records } = computeUsage(samples, [INSTANCE, VCPUS], { window: DAY, trustSources: [/^openstack$/], datacenterOf: (s) => s.region });
    expect(records.map((r) => [r.service, r.quantity.toString()])).toEqual([['m1.small', '3'], ['vcpus', '6']]);
  });

  it('drops rows it cannot read and sorts the rest', () => {
    expect(parseMeasures([['2024-05-10T01:00:00+00:00', 3600, 2], ['bad', 3600, 1], ['2024-05-10T00:00:00+00:00', 3600, null], ['2024-05-10T00:00:00+00:00', 3600, 1]]))
      .toEqual({ t: Float64Array.of(at('2024-05-10T00:00Z'), at('2024-05-10T01:00Z')), granularityUs: Float64Array.of(HOUR, HOUR), value: Float64Array.of(1, 2) });
  });
});

describe('bucket timestamps', () => {
  it('reads Gnocchi\'s timestamps field by field as parseTimestamp does, and anything else through it', () => {
    for (const text of ['2024-05-10T14:00:00+00:00', '2024-05-10T23:59:59+00:00', '2024-05-11T00:00:00+00:00', '2024-02-29T12:30:00+00:00', '2024-05-10T14:00:00.250000+00:00', '2024-05-10T14:00:00+02:00']) {
      expect(bucketTime(text)).toBe(parseTimestamp(text));
    }
    // The last two: a character whose low byte is a digit (U+0130 ends in 0x30) is not that digit.
    for (const text of ['2024-13-10T14:00:00+00:00', '2024-05-10T24:00:00+00:00', '2024-05-10T14:60:00+00:00', '2024-05-1xT14:00:00+00:00', '2\u013024-05-10T14:00:00+00:00', '2024-05-10T14:00:00+00:0\u0130']) {
      expect(bucketTime(text)).toBeUndefined();
    }
  });
});

describe('settings', () => {
  const config = (gnocchi: string, specs: MeterSpec[] = [INSTANCE, VOLUME, TRAFFIC]) => ({
    file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(`[gnocchi]\n${gnocchi}\n`), meterSpecs: specs,
  });
  const MAPPING = '[instance]\nresource_type = instance\n[volume.size]\nresource_type = volume\nmetric = volume.size\n[network.outgoing.bytes]\nresource_type = instance_network_interface\nmetric = network.outgoing.bytes\n';
  const read = (gnocchi: string, mapping = MAPPING, specs?: MeterSpec[]) => readGnocchiSettings(config(`mapping = map.ini\n${gnocchi}`, specs), () => mapping);

  it('has defaults: 1 h, mean for uptime and gauges, last/max/mean for counters, vcpus as the uptime metric', () => {
    const s = read('');
    expect(s).toMatchObject({ granularity: 3600, user: 'admin', source: 'openstack', uptimeMetric: 'vcpus', mappingFile: '/etc/map.ini' });
    expect(s.authType).toBeUndefined();
    expect(s.meters.get('instance')).toMatchObject({ resourceType: 'instance', metric: 'vcpus', aggregations: ['mean'] });
    expect(s.meters.get('network.outgoing.bytes')!.aggregations).toEqual(['last', 'max', 'mean']);
  });

  it('reads the packaged mapping for the packaged meters', () => {
    const s = readGnocchiSettings(config(''));
    expect(s.meters.get('volume.size')).toMatchObject({ resourceType: 'volume', metric: 'volume.size' });
  });

  it('accepts every key of artifice.ini.example\'s [gnocchi] section, with the defaults it documents', () => {
    const example = readFileSync(packageFile('artifice.ini.example'), 'utf8');
    const block = example.slice(example.indexOf('; [gnocchi]\n'));
    const keys = block.slice(0, block.indexOf('\n\n')).split('\n').filter((l) => /^; [a-z_]+ = /.test(l)).map((l) => l.slice(2));
    expect(keys.map((l) => l.split(' = ')[0]).sort()).toEqual([...SECTIONS.gnocchi!.keys!].sort());
    const ini = `[gnocchi]\n${keys.join('\n').replace('mapping = config/gnocchi.ini', `mapping = ${packageFile('config', 'gnocchi.ini')}`)}\n`;
    const s = readGnocchiSettings({ file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(ini), meterSpecs: [INSTANCE, VOLUME, TRAFFIC] });
    const defaults = readGnocchiSettings({ file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(''), meterSpecs: [INSTANCE, VOLUME, TRAFFIC] });
    expect({ ...s, authType: undefined }).toEqual(defaults);
  });

  it('refuses a meter without a mapping section, a bad aggregation, and a max_gap shorter than the granularity', () => {
    expect(() => read('', '[instance]\nresource_type = instance\n')).toThrow(/meter volume.size \(from meters.ini\) has no \[volume.size\] section/);
    expect(() => read('aggregation = average')).toThrow(ConfigError);
    expect(() => read('aggregation = average')).toThrow(/'average' is not a Gnocchi aggregation method/);
    expect(() => read('granularity = 7200')).toThrow(/granularity = 7200 s is longer than max_gap of meter instance \(3600 s\)/);
    expect(() => read('auth_type = token')).toThrow(/auth_type/);
  });
});

describe('the collector against a scripted Gnocchi', () => {
  type Handler = (method: string, url: URL, body: unknown) => { status: number; body?: unknown; headers?: Record<string, string> } | Error;

  const ONE_REGION = [{ url: 'http://gnocchi:8041/v1', region: 'RegionOne', source: '[telemetry] url' }];

  function collector(
    handler: Handler,
    options: { pageSize?: number; now?: number; specs?: MeterSpec[]; settings?: Partial<GnocchiSettings>; endpoints?: typeof ONE_REGION } = {},
  ) {
    const calls: string[] = [];
    const fetch: FetchLike = async (url, init) => {
      const u = new URL(url);
      calls.push(`${init.method} ${u.pathname}${u.search}`);
      const answer = handler(init.method, u, init.body === undefined ? undefined : JSON.parse(init.body));
      if (answer instanceof Error) throw answer;
      const headers = new Map(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return { status: answer.status, headers: { get: (n: string) => headers.get(n.toLowerCase()) ?? null }, text: async () => (answer.body === undefined ? '' : JSON.stringify(answer.body)) };
    };
    const specs = options.specs ?? [INSTANCE];
    const settings = readGnocchiSettings(
      { file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(''), meterSpecs: specs },
      () => '[instance]\nresource_type = instance\n[volume.size]\nresource_type = volume\nmetric = volume.size\n',
    );
    Object.assign(settings, { authType: 'basic' }, options.settings);
    const http = new HttpClient({ fetch, retries: 0 });
    const c = new GnocchiCollector({
      settings, specs, http, auth: basicAuth('admin'), pageSize: options.pageSize, now: () => options.now ?? Date.parse('2024-06-02T00:00:00Z'),
      endpoints: async () => options.endpoints ?? ONE_REGION,
    });
    return { c, calls };
  }

  const query = { projectId: PROJECT, meter: 'instance', start: MAY.start - HOUR, end: MAY.end };
  const history = [
    row({ id: 'vm-1', revision_end: '2024-05-10T14:30:00+00:00', metrics: { vcpus: 'm-1' } }),
    row({ id: 'vm-2', metrics: { vcpus: 'm-2' } }),
    row({ id: 'vm-1', revision_start: '2024-05-10T14:30:00+00:00', flavor_name: 'm1.medium', metrics: { vcpus: 'm-1' } }),
  ];
  const metric = (id: string, policy = BILLING_1H) => ({ id, name: 'vcpus', unit: 'vcpu', archive_policy: policy });

  function gnocchi(overrides: Partial<Record<'search' | 'metric' | 'aggregates' | 'names', Handler>> = {}, pageSize = 1000): Handler {
    return (method, url, body) => {
      const path = url.pathname;
      if (path === '/v1/search/resource/instance') {
        if (overrides.search) return overrides.search(method, url, body);
        const marker = url.searchParams.get('marker');
        const from = marker === null ? 0 : Number(marker.split('@')[1]);
        const page = history.slice(from, from + pageSize);
        const full = page.length === pageSize;
        return { status: 200, body: page, headers: full ? { Link: `<http://gnocchi:8041/v1/search/resource/instance?limit=${pageSize}&marker=${page[page.length - 1]!.id}%40${from + pageSize}&sort=revision_start%3Aasc>; rel="next"` } : {} };
      }
      if (path.startsWith('/v1/metric/')) return overrides.metric ? overrides.metric(method, url, body) : { status: 200, body: metric(path.split('/')[3]!) };
      if (path === '/v1/metric') return overrides.names ? overrides.names(method, url, body) : { status: 200, body: [] };
      if (path === '/v1/aggregates') {
        if (overrides.aggregates) return overrides.aggregates(method, url, body);
        return { status: 200, body: { measures: { 'vm-1': { vcpus: { mean: hourly('2024-04-30T23:00Z', '2024-06-01T00:00Z') } }, 'vm-2': { vcpus: { mean: hourly('2024-05-01T00:00Z', '2024-05-02T00:00Z') } } } } };
      }
      return { status: 404, body: { code: 404, description: `no route ${path}` } };
    };
  }

  it('reads history, policies and measures, and the flavor splits at the resize', async () => {
    const { c, calls } = collector(gnocchi());
    const samples = await c.samples(query);
    expect(usage(samples, INSTANCE)).toEqual({ 'm1.small': '254.5', 'm1.medium': '513.5' });
    const search = calls.find((call) => call.startsWith('POST /v1/search/resource/instance'))!;
    expect(search).toContain('history=true');
    expect(calls.filter((call) => call.startsWith('GET /v1/metric/'))).toHaveLength(2);
    expect(calls.find((call) => call.startsWith('POST /v1/aggregates'))).toContain('granularity=3600');
  });

  it('collect() hands one series per resource, read on demand, with the samples samples() gives', async () => {
    const { c, calls } = collector(gnocchi());
    const collected = await c.collect(query);
    expect(collected.samples).toEqual([]);
    expect(collected.series).toHaveLength(2);
    const requests = calls.length;
    const read = collected.series.flatMap((series) => series.samples());
    expect(calls).toHaveLength(requests); // reading a series asks nothing more
    expect(read).toEqual(await c.samples(query));
    expect(collected.series[0]!.samples()).toEqual(collected.series[0]!.samples()); // made anew, the same each time
    expect(usage(read, INSTANCE)).toEqual({ 'm1.small': '254.5', 'm1.medium': '513.5' });
  });

  it('an aggregates answer the byte reader declines is read by its text, to the same samples', async () => {
    const expected = await collector(gnocchi()).c.samples(query);
    const declined = collector(gnocchi({
      aggregates: () => {
        // Rows out of time order, each with a fourth value: parseMeasures sorts them and reads the first three.
        const rows = (from: string, to: string) => hourly(from, to).reverse().map((r) => [...r, 'extra']);
        return { status: 200, body: { measures: { 'vm-1': { vcpus: { mean: rows('2024-04-30T23:00Z', '2024-06-01T00:00Z') } }, 'vm-2': { vcpus: { mean: rows('2024-05-01T00:00Z', '2024-05-02T00:00Z') } } } } };
      },
    }));
    expect(await declined.c.samples(query)).toEqual(expected);
    const empty = collector(gnocchi({ aggregates: () => ({ status: 200, body: { references: [] } }) }));
    await expect(empty.c.samples(query)).rejects.toThrow(/aggregates answered without "measures"/);
  });

  it('collect() fails on conflicting measures itself, not when a series is read', async () => {
    const twice = [['2024-05-01T05:00:00+00:00', 3600, 1], ['2024-05-01T05:00:00+00:00', 3600, 2]];
    const { c } = collector(gnocchi({ aggregates: () => ({ status: 200, body: { measures: { 'vm-2': { vcpus: { mean: twice } } } } }) }));
    await expect(c.collect(query)).rejects.toThrow(TelemetryError);
    await expect(c.collect(query)).rejects.toThrow(/^tenant \S+: meter instance \(Gnocchi instance\/vcpus\): Gnocchi answered two measures at 2024-05-01T05:00:00/);
  });

  it('fails a tenant whose resource is in two regions\' answers, rather than mix their usage', async () => {
    const regions = [
      { url: 'http://gnocchi:8041/v1', region: 'RegionOne', source: '[region:RegionOne] url' },
      { url: 'http://gnocchi-two:8041/v1', region: 'RegionTwo', source: '[region:RegionTwo] url' },
    ];
    const { c } = collector(gnocchi(), { endpoints: regions });
    await expect(c.collect(query)).rejects.toThrow(
      /: resource vm-1 is in region RegionOne and in region RegionTwo; artifice measures a resource once per tenant/,
    );
    // Each region with resources of its own: both billed, each sample tagged with its region.
    const split = collector((method, url, body) => {
      const answer = gnocchi()(method, url, body);
      if (answer instanceof Error || url.pathname !== '/v1/search/resource/instance') return answer;
      const own = url.hostname === 'gnocchi' ? 'vm-1' : 'vm-2';
      return { ...answer, body: (answer.body as GnocchiResourceRow[]).filter((r) => r.id === own) };
    }, { endpoints: regions });
    const { series } = await split.c.collect(query);
    expect(series.map((one) => [one.resourceId, one.samples()[0]!.region])).toEqual([['vm-1', 'RegionOne'], ['vm-2', 'RegionTwo']]);
  });

  it('lists the archive policies of a metric name at once when a run asks many metrics of it', async () => {
    const many = Array.from({ length: LIST_METRICS_AFTER + 8 }, (_, i) => row({ id: `vm-${i}`, metrics: { vcpus: `m-${i}` } }));
    // The list, not GET /v1/metric/{id}, is where the last metric's policy comes from: it lacks the granularity there.
    const listed = many.map((_, i) => metric(`m-${i}`, i === many.length - 1 ? CEILOMETER_LOW : BILLING_1H));
    const { c, calls } = collector(gnocchi({
      search: () => ({ status: 200, body: many }),
      names: (_m, url) => ({ status: 200, body: url.searchParams.get('name') === 'vcpus' ? listed : [] }),
    }));
    await expect(c.samples(query)).rejects.toThrow(`metric vcpus (m-${many.length - 1}) of resource vm-${many.length - 1}: its archive policy 'ceilometer-low'`);
    expect(calls.filter((call) => call.startsWith('GET /v1/metric/'))).toHaveLength(LIST_METRICS_AFTER);
    expect(calls.filter((call) => call.startsWith('GET /v1/metric?name=vcpus&limit=1000'))).toHaveLength(1);
  });

  it('makes one search for queries of the same resources in flight at once (the two counters of an interface)', async () => {
    const { c, calls } = collector(gnocchi());
    const [a, b] = await Promise.all([c.samples(query), c.samples(query)]);
    expect(a).toEqual(b);
    expect(calls.filter((call) => call.startsWith('POST /v1/search/resource/instance'))).toHaveLength(1);
    await c.samples(query);
    expect(calls.filter((call) => call.startsWith('POST /v1/search/resource/instance'))).toHaveLength(2);
  });

  it('sends the window filter and basic auth as Gnocchi expects them', async () => {
    const seen: unknown[] = [];
    const { c } = collector((method, url, body) => {
      if (url.pathname.startsWith('/v1/search')) seen.push(body);
      return gnocchi()(method, url, body);
    });
    await c.samples(query);
    expect(seen[0]).toEqual(aliveFilter(PROJECT, query.start, query.end, true));
    expect(JSON.stringify(seen[0])).toContain('"revision_end":null');
    expect(JSON.stringify(seen[0])).toContain('"ended_at":null');
    expect(await basicAuth('admin').headers()).toEqual({ Authorization: `Basic ${Buffer.from('admin:').toString('base64')}` });
  });

  it('pages through the search with the marker of the Link header (history markers are id@revision)', async () => {
    const { c, calls } = collector(gnocchi({}, 1), { pageSize: 1 });
    expect(usage(await c.samples(query), INSTANCE)).toEqual({ 'm1.small': '254.5', 'm1.medium': '513.5' });
    const searches = calls.filter((call) => call.startsWith('POST /v1/search'));
    expect(searches).toHaveLength(5); // 3 full pages of 1, then an empty one, asked twice (confirmEnd)
    expect(searches[4]).toBe(searches[3]);
    expect(searches[1]).toContain('marker=vm-1%401');
    expect(nextMarker('<http://x/v1/search/resource/instance?%3D=project_id&limit=2&marker=abc%402&sort=a>; rel="next"')).toBe('abc@2');
    expect(nextMarker(null)).toBeUndefined();
  });

  describe('search pages that break the paging contract fail the tenant', () => {
    const search = 'the instance resource search (POST http://gnocchi:8041/v1/search/resource/instance)';
    const where = `tenant ${PROJECT}: meter instance (Gnocchi instance/vcpus): ${search}`;
    const link = (marker: string, host = 'http://gnocchi:8041') => ({ Link: `<${host}/v1/search/resource/instance?limit=1&marker=${encodeURIComponent(marker)}>; rel="next"` });
    /** Pages of one row: the answer to the n-th search (0-based) is `pages[n]`. */
    const pages = (answers: { body: unknown[]; headers?: Record<string, string> }[]) => {
      let n = 0;
      return gnocchi({ search: () => ({ status: 200, ...answers[Math.min(n++, answers.length - 1)]! }) });
    };
    const fails = async (handler: Handler, message: string) => {
      const { c, calls } = collector(handler, { pageSize: 1 });
      await expect(c.samples(query)).rejects.toThrow(message);
      expect(calls.some((call) => call.startsWith('POST /v1/aggregates'))).toBe(false);
    };

    it('a next link to another origin', () =>
      fails(pages([{ body: [history[0]], headers: link('vm-1@1', 'http://elsewhere:8041') }]), `${where} links its next page to another origin, http://elsewhere:8041; not followed`));
    it('an empty page after a full one that has rows when asked again (a page lost on the way)', () =>
      fails(pages([{ body: [history[0]], headers: link('vm-1@1') }, { body: [] }, { body: [history[1]], headers: link('vm-1@2') }]),
        `${where} answered an empty page after a full one, then 1 rows for the same page; its paging cannot be trusted`));
    it('an empty page followed by a next link', () =>
      fails(pages([{ body: [history[0]], headers: link('vm-1@1') }, { body: [], headers: link('vm-1@1') }]), `${where} answered an empty page (0 of 1 rows) with a Link to a next page; Gnocchi links only full pages`));
    it('a page longer than asked', () =>
      fails(pages([{ body: history, headers: link('vm-1@3') }]), `${where} answered 3 rows for limit 1`));
    it('a page served again (the paging repeats)', () =>
      fails(pages([{ body: [history[0]], headers: link('vm-1@1') }]), `${where} served the row vm-1@2024-04-01T00:00:00+00:00 twice`));
    it('a next link whose marker is not the last row', () =>
      fails(pages([{ body: [history[0]], headers: link('vm-2@7') }]), `${where} links its next page at marker vm-2@7, not at its last row vm-1`));
    it('a full page of history without a next link', () =>
      fails(pages([{ body: [history[0]] }]), `${where}: a full page came without a Link to the next page`));
  });

  it('fails the tenant when Gnocchi gives one metric to two resources, naming the metric and both, before reading measures', async () => {
    const claimed = [row({ id: 'vm-1', metrics: { vcpus: 'm-1' } }), row({ id: 'vm-2', metrics: { vcpus: 'm-1' } })];
    const { c, calls } = collector(gnocchi({ search: () => ({ status: 200, body: claimed }) }));
    await expect(c.samples(query)).rejects.toThrow(
      `tenant ${PROJECT}: meter instance (Gnocchi instance/vcpus): Gnocchi gives metric vcpus (m-1) to two resources, vm-1 and vm-2, though a metric belongs to one; ` +
        'whose measures they are cannot be told: check the Gnocchi server (its resource index), then bill again',
    );
    expect(calls.some((call) => call.startsWith('POST /v1/aggregates'))).toBe(false);
  });

  it('fails the tenant when Gnocchi answers two values of a metric at one time, naming metric, resource and time', async () => {
    const rows = hourly('2024-05-01T00:00Z', '2024-05-02T00:00Z');
    const measures = { 'vm-1': { vcpus: { mean: rows } }, 'vm-2': { vcpus: { mean: [...rows, ['2024-05-01T05:00:00+00:00', 3600, 2]] } } };
    const { c } = collector(gnocchi({ aggregates: () => ({ status: 200, body: { measures } }) }));
    const error = await c.samples(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toBe(
      `tenant ${PROJECT}: meter instance (Gnocchi instance/vcpus): Gnocchi answered two measures at 2024-05-01T05:00:00Z for metric m-2 of resource vm-2 (values 1 and 2); ` +
        'which one is right cannot be told: check the Gnocchi server and its storage, then bill again',
    );
  });

  it('names tenant, meter, metric and policy when the archive policy lacks the granularity or the aggregation', async () => {
    const { c } = collector(gnocchi({ metric: (_m, url) => ({ status: 200, body: metric(url.pathname.split('/')[3]!, CEILOMETER_LOW) }) }));
    const error = await c.samples(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toMatch(new RegExp(`^tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): metric vcpus \\(m-1\\) of resource vm-1: its archive policy 'ceilometer-low' keeps granularity 300 s, not 3600 s`));

    const meanOnly = { ...BILLING_1H, name: 'mean-1h', aggregation_methods: ['mean'] };
    const strict = collector(gnocchi({ metric: (_m, url) => ({ status: 200, body: metric(url.pathname.split('/')[3]!, meanOnly) }) }));
    (strict.c['settings'].meters.get('instance') as { aggregations: readonly string[] }).aggregations = ['max'];
    await expect(strict.c.samples(query)).rejects.toThrow(
      new RegExp(`^tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): metric vcpus \\(m-1\\) of resource vm-1: its archive policy 'mean-1h' holds the aggregation method mean, not max`),
    );
  });

  it('names tenant and meter when the resource type does not exist', async () => {
    const { c } = collector(gnocchi({ search: () => ({ status: 404, body: { code: 404, title: 'Not Found', description: 'Resource type instance does not exist' } }) }));
    await expect(c.samples(query)).rejects.toThrow(new RegExp(`tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): Gnocchi has no resource type 'instance'`));
  });

  it('names tenant and metric when Gnocchi is down', async () => {
    const { c } = collector(() => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8041'), { code: 'ECONNREFUSED' }));
    await expect(c.samples(query)).rejects.toThrow(new RegExp(`tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): cannot reach Gnocchi at http://gnocchi:8041/v1 .*ECONNREFUSED`));
  });

  it('turns a 400 Metrics not found into a message naming tenant and metric, unless the metric exists elsewhere', async () => {
    const notFound: Handler = () => ({ status: 400, body: { code: 400, title: 'Bad Request', description: { cause: 'Metrics not found', detail: ['vcpus'] } } });
    const noMetric = gnocchi({ search: () => ({ status: 200, body: [row({ id: 'vm-1', metrics: {} })] }), aggregates: notFound });
    await expect(collector(noMetric).c.samples(query)).rejects.toThrow(
      new RegExp(`tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): none of the tenant's 1 instance resource has a metric 'vcpus', and Gnocchi has no metric of that name at all \\(Gnocchi answered 400 Metrics not found`),
    );
    const elsewhere = gnocchi({ search: () => ({ status: 200, body: [row({ id: 'vm-1', metrics: {} })] }), aggregates: notFound, names: () => ({ status: 200, body: [metric('m-9')] }) });
    await expect(collector(elsewhere).c.samples(query)).resolves.toEqual([]);
  });

  it('refuses a window whose first measures the archive policy no longer keeps', async () => {
    const short = { ...BILLING_1H, name: 'short', definition: [{ granularity: '1:00:00', timespan: '7 days, 0:00:00' }] };
    const handler = gnocchi({
      metric: (_m, url) => {
        if (url.pathname.endsWith('/measures')) return { status: 200, body: hourly('2024-06-01T00:00Z', '2024-06-01T02:00Z') };
        return { status: 200, body: metric(url.pathname.split('/')[3]!, short) };
      },
    });
    await expect(collector(handler).c.samples(query)).rejects.toThrow(/archive policy 'short' keeps 7 d at 1 h before its newest measure .* partly gone/);
    // Nothing after the horizon: nothing is lost, the month bills.
    const kept = gnocchi({ metric: (_m, url) => (url.pathname.endsWith('/measures') ? { status: 200, body: [] } : { status: 200, body: metric(url.pathname.split('/')[3]!, short) }) });
    await expect(collector(kept).c.samples(query)).resolves.not.toEqual([]);
  });

  function withKeystone(roles: string[]) {
    const text = '[main]\n[telemetry]\nbackend = gnocchi\n[keystone]\nauth_url = http://keystone:5000\nusername = billing\npassword = s3cret\nproject_name = admin\n';
    const config = parseConfig(text, '/etc/artifice/artifice.ini', [INSTANCE]);
    const seen: { url: string; token?: string; authorization?: string }[] = [];
    const route = gnocchi();
    const fetch: FetchLike = async (url, init) => {
      seen.push({ url, token: init.headers['X-Auth-Token'], authorization: init.headers.Authorization });
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
        status, headers: { get: (n: string) => headers[n.toLowerCase()] ?? null }, text: async () => JSON.stringify(body),
      });
      if (url === 'http://keystone:5000/v3/auth/tokens') {
        return reply(201, {
          token: {
            expires_at: '2099-01-01T00:00:00.000000Z', project: { id: 'adm', name: 'admin' }, user: { id: 'u', name: 'billing' },
            roles: roles.map((name) => ({ name })),
            catalog: [{ type: 'metric', endpoints: [{ interface: 'public', region_id: 'RegionOne', url: 'http://gnocchi.example:8041/' }] }],
          },
        }, { 'x-subject-token': 'tok-123' });
      }
      const answer = route(init.method, new URL(url), init.body === undefined ? undefined : JSON.parse(init.body));
      if (answer instanceof Error) throw answer;
      return reply(answer.status, answer.body, Object.fromEntries(Object.entries(answer.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])));
    };
    return { c: openGnocchi(config, { fetch, now: () => Date.parse('2024-06-02T00:00:00Z') }), seen };
  }

  it('with Keystone: finds the `metric` endpoint in the catalog and sends the token to Gnocchi', async () => {
    const { c, seen } = withKeystone(['admin', 'member']);
    try {
      await c.prepare();
      expect(c.description).toContain('keystone auth');
      expect(usage(await c.samples(query), INSTANCE)).toEqual({ 'm1.small': '254.5', 'm1.medium': '513.5' });
      const toGnocchi = seen.filter((r) => r.url.startsWith('http://gnocchi.example:8041/v1/'));
      expect(toGnocchi.length).toBeGreaterThan(3);
      expect(toGnocchi.every((r) => r.token === 'tok-123' && r.authorization === undefined)).toBe(true);
      expect(seen.filter((r) => r.url.endsWith('/auth/tokens'))).toHaveLength(1);
    } finally {
      await c.close();
    }
  });

  it('fails a tenant rather than billing it empty when the token has no admin role', async () => {
    const { c } = withKeystone(['member']);
    try {
      await expect(c.samples(query)).rejects.toThrow(
        new RegExp(`^tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): the Keystone token \\(user billing, project admin\\) has no admin role`),
      );
      // Its own project it may read.
      await expect(c.samples({ ...query, projectId: 'adm' })).resolves.toEqual([]);
      expect((await c.check([INSTANCE])).find((i) => i.name === 'keystone admin role')?.ok).toBe(false);
    } finally {
      await c.close();
    }
  });

  it('needs [keystone] for auth_type = keystone, and a url for basic auth without a catalog', () => {
    const open = (text: string) => () => openGnocchi(parseConfig(`[main]\n[telemetry]\nbackend = gnocchi\n${text}`, '/etc/artifice/artifice.ini', [INSTANCE]));
    expect(open('url = http://g:8041\n[gnocchi]\nauth_type = keystone\n')).toThrow(/\[gnocchi\] auth_type = keystone needs a \[keystone\] section/);
    expect(open('[gnocchi]\nauth_type = basic\n')).toThrow(/\[telemetry\] url is required/);
    const basic = openGnocchi(parseConfig('[main]\n[telemetry]\nbackend = gnocchi\nurl = http://g:8041\n', '/etc/artifice/artifice.ini', [INSTANCE]));
    expect(basic.description).toBe('gnocchi http://g:8041 (basic auth, granularity 3600 s)');
    void basic.close();
  });

  it('lists tenants from the resources that lived in the window', async () => {
    const { c, calls } = collector((method, url) => {
      if (url.pathname === '/v1/search/resource/instance') return { status: 200, body: [{ id: 'vm-1', project_id: 'p2' }, { id: 'vm-2', project_id: 'p1' }, { id: 'vm-3', project_id: null }] };
      return { status: 404, body: {} };
    });
    expect(await c.tenants(MAY.start, MAY.end)).toEqual([{ id: 'p1' }, { id: 'p2' }]);
    expect(calls[0]).toContain('attrs=project_id');
  });
});

describe('the collector over real HTTP on 127.0.0.1', () => {
  /** A server that records what it is sent and answers every request with `answer(base)`. */
  async function server(answer: (base: string) => { status: number; headers?: Record<string, string>; body?: unknown }) {
    const seen: { url: string; authorization?: string }[] = [];
    const s = http.createServer((req, res) => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      req.resume();
      const a = answer(base);
      const text = JSON.stringify(a.body ?? {});
      res.writeHead(a.status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...a.headers });
      res.end(text);
    });
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    return { base, seen, close: () => new Promise<void>((resolve) => s.close(() => resolve())) };
  }

  it('never sends basic auth to another origin a redirect names: the tenant fails, naming it', async () => {
    const other = await server(() => ({ status: 200, body: [] }));
    const home = await server(() => ({ status: 302, headers: { Location: `${other.base}/v1/search/resource/instance?history=true` } }));
    const settings = {
      ...readGnocchiSettings(
        { file: '/etc/artifice.ini', dir: '/etc', sections: parseIni(''), meterSpecs: [INSTANCE] },
        () => '[instance]\nresource_type = instance\n',
      ),
      authType: 'basic' as const,
    };
    const client = new HttpClient({ retries: 0, keepAlive: false });
    const c = new GnocchiCollector({
      settings, specs: [INSTANCE], http: client, auth: basicAuth('admin'),
      endpoints: async () => [{ url: `${home.base}/v1`, region: 'RegionOne', source: '[telemetry] url' }],
    });
    try {
      const error = await c.samples({ projectId: PROJECT, meter: 'instance', start: MAY.start, end: MAY.end }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TelemetryError);
      expect((error as Error).message).toMatch(new RegExp(
        `^tenant ${PROJECT}: meter instance \\(Gnocchi instance/vcpus\\): cannot search resources: POST ${home.base}/v1/search/resource/instance\\?.* → 302 Found: a redirect to another origin, ${other.base}; not followed`,
      ));
      expect(home.seen[0]!.authorization).toBe(`Basic ${Buffer.from('admin:').toString('base64')}`);
      expect(other.seen).toEqual([]);
    } finally {
      await c.close();
      client.close();
      await Promise.all([home.close(), other.close()]);
    }
  });
});
