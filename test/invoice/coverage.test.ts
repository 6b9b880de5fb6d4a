/**
 * Price coverage (src/invoice/coverage.ts) and `artifice adapters`: every service of the meters
 * file in every datacenter, with the csv adapter and with the odoo adapter against the fake Odoo.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { adapters } from '../../src/commands/adapters.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { coverageDatacenters, coverageItems, priceCoverage } from '../../src/invoice/coverage.js';
import { loadInvoiceClass } from '../../src/invoice/load.js';
import { packageFile } from '../../src/paths.js';
import { FakeOdoo } from '../fakes/odoo-server.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

const RATES = packageFile('config', 'rates.csv');
const FLAVORS = ['c1.xlarge', 'm1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge'];
const SERVICES = ['volume.size', 'ip.floating', 'image.size', 'storage.objects.size', 'network.incoming.bytes', 'network.outgoing.bytes'];

function ini(dir: string, spec: string, section: string, extra = ''): string {
  return writeIn(dir, 'artifice.ini', `[main]
invoice:object = ${spec}

[telemetry]
backend = file
file = samples.ndjson
region = RegionOne

[datacenters]
az-north = north
az-south = south
host-7 = north
${extra}
[invoice:object]
${section}
`);
}

function deps(dir: string, out: string[]): Deps {
  return {
    cwd: dir, env: {}, now: () => new Date('2024-06-03T00:00:00Z'), stdout: (t) => out.push(t), stderr: () => undefined,
    isTTY: false, readText: async (file) => readFileSync(file, 'utf8'), host: os.hostname(), pid: process.pid,
  };
}

afterAll(cleanTempDirs);

describe('priceCoverage', () => {
  it('extra pairs (the latest bills, for check) are priced too, once, and counted', async () => {
    const dir = tempDir();
    const rates = writeIn(dir, 'rates.csv', 'datacenter,service,unit,rate\n*,volume.size,gigabyte-hour,0.0001\nwest,x1.huge,hour,2\n');
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${rates}`), env: {}, cwd: dir });
    const { Adapter } = await loadInvoiceClass('csv', dir);
    const coverage = await priceCoverage(config, Adapter, {
      extra: [{ datacenter: 'west', service: 'x9.legacy' }, { datacenter: 'west', service: 'x9.legacy' }, { datacenter: 'north', service: 'volume.size' }, { datacenter: 'east', service: 'gone.service' }],
    });
    expect(coverage.datacenters).toEqual(['north', 'south', 'RegionOne', 'west', 'east']);
    // x1.huge is a flavor of the rates file, so it is priced everywhere as a meter pair;
    // north/volume.size is a meter pair already; the other two are counted once each.
    expect(coverage.extra).toBe(2);
    expect(coverage.rows.find((r) => r.datacenter === 'west' && r.service === 'x1.huge')).toEqual({ datacenter: 'west', service: 'x1.huge', meter: 'instance', rate: '2' });
    expect(coverage.rows.filter((r) => r.meter === 'latest bill')).toEqual([
      { datacenter: 'west', service: 'x9.legacy', meter: 'latest bill', rate: null, problem: 'no price' },
      { datacenter: 'east', service: 'gone.service', meter: 'latest bill', rate: null, problem: 'no price' },
    ]);
    expect(coverageItems(coverage).at(-1)!.detail).toContain('2 more datacenter/service pairs from the latest bills');
  });

  it('datacenters are the [datacenters] values, then the region; flavors come from the rates file', async () => {
    const dir = tempDir();
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${RATES}`), env: {}, cwd: dir });
    expect(coverageDatacenters(config)).toEqual(['north', 'south', 'RegionOne']);
    const { Adapter } = await loadInvoiceClass('csv', dir);
    const coverage = await priceCoverage(config, Adapter);
    expect(coverage.flavors).toEqual(FLAVORS);
    expect(coverage.flavorSource).toContain('rates.csv');
    expect(coverage.rows).toHaveLength(3 * (FLAVORS.length + SERVICES.length));
    expect(coverage.ok).toBe(true);
    expect(coverage.rows.find((r) => r.datacenter === 'south' && r.service === 'm1.small')).toEqual({ datacenter: 'south', service: 'm1.small', meter: 'instance', rate: '0.022' });
    expect(coverageItems(coverage).every((item) => item.ok)).toBe(true);
  });

  it('a flavor or service without a price is a row with a problem, and check items say which', async () => {
    const dir = tempDir();
    const rates = writeIn(dir, 'rates.csv', 'datacenter,service,unit,rate\n*,m1.small,hour,0.025\nnorth,volume.size,gigabyte-hour,0.0001\n');
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${rates}`, '[flavors]\n7 = m1.huge\n'), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('csv', dir)).Adapter);
    expect(coverage.flavors).toEqual(['m1.huge', 'm1.small']);
    expect(coverage.flavorSource).toBe('[flavors] and rates.csv');
    expect(coverage.ok).toBe(false);
    expect(coverage.rows.filter((r) => r.rate !== null).map((r) => `${r.datacenter}/${r.service}`))
      .toEqual(['north/m1.small', 'north/volume.size', 'south/m1.small', 'RegionOne/m1.small']);
    const south = coverageItems(coverage).find((item) => item.detail.startsWith('south:'))!;
    expect(south.ok).toBe(false);
    expect(south.detail).toContain('no price for m1.huge, volume.size, ip.floating');
  });

  it('--flavor replaces the flavor list', async () => {
    const dir = tempDir();
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${RATES}`), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('csv', dir)).Adapter, { flavors: ['m1.tiny', 'x9.mega'] });
    expect(coverage.flavors).toEqual(['m1.tiny', 'x9.mega']);
    expect(coverage.rows.filter((r) => r.rate === null).map((r) => r.service)).toEqual(['x9.mega', 'x9.mega', 'x9.mega']);
  });

  it('an adapter that cannot be constructed is one error, not a row per service', async () => {
    const dir = tempDir();
    const config = await loadConfig({ flag: ini(dir, 'odoo', 'url = http://127.0.0.1:9'), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('odoo', dir)).Adapter);
    expect(coverage.ok).toBe(false);
    expect(coverage.error).toContain('[invoice:object] database is required');
    expect(coverageItems(coverage)).toEqual([{ name: 'price coverage', ok: false, detail: coverage.error }]);
  });
});

describe('artifice adapters', () => {
  let fake: FakeOdoo;
  beforeEach(async () => {
    fake = await FakeOdoo.start();
  });
  afterEach(() => fake.close());

  const odoo = () => `url = ${fake.url}\ndatabase = artifice\nuser = billing\npassword = s3cret-pw\nproduct_fallback = {service}`;

  it('lists the built-ins, loads the configured adapter and prints a services × datacenters table', async () => {
    const dir = tempDir();
    const out: string[] = [];
    expect(await adapters({ config: ini(dir, 'csv', `rates = ${RATES}`) }, deps(dir, out))).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/^csv +one CSV file per bill.*\(configured\)$/m);
    expect(text).toMatch(/^json +one JSON file per bill/m);
    expect(text).toMatch(/^odoo +one draft customer invoice per bill in Odoo/m);
    expect(text).toContain('configured adapter: csv: loads, has addSection, addLine, cost, commit');
    expect(text).toContain('uptime services are flavor names; flavors priced: c1.xlarge, m1.large, m1.medium, m1.small, m1.tiny, m1.xlarge');
    expect(text).toMatch(/^m1\.medium +0\.05 +0\.044 +0\.05$/m);
    expect(text).toContain('every service is priced in every datacenter');
  });

  it('odoo against the fake: products found are priced; missing ones name the product codes looked for; exit 2', async () => {
    // Products for everything but c1.xlarge; south has its own m1.small.
    const text = readFileSync(RATES, 'utf8');
    for (const row of text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).slice(1)) {
      const [dc, service, , rate] = row.split(',') as [string, string, string, string];
      if (service !== 'c1.xlarge') fake.addProduct(dc === '*' ? service : `${dc}.${service}`, rate);
    }
    const dir = tempDir();
    const out: string[] = [];
    expect(await adapters({ config: ini(dir, 'odoo', odoo()), flavor: ['m1.small', 'c1.xlarge'] }, deps(dir, out))).toBe(2);
    const printed = out.join('');
    expect(printed).toMatch(/^m1\.small +0\.025 +0\.022 +0\.025$/m);
    expect(printed).toMatch(/^c1\.xlarge +MISSING +MISSING +MISSING$/m);
    expect(printed).toContain("north/c1.xlarge: no Odoo product for c1.xlarge in north: none has internal reference 'north.c1.xlarge' or 'c1.xlarge'");
    expect(fake.invoices()).toHaveLength(0);
  });

  it('--json: one object; bad credentials are a problem on every row, without the password', async () => {
    const dir = tempDir();
    const out: string[] = [];
    const section = odoo().replace('password = s3cret-pw', 'password = wrong-pw');
    expect(await adapters({ config: ini(dir, 'odoo', section), json: true, flavor: ['m1.small'] }, deps(dir, out))).toBe(2);
    const result = JSON.parse(out.join(''));
    expect(result.ok).toBe(false);
    expect(result.builtIns.map((b: { name: string }) => b.name)).toEqual(['csv', 'json', 'odoo']);
    expect(result.configured).toEqual({ spec: 'odoo', loads: true });
    expect(result.coverage.rows.every((r: { problem?: string }) => r.problem?.includes("login refused for user 'billing'"))).toBe(true);
    expect(out.join('')).not.toContain('wrong-pw');
  });

  it('a bad spec: exit 2 with the loader’s one-line error', async () => {
    const dir = tempDir();
    const out: string[] = [];
    expect(await adapters({ config: ini(dir, './nope.mjs:Nope', '') }, deps(dir, out))).toBe(2);
    expect(out.join('')).toContain('configured adapter: FAIL: [main] invoice:object = ./nope.mjs:Nope: no file');
  });
});
