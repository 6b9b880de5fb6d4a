/**
 * Price coverage (src/invoice/coverage.ts) and `artifice adapters`: every service of the meters
 * file in every datacenter, with the csv adapter and with the odoo adapter against the fake Odoo.
 */
import { readFileSync } from 'node:fs';
import { adapters } from '../../src/commands/adapters.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { testDeps } from '../helpers/deps.js';
import { coverageDatacenters, coverageItems, priceCoverage } from '../../src/invoice/coverage.js';
import { loadInvoiceClass } from '../../src/invoice/load.js';
import { packageFile } from '../../src/model/paths.js';
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
  return testDeps({ cwd: dir, now: () => new Date('2024-06-03T00:00:00Z'), stdout: (t) => out.push(t) });
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

  it('a csv rate per another unit than the meters file gives (as bill would refuse it) is a problem, not a price', async () => {
    const dir = tempDir();
    const rates = writeIn(dir, 'rates.csv', 'datacenter,service,unit,rate\n*,volume.size,gigabyte-month,0.10\n*,m1.small,Hour,0.025\n' +
      'south,m1.small,hour,0.022\n*,ip.floating,,0.005\n*,x9.legacy,gigabyte,1\n');
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${rates}`), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('csv', dir)).Adapter, {
      flavors: ['m1.small'], extra: [{ datacenter: 'north', service: 'x9.legacy', unit: 'hour' }],
    });
    const row = (datacenter: string, service: string) => coverage.rows.find((r) => r.datacenter === datacenter && r.service === service);
    expect(row('north', 'volume.size')).toEqual({
      datacenter: 'north', service: 'volume.size', meter: 'volume.size', rate: null,
      problem: `rates file ${rates}: north/volume.size is priced per gigabyte-month, but its quantity is in gigabyte-hour (config/meters.ini unit); fix the unit column or the rate`,
    });
    // Units compare exactly, as addLine does: Hour is not hour; south's own row is per hour.
    expect(row('north', 'm1.small')?.problem).toContain('north/m1.small is priced per Hour, but its quantity is in hour');
    expect(row('south', 'm1.small')).toEqual({ datacenter: 'south', service: 'm1.small', meter: 'instance', rate: '0.022' });
    expect(row('north', 'ip.floating')?.rate).toBe('0.005'); // an empty unit is not checked
    expect(row('north', 'x9.legacy')?.problem).toContain('priced per gigabyte, but its quantity is in hour');
    expect(coverage.ok).toBe(false);
    const north = coverageItems(coverage).find((item) => item.detail.startsWith('north:'))!;
    expect(north.ok).toBe(false);
    expect(north.detail).toContain('m1.small, volume.size');
  });

  it('an adapter without a price list keeps its rates whatever the units: only a price list has units to check', async () => {
    const dir = tempDir();
    writeIn(dir, 'flat.mjs', 'export class Flat { cost() { return \'0.5\'; } addSection() {} addLine() {} commit() { return \'x\'; } }\n');
    const config = await loadConfig({ flag: ini(dir, './flat.mjs:Flat', ''), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('./flat.mjs:Flat', dir)).Adapter, { flavors: ['m1.small'] });
    expect(coverage.ok).toBe(true);
    expect(coverage.rows.every((r) => r.rate === '0.5')).toBe(true);
  });

  it('a cost() that answers hex or a huge exponent is a problem, not a price', async () => {
    const dir = tempDir();
    writeIn(dir, 'odd.mjs', 'export class Odd { cost(dc, s) { return s === \'m1.small\' ? \'0x19\' : \'1e100000000\'; } addSection() {} addLine() {} commit() { return \'x\'; } }\n');
    const config = await loadConfig({ flag: ini(dir, './odd.mjs:Odd', ''), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('./odd.mjs:Odd', dir)).Adapter, { flavors: ['m1.small'] });
    expect(coverage.rows.every((r) => r.rate === null)).toBe(true);
    expect(coverage.rows.find((r) => r.service === 'm1.small')?.problem).toContain("cost(north, m1.small) returned '0x19', not a rate ≥ 0");
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
    // The packaged rates' price change, inside the months checked (now is 2024-06-03).
    expect(text).toContain('prices checked for everyone over 2024-05-01T00:00:00Z..2024-07-01T00:00:00Z (the rate shown is the first)');
    expect(text).toContain('price changes in that period:\n  north/image.size: 0.00009 until 2024-05-15T00:00:00Z, then 0.00012\n');
    expect(text).toContain('every service is priced in every datacenter');
  });

  it('a rate per another unit is MISSING in the table, with the reason, and exit 2', async () => {
    const dir = tempDir();
    const rates = writeIn(dir, 'rates.csv', `${readFileSync(RATES, 'utf8').replace('*,volume.size,gigabyte-hour,', '*,volume.size,gigabyte-month,')}`);
    const out: string[] = [];
    expect(await adapters({ config: ini(dir, 'csv', `rates = ${rates}`) }, deps(dir, out))).toBe(2);
    const text = out.join('');
    expect(text).toMatch(/^volume\.size +MISSING +MISSING +MISSING$/m);
    expect(text).toContain('north/volume.size: rates file');
    expect(text).toContain('is priced per gigabyte-month, but its quantity is in gigabyte-hour');
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

describe('price coverage per price list and period (a rates file with dates and groups)', () => {
  const HEADER = 'datacenter,service,unit,rate,from,until,tenant\n';
  async function coverageOf(rates: string, extraIni = '') {
    const dir = tempDir();
    const file = writeIn(dir, 'rates.csv', `${HEADER}${rates}`);
    const config = await loadConfig({ flag: ini(dir, 'csv', `rates = ${file}`, extraIni), env: {}, cwd: dir });
    // now = 2024-06-03: the previous and the current month, 2024-05-01..2024-07-01, are checked.
    return priceCoverage(config, (await loadInvoiceClass('csv', dir)).Adapter, { flavors: ['m1.small'], now: new Date('2024-06-03T00:00:00Z') });
  }
  const everything = SERVICES.map((s) => `*,${s},,1,,,`).join('\n');

  it('a price change inside the period is shown; a stretch no row prices is a problem that names it', async () => {
    const coverage = await coverageOf(`*,m1.small,hour,0.025,,2024-05-15,\n*,m1.small,hour,0.03,2024-05-15,2024-06-20,\n${everything}\n`);
    expect(coverage.periods).toEqual({ scopes: ['everyone'], period: { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 6, 1) * 1000 } });
    expect(coverage.rows.find((r) => r.datacenter === 'north' && r.service === 'm1.small')).toEqual({
      datacenter: 'north', service: 'm1.small', meter: 'instance', rate: null,
      problem: 'no price for everyone from 2024-06-20T00:00:00Z until 2024-07-01T00:00:00Z',
    });
    const fixed = await coverageOf(`*,m1.small,hour,0.025,,2024-05-15,\n*,m1.small,hour,0.03,2024-05-15,,\n${everything}\n`);
    expect(fixed.rows.find((r) => r.datacenter === 'north' && r.service === 'm1.small')).toMatchObject({
      rate: '0.025', changes: '0.025 until 2024-05-15T00:00:00Z, then 0.03',
    });
    expect(fixed.ok).toBe(true);
    expect(coverageItems(fixed).at(-1)!.detail).toContain('priced for everyone over 2024-05-01T00:00:00Z..2024-07-01T00:00:00Z');
  });

  it('a service priced for a group only: tenants outside it have no price', async () => {
    const coverage = await coverageOf(`*,m1.small,hour,0.02,,,group:partners\n${everything}\n`, '[price_groups]\npartners = acme\n');
    expect(coverage.periods?.scopes).toEqual(['everyone', 'group partners']);
    const row = coverage.rows.find((r) => r.datacenter === 'north' && r.service === 'm1.small')!;
    expect(row.rate).toBeNull();
    expect(row.problem).toBe('no price for everyone (priced for group partners only)');
  });

  it('a group whose own rows end leaves it to everyone\'s: covered', async () => {
    const coverage = await coverageOf(`*,m1.small,hour,0.025,,,\n*,m1.small,hour,0.02,,2024-06-01,group:partners\n${everything}\n`, '[price_groups]\npartners = acme\n');
    expect(coverage.ok).toBe(true);
  });
});
