/**
 * The Ceilometer v2 collector against the fake Ceilometer (and fake Keystone): the query it
 * sends, paging without a marker (every page size, ties, duplicates, shuffled tie order), the
 * 410 "use Gnocchi" answer, error messages, `tenants()`, `check()`, several regions, and auth.
 */
import { parseConfig, parseMeters, type Config } from '../../src/config.js';
import { ConfigError, TelemetryError } from '../../src/model/errors.js';
import { packageFile } from '../../src/model/paths.js';
import { openCeilometer, simpleQuery } from '../../src/telemetry/ceilometer.js';
import { formatNaiveUtc, parseTimestamp } from '../../src/model/time.js';
import { FakeCeilometer, type FakeRequest, type RawSample } from '../fakes/ceilometer-server.js';
import { DEFAULT_DOMAIN, FakeKeystone } from '../fakes/keystone-server.js';
import { readFileSync } from 'node:fs';
import type { Sample } from '../../src/model/types.js';

const P1 = '11111111111111111111111111111111';
const P2 = '22222222222222222222222222222222';
const at = (iso: string) => parseTimestamp(iso)!;
const START = at('2024-05-01T00:00:00Z');
const END = at('2024-06-01T00:00:00Z');
const METER_SPECS = parseMeters(readFileSync(packageFile('config', 'meters.ini'), 'utf8'), 'meters.ini', 3600);

let serial = 0;
function sample(project: string, meter: string, timestamp: string, extra: Partial<RawSample> = {}): RawSample {
  serial++;
  return {
    id: `s-${String(serial).padStart(6, '0')}`, meter, type: 'gauge', unit: 'GB', volume: serial % 97,
    user_id: 'u1', project_id: project, resource_id: `r-${serial % 5}`, source: 'openstack',
    timestamp, recorded_at: timestamp, metadata: { status: 'active', 'flavor.name': 'm1.small' }, ...extra,
  };
}

/** µs → naive Ceilometer text, with microseconds when there are any. */
const naive = (us: number) => formatNaiveUtc(us);

/**
 * A month of `volume.size` samples for P1 that is hard to page: every 10 minutes, but with
 * clumps of equal timestamps (up to 12 at one instant), two duplicated samples (same id, same
 * content), samples exactly at the window start (included) and end (excluded), outside the
 * window, and other projects' and meters' samples interleaved.
 */
function hardMonth(): { samples: RawSample[]; expected: RawSample[] } {
  const samples: RawSample[] = [];
  const expected: RawSample[] = [];
  const add = (s: RawSample, inWindow: boolean) => {
    samples.push(s);
    if (inWindow) expected.push(s);
  };
  add(sample(P1, 'volume.size', naive(START - 1)), false);
  add(sample(P1, 'volume.size', naive(START)), true);
  for (let i = 1; i < 300; i++) {
    const t = START + i * 600_000_000 + (i % 7) * 123_457;
    const clump = i % 37 === 0 ? 12 : i % 11 === 0 ? 3 : 1;
    for (let k = 0; k < clump; k++) add(sample(P1, 'volume.size', naive(t)), true);
    if (i % 5 === 0) add(sample(P2, 'volume.size', naive(t)), false);
    if (i % 3 === 0) add(sample(P1, 'ip.floating', naive(t)), false);
  }
  const dup = expected[40]!;
  add({ ...dup }, true);
  const dup2 = expected[100]!;
  add({ ...dup2 }, true);
  add(sample(P1, 'volume.size', naive(END - 1)), true);
  add(sample(P1, 'volume.size', naive(END)), false);
  add(sample(P1, 'volume.size', '2024-06-01T00:00:00.000001'), false);
  return { samples, expected };
}

function iniFor(url: string, extra = ''): Config {
  return parseConfig(`[telemetry]\nbackend = ceilometer\nurl = ${url}\n${extra}`, '/etc/artifice/artifice.ini', METER_SPECS);
}

const fast = { sleep: async () => undefined };
const key = (s: { id: string | null; timestamp: number }) => `${s.timestamp}/${s.id}`;
const sortedKeys = (list: { id: string | null; timestamp: number }[]) => list.map(key).sort();

describe('CeilometerCollector queries', () => {
  let fake: FakeCeilometer;
  afterEach(() => fake?.close());

  it('sends q.field/q.op/q.type/q.value together, in order, with naive UTC times and a limit', async () => {
    fake = await FakeCeilometer.start({ samples: [] });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 50\n'), fast);
    await c.samples({ projectId: P1, meter: 'instance', start: at('2024-04-30T23:00:00Z'), end: at('2024-06-01T00:00:00.000001Z') });
    await c.close();
    // The page of samples, then the statistics that count them (same query, the meter in the path).
    expect(fake.requests.map((r) => r.path)).toEqual(['/v2/samples', '/v2/meters/instance/statistics']);
    expect(fake.requests[1]!.query).toEqual([
      ['q.field', 'project_id'], ['q.field', 'timestamp'], ['q.field', 'timestamp'],
      ['q.op', 'eq'], ['q.op', 'ge'], ['q.op', 'lt'],
      ['q.type', ''], ['q.type', ''], ['q.type', ''],
      ['q.value', P1], ['q.value', '2024-04-30T23:00:00'], ['q.value', '2024-06-01T00:00:00.000001'],
    ]);
    expect(fake.requests[0]!.query).toEqual([
      ['q.field', 'project_id'], ['q.field', 'meter'], ['q.field', 'timestamp'], ['q.field', 'timestamp'],
      ['q.op', 'eq'], ['q.op', 'eq'], ['q.op', 'ge'], ['q.op', 'lt'],
      ['q.type', ''], ['q.type', ''], ['q.type', ''], ['q.type', ''],
      ['q.value', P1], ['q.value', 'instance'], ['q.value', '2024-04-30T23:00:00'], ['q.value', '2024-06-01T00:00:00.000001'],
      ['limit', '50'],
    ]);
  });

  it('simpleQuery keeps the four lists the same length', () => {
    const q = simpleQuery([['a', 'eq', '1'], ['b', 'ge', '2']]);
    for (const k of ['q.field', 'q.op', 'q.type', 'q.value']) expect(q.filter(([x]) => x === k)).toHaveLength(2);
  });

  it.each([1, 2, 3, 7, 12, 13, 100, 1000])('pages with page_size %i: every sample once, duplicates kept, ties shuffled', async (pageSize) => {
    const { samples, expected } = hardMonth();
    fake = await FakeCeilometer.start({ samples, ties: 'shuffle' });
    const c = openCeilometer(iniFor(fake.url, `page_size = ${pageSize}\n`), fast);
    const got = await c.samples({ projectId: P1, meter: 'volume.size', start: START, end: END });
    await c.close();
    expect(got.length).toBe(expected.length);
    expect(sortedKeys(got)).toEqual(sortedKeys(expected.map((s) => ({ id: s.id!, timestamp: at(`${s.timestamp}Z`) }))));
    expect(got.every((s) => s.region === 'RegionOne' && s.projectId === P1)).toBe(true);
    // Pages of 1 need two requests per instant; bigger pages need few.
    const requests = fake.sampleRequests().length;
    if (pageSize >= 1000) expect(requests).toBe(1);
    if (pageSize === 7) expect(requests).toBeLessThan(expected.length / 4);
  });

  it('fetches a full page of one instant on its own, then goes on below it', async () => {
    const t = '2024-05-10T10:00:00.500000';
    const samples = [
      ...Array.from({ length: 30 }, () => sample(P1, 'instance', t)),
      sample(P1, 'instance', '2024-05-10T09:50:00'),
      sample(P1, 'instance', '2024-05-10T10:10:00'),
    ];
    fake = await FakeCeilometer.start({ samples, ties: 'shuffle' });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 7\n'), fast);
    const got = await c.samples({ projectId: P1, meter: 'instance', start: START, end: END });
    await c.close();
    expect(sortedKeys(got)).toEqual(sortedKeys(samples.map((s) => ({ id: s.id!, timestamp: at(`${s.timestamp}Z`) }))));
    const instantQueries = fake.sampleRequests().filter((r) => r.filters.some((f) => f.op === 'ge' && at(`${f.value}Z`) === at(`${t}Z`)));
    expect(instantQueries.map((r) => r.query.find(([k]) => k === 'limit')![1])).toEqual(['14', '28', '56']);
  });

  it('fails clearly when more samples share one instant than it may fetch', async () => {
    const t = '2024-05-10T10:00:00';
    fake = await FakeCeilometer.start({ samples: Array.from({ length: 25 }, () => sample(P1, 'instance', t)) });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 5\n'), { ...fast, maxTieGroup: 20 });
    await expect(c.samples({ projectId: P1, meter: 'instance', start: START, end: END })).rejects.toThrow(
      `instance samples of ${P1} from RegionOne: more than 20 samples share the timestamp 2024-05-10T10:00:00, and Ceilometer v2 cannot page past them (it has no marker); raise [telemetry] page_size (now 5) so that more samples at one instant can be read`,
    );
    await c.close();
  });

  it('refuses a sample outside the query (the server ignored a filter)', async () => {
    fake = await FakeCeilometer.start({ samples: [] });
    fake.fail({ kind: 'status', status: 200, body: [sample(P2, 'instance', '2024-05-02T00:00:00')] });
    const c = openCeilometer(iniFor(fake.url), fast);
    const error = await c.samples({ projectId: P1, meter: 'instance', start: START, end: END }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toMatch(new RegExp(`^instance samples of ${P1} from RegionOne: the server returned a sample outside the query \\(s-\\d+: project ${P2}, meter instance, 2024-05-02T00:00:00Z\\); it ignored a filter`));
    await c.close();
  });

  it('names the meter, the project, the URL and Ceilometer\'s faultstring in errors; a bad sample names its field', async () => {
    fake = await FakeCeilometer.start({ samples: [] });
    fake.fail({ kind: 'status', status: 400, body: { error_message: { faultcode: 'Client', faultstring: 'Unknown argument: "q"', debuginfo: null } } });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    const q = { projectId: P1, meter: 'instance', start: START, end: END };
    await expect(c.samples(q)).rejects.toThrow(
      new RegExp(`^instance samples of ${P1} from RegionOne: GET ${fake.url}/v2/samples\\?q\\.field=project_id&.*&limit=10 → 400 Bad Request: Unknown argument: "q"$`),
    );
    fake.fail({ kind: 'status', status: 200, body: [{ ...sample(P1, 'instance', '2024-05-02T00:00:00'), volume: 'lots' }] });
    await expect(c.samples(q)).rejects.toThrow(new RegExp(`^instance samples of ${P1} from RegionOne: GET ${fake.url}/v2/samples: bad sample s-\\d+: volume must be a number, got "lots"$`));
    await c.close();
  });

  it('turns 410 Gone into "use backend = gnocchi" (a ConfigError before any bill)', async () => {
    fake = await FakeCeilometer.start({ samples: [], gone: true });
    const c = openCeilometer(iniFor(fake.url), fast);
    await expect(c.prepare()).rejects.toThrow(ConfigError);
    await expect(c.prepare()).rejects.toThrow(`${fake.url}/v2: this Ceilometer publishes to Gnocchi and serves no samples (410 Gone): set [telemetry] backend = gnocchi`);
    await expect(c.samples({ projectId: P1, meter: 'instance', start: START, end: END })).rejects.toThrow(/set \[telemetry\] backend = gnocchi/);
    await expect(c.tenants(START, END)).rejects.toThrow(/set \[telemetry\] backend = gnocchi/);
    await c.close();
  });

  it('prepare() calls a wrong URL a ConfigError', async () => {
    fake = await FakeCeilometer.start({ samples: [] });
    const c = openCeilometer(iniFor(`${fake.url}/nothing-here`), fast);
    await expect(c.prepare()).rejects.toThrow(`no Ceilometer v2 API at ${fake.url}/nothing-here/v2 (from [telemetry] url)`);
    await c.close();
  });

  it('prepare() on a server that cannot be reached stops the run (exit 2) after its retries', async () => {
    fake = await FakeCeilometer.start({ samples: [] });
    const url = fake.url;
    await fake.close();
    const sleeps: number[] = [];
    const c = openCeilometer(iniFor(url, 'retries = 2\n'), { sleep: async (ms) => void sleeps.push(ms) });
    const error = await c.prepare().catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as TelemetryError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(new RegExp(`^GET ${url}/v2/samples\\?q\\.field=meter&q\\.op=eq&q\\.type=&q\\.value=instance&limit=1 failed: ECONNREFUSED .* \\(3 attempts\\)$`));
    expect(sleeps).toHaveLength(2);
    fake = await FakeCeilometer.start({ samples: [] }); // for afterEach
  });

  it('without Keystone, sends no token', async () => {
    fake = await FakeCeilometer.start({ samples: [sample(P1, 'instance', '2024-05-02T00:00:00')] });
    const c = openCeilometer(iniFor(fake.url), fast);
    expect(await c.samples({ projectId: P1, meter: 'instance', start: START, end: END })).toHaveLength(1);
    expect(fake.requests[0]!.token).toBeUndefined();
    await c.close();
  });
});

describe('CeilometerCollector.tenants() (no Keystone)', () => {
  let fake: FakeCeilometer;
  afterEach(() => fake?.close());

  it('lists the projects with samples in the window, from /v2/resources without meter links', async () => {
    fake = await FakeCeilometer.start({
      samples: [
        sample(P1, 'instance', '2024-05-02T00:00:00'),
        sample(P2, 'volume.size', '2024-05-31T23:59:59.999999'),
        sample('33333333333333333333333333333333', 'instance', '2024-04-30T23:59:59'),
      ],
    });
    const c = openCeilometer(iniFor(fake.url), fast);
    expect(await c.tenants(START, END)).toEqual([{ id: P1 }, { id: P2 }]);
    const r = fake.requests[0]!;
    expect(r.path).toBe('/v2/resources');
    expect(r.query.filter(([k]) => k === 'meter_links' || k === 'limit')).toEqual([['meter_links', '0'], ['limit', '1000']]);
    await c.close();
  });

  it('falls back to statistics grouped by project when the resource list is full', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => sample(i === 500 ? P2 : P1, i === 500 ? 'ip.floating' : 'instance', '2024-05-02T00:00:00', { resource_id: `res-${i}` }));
    fake = await FakeCeilometer.start({ samples: many });
    const c = openCeilometer(iniFor(fake.url), fast);
    expect(await c.tenants(START, END)).toEqual([{ id: P1 }, { id: P2 }]);
    expect(fake.requests.filter((r) => r.path.endsWith('/statistics'))).toHaveLength(METER_SPECS.length);
    await c.close();
  });
});

describe('with Keystone: catalog, regions, tokens, check', () => {
  let ks: FakeKeystone;
  let one: FakeCeilometer;
  let two: FakeCeilometer;
  const ADMIN = 'a0000000000000000000000000000001';

  beforeEach(async () => {
    one = await FakeCeilometer.start({ samples: [sample(P1, 'instance', '2024-05-02T00:00:00'), sample(P1, 'instance', '2024-05-03T00:00:00')] });
    two = await FakeCeilometer.start({ samples: [sample(P1, 'instance', '2024-05-04T00:00:00')] });
    ks = await FakeKeystone.start({
      users: [
        { id: 'u-b', name: 'billing', domain: DEFAULT_DOMAIN, password: 'pw-billing', roles: { [ADMIN]: ['admin'] } },
        { id: 'u-m', name: 'member', domain: DEFAULT_DOMAIN, password: 'pw-member', roles: { [ADMIN]: ['member'] } },
      ],
      projects: [{ id: ADMIN, name: 'admin', domain_id: 'default' }, { id: P1, name: 'one', domain_id: 'default' }],
      catalog: () => [
        { type: 'metering', endpoints: [
          { interface: 'public', region: 'RegionOne', url: one.url },
          { interface: 'public', region: 'RegionTwo', url: `${two.url}/` },
        ] },
      ],
    });
    one.keystone = ks;
    two.keystone = ks;
  });
  afterEach(async () => {
    await Promise.all([ks.close(), one.close(), two.close()]);
  });

  const ini = (extra: string, user = 'billing', keystone = `password = pw-${user}\n`) =>
    parseConfig(
      `[telemetry]\nbackend = ceilometer\n${extra}\n[keystone]\nauth_url = ${ks.url}\nusername = ${user}\nproject_name = admin\n${keystone}`,
      '/etc/artifice/artifice.ini',
      METER_SPECS,
    );

  it('reads every region of [telemetry] regions from the catalog, tagging samples with their region', async () => {
    const c = openCeilometer(ini('regions = RegionOne, RegionTwo'), fast);
    const got = await c.samples({ projectId: P1, meter: 'instance', start: START, end: END });
    expect(got.map((s: Sample) => s.region).sort()).toEqual(['RegionOne', 'RegionOne', 'RegionTwo']);
    expect(c.description).toBe(`ceilometer RegionOne ${one.url}/v2, RegionTwo ${two.url}/v2`);
    expect(one.requests.every((r) => r.token !== undefined)).toBe(true);
    expect(ks.issued).toBe(1);
    await c.close();
  });

  it('with one region named in [keystone] region_name, reads only that one', async () => {
    const c = openCeilometer(ini(''), fast);
    await expect(c.prepare()).rejects.toThrow('the Keystone catalog has metering endpoints in several regions (RegionOne, RegionTwo)');
    await c.close();
    const config = ini('', 'billing', 'password = pw-billing\nregion_name = RegionTwo\n');
    const c2 = openCeilometer(config, fast);
    const got = await c2.samples({ projectId: P1, meter: 'instance', start: START, end: END });
    expect(got.map((s) => s.region)).toEqual(['RegionTwo']);
    await c2.close();
  });

  it('a token that expires mid-run is renewed once and the samples are complete', async () => {
    const c = openCeilometer(ini('regions = RegionOne\npage_size = 1'), fast);
    // The token dies between the first and the second page.
    one.onRequest = (_request, count) => {
      if (count === 2) ks.revokeAll();
    };
    const got = await c.samples({ projectId: P1, meter: 'instance', start: START, end: END });
    expect(got).toHaveLength(2);
    expect(ks.issued).toBe(2);
    await c.close();
  });

  it('check() reports auth, the catalog endpoints and each meter', async () => {
    two.fail({ kind: 'status', status: 403, body: { error_message: { faultcode: 'Client', faultstring: 'RBAC Authorization Failed' } } }, Infinity, (r) =>
      r.filters.some((f) => f.field === 'meter' && f.value === 'image.size'));
    const c = openCeilometer(ini('regions = RegionOne, RegionTwo'), fast);
    const items = await c.check(METER_SPECS);
    await c.close();
    expect(items[0]).toEqual({ name: 'keystone auth', ok: true, detail: expect.stringMatching(new RegExp(`^${ks.url}/v3: password token for user billing in project admin \\(${ADMIN}\\), roles admin, expires `)) });
    expect(items[1]).toEqual({ name: 'ceilometer endpoint RegionOne', ok: true, detail: `${one.url}/v2 (from Keystone catalog metering/public/RegionOne; region RegionOne)` });
    expect(items[2]).toEqual({ name: 'ceilometer endpoint RegionTwo', ok: true, detail: `${two.url}/v2 (from Keystone catalog metering/public/RegionTwo; region RegionTwo)` });
    const meters = items.slice(3);
    expect(meters).toHaveLength(2 * METER_SPECS.length);
    expect(meters.find((i) => i.name === 'meter instance [RegionOne]')).toEqual({ name: 'meter instance [RegionOne]', ok: true, detail: 'readable; latest sample 2024-05-03T00:00:00Z' });
    expect(meters.find((i) => i.name === 'meter volume.size [RegionOne]')).toEqual({ name: 'meter volume.size [RegionOne]', ok: true, detail: 'readable; no samples yet' });
    const failed = meters.filter((i) => !i.ok);
    expect(failed).toEqual([{ name: 'meter image.size [RegionTwo]', ok: false, detail: expect.stringMatching(/→ 403 Forbidden: RBAC Authorization Failed$/) }]);
  });

  it('check() says when the token has no admin role, and when auth fails', async () => {
    const member = openCeilometer(ini('regions = RegionOne', 'member'), fast);
    const items = await member.check(METER_SPECS.slice(0, 1));
    await member.close();
    expect(items.find((i) => i.name === 'keystone admin role')).toEqual({
      name: 'keystone admin role', ok: false,
      detail: `the token has no admin role: Ceilometer shows it only project ${ADMIN}'s samples, so other tenants would bill as empty`,
    });
    const config = ini('regions = RegionOne', 'billing', 'password = not-the-password\n');
    const bad = openCeilometer(config, fast);
    const failed = await bad.check(METER_SPECS);
    await bad.close();
    expect(failed).toEqual([{ name: 'keystone auth', ok: false, detail: expect.stringMatching(/^Keystone refused the password credentials: POST .* → 401 Unauthorized/) }]);
    expect(JSON.stringify(failed)).not.toContain('not-the-password');
  });

  it('a non-admin token asking for another project gets Ceilometer\'s 401 in the message', async () => {
    const c = openCeilometer(ini('regions = RegionOne', 'member'), fast);
    await expect(c.samples({ projectId: P1, meter: 'instance', start: START, end: END })).rejects.toThrow(
      /→ 401 Unauthorized: Not Authorized to access project 1{32}$/,
    );
    await c.close();
  });
});

describe('CeilometerCollector against pages that break the paging contract', () => {
  let fake: FakeCeilometer;
  let other: FakeCeilometer | undefined;
  afterEach(async () => {
    await fake?.close();
    await other?.close();
    other = undefined;
  });
  const q = { projectId: P1, meter: 'instance', start: START, end: END };
  /** The n-th request for samples (1-based). */
  const nthPage = (n: number) => {
    let count = 0;
    return (r: FakeRequest) => r.path === '/v2/samples' && ++count === n;
  };
  const thirty = () => Array.from({ length: 30 }, (_, i) => sample(P1, 'instance', naive(at('2024-05-02T00:00:00Z') + i * 3_600_000_000)));

  it('fails the tenant when a page is wrongly empty: the statistics count more samples than the pages gave', async () => {
    fake = await FakeCeilometer.start({ samples: thirty() });
    fake.fail({ kind: 'status', status: 200, body: [] }, 1, nthPage(2));
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    const error = await c.samples(q).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toBe(
      `instance samples of ${P1} from RegionOne: read 10 samples, but Ceilometer's statistics report 30 for the same query; a page was cut short or padded, so none of them is billed`,
    );
  });

  it('reads every sample when the pages and the statistics agree', async () => {
    fake = await FakeCeilometer.start({ samples: thirty() });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    expect(await c.samples(q)).toHaveLength(30);
    await c.close();
    expect(fake.requests.filter((r) => r.path === '/v2/meters/instance/statistics')).toHaveLength(1);
  });

  it('collect() hands one series per resource, read on demand, with the samples samples() gives', async () => {
    fake = await FakeCeilometer.start({ samples: thirty() });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    const collected = await c.collect(q);
    const requests = fake.requests.length;
    const read = collected.series.flatMap((series) => series.samples());
    expect(fake.requests).toHaveLength(requests); // reading a series asks nothing more
    expect(collected.samples).toEqual([]);
    expect(new Set(collected.series.map((series) => series.resourceId)).size).toBe(collected.series.length);
    expect(read).toHaveLength(30);
    expect(sortedKeys(read)).toEqual(sortedKeys(await c.samples(q)));
    await c.close();
  });

  it('shares one metadata object among the samples of a resource that report the same metadata, across pages', async () => {
    const samples = thirty();
    samples[7] = { ...samples[7]!, metadata: { status: 'stopped', 'flavor.name': 'm1.small' } };
    fake = await FakeCeilometer.start({ samples });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    const read = await c.samples(q);
    await c.close();
    const ofResource = (id: string) => read.filter((s) => s.resourceId === id);
    const stopped = read.find((s) => s.metadata.status === 'stopped')!;
    expect(stopped.metadata).toEqual({ status: 'stopped', 'flavor.name': 'm1.small' });
    for (const id of new Set(read.map((s) => s.resourceId))) {
      const active = ofResource(id).filter((s) => s.metadata.status === 'active');
      expect(active.length).toBeGreaterThan(2);
      // One object per run of equal metadata: the resource that stopped once has two.
      expect(new Set(active.map((s) => s.metadata)).size).toBe(id === stopped.resourceId ? 2 : 1);
    }
  });

  it('refuses a page out of order, one sample id served with two contents, and statistics without a count', async () => {
    const samples = thirty();
    fake = await FakeCeilometer.start({ samples });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    fake.fail({ kind: 'status', status: 200, body: [samples[0], samples[1]] }, 1);
    await expect(c.samples(q)).rejects.toThrow(
      `instance samples of ${P1} from RegionOne: GET ${fake.url}/v2/samples answered samples out of order (2024-05-02T01:00:00Z after 2024-05-02T00:00:00Z); Ceilometer pages newest first, so these pages cannot be trusted`,
    );
    // Page 2 starts at the oldest instant of page 1 (le): serve there a sample of page 1 with new content.
    const newest = samples[29]!;
    fake.fail({ kind: 'status', status: 200, body: [{ ...samples[20], id: newest.id }, ...samples.slice(11, 20).reverse()] }, 1, nthPage(2));
    await expect(c.samples(q)).rejects.toThrow(`instance samples of ${P1} from RegionOne: the server served sample ${newest.id} twice with different content`);
    fake.fail({ kind: 'status', status: 200, body: [{ count: 'thirty' }] }, 1, (r) => r.path.endsWith('/statistics'));
    await expect(c.samples(q)).rejects.toThrow(`instance samples of ${P1} from RegionOne: GET ${fake.url}/v2/meters/instance/statistics answered an entry without a whole "count" ("thirty")`);
    await c.close();
  });

  it('names an id served with two contents before a count that differs, on a single page too', async () => {
    const samples = thirty();
    fake = await FakeCeilometer.start({ samples });
    const c = openCeilometer(iniFor(fake.url, 'page_size = 100\n'), fast);
    // One short page (3 samples, the statistics say 30) in which one id comes twice, with two volumes.
    fake.fail({ kind: 'status', status: 200, body: [samples[29], { ...samples[29], volume: 99 }, samples[28]] }, 1, nthPage(1));
    await expect(c.samples(q)).rejects.toThrow(`the server served sample ${samples[29]!.id} twice with different content`);
    await c.close();
  });

  it('fails the tenant on a redirect to another origin, naming it, and sends nothing there', async () => {
    other = await FakeCeilometer.start({ samples: [] });
    fake = await FakeCeilometer.start({ samples: thirty() });
    fake.fail({ kind: 'status', status: 302, headers: { Location: `${other.url}/v2/samples?limit=10` }, body: '' }, 1, nthPage(2));
    const c = openCeilometer(iniFor(fake.url, 'page_size = 10\n'), fast);
    const error = await c.samples(q).catch((e: unknown) => e);
    await c.close();
    expect(error).toBeInstanceOf(TelemetryError);
    expect((error as Error).message).toMatch(new RegExp(
      `^instance samples of ${P1} from RegionOne: GET ${fake.url}/v2/samples\\?.* → 302 Found: a redirect to another origin, ${other.url}; not followed`,
    ));
    expect(other.requests).toEqual([]);
  });

});
