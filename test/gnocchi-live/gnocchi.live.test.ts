/**
 * Against a real Gnocchi 4.4 (test/services/gnocchi-up.sh): `npm run test:gnocchi` with
 * GNOCCHI_URL set (CI does it in .ci/run). The month is scenario.ts, seeded by seed.ts if it
 * is not there yet. Expected quantities are computed by hand from the scenario below, by the
 * Gnocchi rules of docs/gnocchi.md (a bucket with a measure is billed whole, bounded by
 * started_at/ended_at, split at a revision_start).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { SECTIONS } from '../../src/config.js';
import { GnocchiCollector, basicAuth } from '../../src/telemetry/gnocchi.js';
import { parseGnocchi as readGnocchiSettings } from '../../src/config/gnocchi.js';
import { HttpClient } from '../../src/http/index.js';
import { readAggregates } from '../../src/telemetry/gnocchi/aggregates.js';
import { parseMeasures } from '../../src/telemetry/gnocchi/buckets.js';
import { parseIni } from '../../src/config/ini-file.js';
import { parseMeters } from '../../src/config.js';
import { packageFile } from '../../src/model/paths.js';
import { run, ledgerBills, DEMO_METERS, RATES } from '../helpers/cli.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';
import {
  ACME, AFTER_MONTH, GLOBEX, HOOLI, INITECH, MONTH, RESOURCES, scenarioNdjson, UMBRELLA, utc,
} from './scenario.js';
import { seed } from './seed.js';

const URL_ = process.env.GNOCCHI_URL;
const telemetryKeys = SECTIONS.telemetry?.keys ?? [];
/** No retries where the shared [telemetry] keys allow it, so a Gnocchi that is down fails at once. */
const NO_RETRIES = telemetryKeys.includes('retries') ? 'retries = 0\n' : '';

interface JsonBill {
  tenant: string;
  status: string;
  total: string | null;
  error?: string;
  reason?: string;
  lines: { datacenter: string; name: string; quantity: string; unit: string; rate: string; amount: string }[];
}

/**
 * A config for the live Gnocchi in a fresh temp dir. Its meters are the demo's (the packaged ones
 * with volume types turned on), so data-1's retype splits its GB-hours by type.
 */
function config(options: { telemetry?: string; gnocchi?: string; mapping?: string; backend?: string } = {}): { dir: string; ini: string } {
  const dir = tempDir('artifice-gnocchi-');
  const mapping = options.mapping === undefined ? '' : `mapping = ${writeIn(dir, 'gnocchi-map.ini', options.mapping)}\n`;
  const telemetry = options.backend === 'file'
    ? `backend = file\nfile = ${writeIn(dir, 'samples.ndjson', scenarioNdjson())}\n`
    : `backend = gnocchi\nurl = ${URL_}\n${options.telemetry ?? ''}`;
  const ini = writeIn(dir, 'artifice.ini', [
    '[main]', 'invoice:object = json', `database = ${path.join(dir, 'ledger.sqlite')}`, 'timezone = UTC', `meters = ${DEMO_METERS}`, '',
    '[telemetry]', telemetry,
    ...(options.backend === 'file' ? [] : ['[gnocchi]', 'auth_type = basic', 'user = admin', `${mapping}${options.gnocchi ?? ''}`]),
    '[invoice:object]', `output_dir = ${path.join(dir, 'invoices')}`, `rates = ${RATES}`, '',
  ].join('\n'));
  return { dir, ini };
}

async function bill(command: 'bill' | 'usage', ini: string, tenants: string[], extra: string[] = []): Promise<{ code: number; bills: JsonBill[]; stderr: string }> {
  const args = [command, '--config', ini, '--month', MONTH, '--json', ...(tenants.length ? tenants.flatMap((t) => ['--tenant', t]) : ['--all']), ...extra];
  const r = await run(args, { cwd: path.dirname(ini), now: AFTER_MONTH });
  let parsed: { bills?: JsonBill[] } = {};
  try {
    parsed = JSON.parse(r.stdout) as { bills?: JsonBill[] };
  } catch {
    throw new Error(`artifice ${args.join(' ')} → exit ${r.code}, no JSON on stdout:\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, bills: parsed.bills ?? [], stderr: r.stderr };
}

function quantities(b: JsonBill): Record<string, string> {
  return Object.fromEntries(b.lines.map((l) => [l.name, new Decimal(l.quantity).toString()]));
}

beforeAll(async () => {
  if (!URL_) {
    throw new Error('GNOCCHI_URL is not set: start Gnocchi with test/services/gnocchi-up.sh and run GNOCCHI_URL=<its URL> npm run test:gnocchi');
  }
  await seed({ base: URL_, log: () => undefined });
}, 240_000);

afterAll(() => cleanTempDirs());

describe('billing March 2026 from a real Gnocchi', () => {
  it('bills acme exactly as computed by hand, and a second run bills nothing twice', async () => {
    const { ini } = config();
    const first = await bill('bill', ini, [ACME.id]);
    expect(first.code).toBe(0);
    const [acme] = first.bills;
    expect(acme!.status).toBe('committed');
    expect(quantities(acme!)).toEqual({
      // web-1: m1.small from 03-01 00:00 to the resize at 03-10 14:30 (inside the 14:00 bucket),
      // m1.medium from there to 04-01 00:00.
      'm1.small': '230.5',
      'm1.medium': '513.5',
      // batch-1: up 03-05 09:40 (started_at, inside the 09:00 bucket) to 03-12 01:00 (the 00:00
      // bucket still has measures at 00:00, 00:10, 00:20; stopped 00:30), no measures until
      // 03-13 00:00, up again until ended_at 03-20 16:10: 159 h 20 + 184 h 10.
      'm1.large': '343.5',
      // data-1: 100 GB from 03-01 to 03-15 12:00 (348 h), the 12:00 bucket's mean 125 GB (three
      // 10-minute samples of 100, three of 150), then 150 GB for 395 h: 34800 + 125 + 59250 =
      // 94175, split by the retype hdd → ssd at 03-20 06:20 (inside the 06:00 bucket): hdd
      // 34800 + 125 + 150 × 113 h 20 min = 51925, ssd 150 × 281 h 40 min = 42250.
      'volume.size.hdd': '51925',
      'volume.size.ssd': '42250',
      'ip.floating': '744',
    });
    // 5.76 + 25.68 + 34.35 + 7.11 (51925 × 0.000137 = 7.113725) + 12.68 (42250 × 0.0003 = 12.675) + 3.72
    expect(acme!.total).toBe('89.30');

    const again = await bill('bill', ini, [ACME.id]);
    expect(again.code).toBe(3);
    expect(again.bills[0]!.status).toBe('skipped');
    expect(again.bills[0]!.reason).toMatch(/already billed/);
    const rows = ledgerBills(path.join(path.dirname(ini), 'ledger.sqlite'));
    expect(rows.map((r) => [r.tenant, r.status, r.total])).toEqual([[ACME.id, 'committed', '89.30']]);
  });

  it('bills the other tenants: a counter with a reset, a private image, an instance created mid-month', async () => {
    const { ini } = config();
    const r = await bill('usage', ini, [GLOBEX.id, INITECH.id]);
    expect(r.code).toBe(0);
    const [globex, initech] = r.bills;
    expect(quantities(globex!)).toEqual({
      'm1.tiny': '744',
      // 2.25 GiB all month
      'image.size': '1674',
      // +60 MiB per hourly bucket (the bucket's last value), 743 buckets, and the 03:00 bucket of
      // 03-17 where the counter restarted: its last value, 41 MiB, counts from zero.
      'network.outgoing.bytes': new Decimal(743 * 60 + 41).div(1024).toString(),
      // +6 MiB per bucket, 744 buckets
      'network.incoming.bytes': new Decimal(744 * 6).div(1024).toString(),
    });
    // image.size at 0.00012 (config/rates.csv's price from 2024-05-15 on): 1674 × 0.00012 = 0.20.
    expect(globex!.total).toBe('13.42');
    // jumphost: started 03-03 10:30 (inside the 10:00 bucket), one measure an hour at :30.
    expect(quantities(initech!)).toEqual({ 'm1.tiny': '685.5' });
  });

  it('--all takes the tenants from Gnocchi; a tenant whose metric cannot be read fails alone', async () => {
    const { ini } = config();
    const r = await bill('bill', ini, []);
    const byTenant = new Map(r.bills.map((b) => [b.tenant, b]));
    for (const t of [ACME, GLOBEX, INITECH, HOOLI]) expect(byTenant.get(t.id)?.status).toBe('committed');
    const umbrella = byTenant.get(UMBRELLA.id)!;
    expect(umbrella.status).toBe('failed');
    expect(umbrella.error).toContain(`tenant ${UMBRELLA.id}: meter instance (Gnocchi instance/vcpus)`);
    expect(umbrella.error).toContain("its archive policy 'ceilometer-low' keeps granularity 300 s, not 3600 s ([gnocchi] granularity)");
    expect(r.code).toBe(1);
  });
});

describe('clear errors naming the tenant and the metric', () => {
  it('a metric whose archive policy lacks the wanted aggregation', async () => {
    const { ini } = config({ gnocchi: 'aggregation = max\n' });
    const r = await bill('usage', ini, [HOOLI.id, ACME.id]);
    const [hooli, acme] = r.bills;
    expect(hooli!.status).toBe('failed');
    expect(hooli!.error).toMatch(new RegExp(`^tenant ${HOOLI.id}: meter instance \\(Gnocchi instance/vcpus\\): metric vcpus \\([0-9a-f-]+\\) of resource [0-9a-f-]+: its archive policy 'artifice-mean-1h' holds the aggregation method mean, not max`));
    // billing-1h holds max: the other tenant is billed.
    expect(acme!.status).toBe('preview');
    expect(r.code).toBe(1);
  });

  it('an unknown resource type', async () => {
    const mapping = (await import('node:fs')).readFileSync(packageFile('config', 'gnocchi.ini'), 'utf8').replace('resource_type = volume', 'resource_type = cinder_volume');
    const { ini } = config({ mapping });
    const r = await bill('usage', ini, [ACME.id]);
    expect(r.bills[0]!.status).toBe('failed');
    expect(r.bills[0]!.error).toMatch(new RegExp(`^tenant ${ACME.id}: meter volume.size \\(Gnocchi cinder_volume/volume.size\\): Gnocchi has no resource type 'cinder_volume' \\(.*gnocchi-map.ini \\[volume.size\\] resource_type\\)`));
  });

  it('a Gnocchi that is down', async () => {
    const { ini } = config({ telemetry: NO_RETRIES });
    const text = (await import('node:fs')).readFileSync(ini, 'utf8').replace(`url = ${URL_}`, 'url = http://127.0.0.1:9');
    writeFileSync(ini, text);
    const r = await bill('usage', ini, [ACME.id]);
    expect(r.code).toBe(1);
    expect(r.bills[0]!.status).toBe('failed');
    expect(r.bills[0]!.error).toMatch(new RegExp(`^tenant ${ACME.id}: meter [a-z.]+ \\(Gnocchi [a-z_]+/[a-z.]+\\): cannot reach Gnocchi at http://127.0.0.1:9/v1 .*ECONNREFUSED`));
  }, 60_000);

  it('a 400 "Metrics not found" (a metric name Gnocchi does not have)', async () => {
    const { ini } = config({ gnocchi: 'uptime_metric = vcpu\n' });
    const r = await bill('usage', ini, [ACME.id]);
    expect(r.bills[0]!.status).toBe('failed');
    expect(r.bills[0]!.error).toMatch(new RegExp(`^tenant ${ACME.id}: meter instance \\(Gnocchi instance/vcpu\\): none of the tenant's 2 instance resources has a metric 'vcpu', and Gnocchi has no metric of that name at all \\(Gnocchi answered 400 Metrics not found`));
    expect(r.bills[0]!.error).toContain('[gnocchi] uptime_metric');
  });
});

describe('the same month from the file collector and from Gnocchi', () => {
  it('gives the same invoice totals, within the documented effect of granularity', async () => {
    const tenants = [ACME.id, GLOBEX.id, INITECH.id];
    const fromFile = await bill('usage', config({ backend: 'file' }).ini, tenants);
    const fromGnocchi = await bill('usage', config().ini, tenants);
    expect(fromFile.code).toBe(0);
    expect(fromGnocchi.code).toBe(0);

    // Where the rules differ (docs/gnocchi.md), by one granularity (1 h) at most per event:
    // - batch-1 stopped at 00:30, inside a bucket that has measures: Gnocchi bills the whole bucket (+0.5 h);
    // - the counter reset inside a bucket: the increase before the reset in that bucket (10 MiB)
    //   is not seen by the bucket's last value.
    const effect: Record<string, Record<string, Decimal>> = {
      [ACME.id]: { 'm1.large': new Decimal('0.5') },
      [GLOBEX.id]: { 'network.outgoing.bytes': new Decimal(-10).div(1024) },
    };
    for (let i = 0; i < tenants.length; i++) {
      const file = fromFile.bills[i]!;
      const gnocchi = fromGnocchi.bills[i]!;
      expect(gnocchi.tenant).toBe(file.tenant);
      const f = quantities(file);
      const g = quantities(gnocchi);
      expect(Object.keys(g).sort()).toEqual(Object.keys(f).sort());
      for (const service of Object.keys(f)) {
        const expected = new Decimal(f[service]!).plus(effect[file.tenant]?.[service] ?? 0);
        expect([service, new Decimal(g[service]!).minus(expected).abs().lte('1e-9')]).toEqual([service, true]);
      }
    }
    expect(fromFile.bills.map((b) => b.total)).toEqual(['89.25', '13.42', '8.57']);
    // acme: + 0.5 h × 0.10 for batch-1's stop; the traffic difference (10 MiB × 0.09/GB) rounds away.
    expect(fromGnocchi.bills.map((b) => b.total)).toEqual(['89.30', '13.42', '8.57']);
  });
});

describe('paging and history as Gnocchi serves them', () => {
  it('reads the same samples with one resource revision per page as with one page', async () => {
    const specs = parseMeters((await import('node:fs')).readFileSync(packageFile('config', 'meters.ini'), 'utf8'), 'meters.ini', 3600);
    const settings = readGnocchiSettings({ file: 'live.ini', dir: '.', sections: parseIni('[gnocchi]\nauth_type = basic\n'), meterSpecs: specs });
    const open = (pageSize: number) => {
      const http = new HttpClient({ retries: 3, keepAlive: false });
      return new GnocchiCollector({
        settings, specs, http, auth: basicAuth('admin'), pageSize, onClose: () => http.close(),
        endpoints: async () => [{ url: `${URL_}/v1`, region: 'RegionOne', source: 'GNOCCHI_URL' }],
      });
    };
    const query = { projectId: ACME.id, meter: 'instance', start: utc('2026-02-28T23:00:00') * 1000, end: utc('2026-04-01T00:00:00') * 1000 };
    const one = open(1);
    const many = open(1000);
    try {
      const paged = await one.samples(query);
      const whole = await many.samples(query);
      expect(paged).toEqual(whole);
      // web-1 and batch-1, two revisions each: the resize and the deletion.
      expect(new Set(whole.map((s) => s.resourceId)).size).toBe(2);
      expect(RESOURCES.filter((r) => r.tenant === ACME && r.type === 'instance').length).toBe(2);
      expect(new Set(whole.map((s) => s.metadata['flavor.name']))).toEqual(new Set(['m1.small', 'm1.medium', 'm1.large']));
      expect(await one.tenants(utc('2026-03-01T00:00:00') * 1000, utc('2026-04-01T00:00:00') * 1000)).toEqual(
        expect.arrayContaining([ACME, GLOBEX, INITECH, UMBRELLA, HOOLI].map((t) => ({ id: t.id }))),
      );
    } finally {
      await one.close();
      await many.close();
    }
  });

  it('reads Gnocchi\'s own aggregates answers from their bytes, as their text reads them', async () => {
    const http = new HttpClient({ retries: 3, keepAlive: false });
    try {
      for (const [type, metric] of [['instance', 'vcpus'], ['volume', 'volume.size'], ['instance_network_interface', 'network.incoming.bytes']]) {
        // Not every tenant's: one instance has a metric without the hourly granularity, on purpose (above).
        const ids = RESOURCES.filter((r) => r.type === type && (type !== 'instance' || r.tenant === ACME)).map((r) => r.id);
        const res = await http.request('POST', `${URL_}/v1/aggregates`, {
          auth: basicAuth('admin'), idempotent: true, keepBytes: true,
          query: [['start', '2026-02-28T23:00:00Z'], ['stop', '2026-04-01T00:00:00Z'], ['granularity', '3600']],
          body: { resource_type: type, search: { in: { id: ids } }, operations: ['metric', metric, 'mean'] },
        });
        const read = readAggregates(res.bytes(), metric!, 'mean');
        expect(read).toBeDefined();
        const text = res.json<{ measures: Record<string, Record<string, { mean: unknown }>> }>().measures;
        expect(Object.keys(text).sort()).toEqual([...read!.keys()].sort());
        for (const [id, buckets] of read!) expect(buckets).toEqual(parseMeasures(text[id]![metric!]!.mean));
        expect([...read!.values()].some((b) => b.t.length > 100)).toBe(true);
      }
    } finally {
      http.close();
    }
  });

  it('artifice check reports the endpoint and every meter\'s resource type', async () => {
    const { ini } = config();
    const r = await run(['check', '--config', ini, '--json'], { cwd: path.dirname(ini), now: AFTER_MONTH });
    const report = JSON.parse(r.stdout) as { items: { name: string; ok: boolean; detail: string }[] };
    const gnocchi = report.items.filter((i) => i.name.startsWith('gnocchi'));
    expect(gnocchi.map((i) => [i.name, i.ok])).toEqual(expect.arrayContaining([['gnocchi endpoint', true], ['gnocchi meter instance', true], ['gnocchi meter volume.size', true]]));
  });
});
