/**
 * Adapters written by users, loaded through the real loader: the example in
 * invoices/example-markdown (by path and as a package), a plain-JS adapter in a directory of its
 * own (by path, by package name: ESM, CommonJS, scoped), and the one-line errors of a wrong spec,
 * a missing export and a class without `commit`; price coverage through the optional static
 * `priceList()`; and `artifice/adapter`, the module an adapter imports from an installed artifice.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli.js';
import { adapters } from '../../src/commands/adapters.js';
import { bill } from '../../src/commands/bill.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { testDeps } from '../helpers/deps.js';
import { AdapterError } from '../../src/model/errors.js';
import { priceCoverage } from '../../src/invoice/coverage.js';
import { loadInvoiceClass } from '../../src/invoice/load.js';
import { Decimal } from '../../src/model/decimal.js';
import { Ledger } from '../../src/ledger.js';
import { packageFile } from '../../src/model/paths.js';
import { REPO, runBin } from '../helpers/cli.js';
import { onePriceRates } from '../helpers/rates.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

const EXAMPLE = packageFile('invoices', 'example-markdown', 'index.mjs');
const SAMPLES = packageFile('config', 'demo', 'samples.ndjson.gz');
const RATES = packageFile('config', 'rates.csv');

/** What a user writes: plain JavaScript, its own helper module, no artifice import. */
const USER_ADAPTER = `
import { describe } from './lib/describe.mjs';

export class MyInvoice {
  constructor(tenant, config, context) {
    this.tenant = tenant; this.config = config; this.context = context; this.lines = [];
  }
  cost(datacenter, service) { return service === 'free' ? '0' : this.config.flat_rate; }
  addSection() {}
  addLine(line) { this.lines.push(line); }
  async commit() { return describe(this.context.billId, this.lines.length); }
}

export class NoCommit {
  cost() { return 1; }
  addSection() {}
  addLine() {}
}

export default MyInvoice;
`;

const PACKAGE_ESM = `
export class ErpInvoice {
  constructor(tenant, config, context) { this.tenant = tenant; this.context = context; }
  cost() { return 2; }
  addSection() {}
  addLine() {}
  commit() { return 'ERP-' + this.tenant.id + '-' + this.context.billId; }
}
export default ErpInvoice;
`;

const PACKAGE_CJS = `
class LegacyInvoice {
  cost() { return '1.5'; }
  addSection() {}
  addLine() {}
  commit() { return 'legacy'; }
}
module.exports = LegacyInvoice;
`;

/**
 * An adapter with a price list of its own (not a rates file): flavors m1.small and x2.big, and a
 * volume rate per month where the meters file measures gigabyte-hours.
 */
const LISTED_ADAPTER = `
export class Listed {
  static priceList(config, setup) {
    return {
      name: 'the price book', where: 'price book ' + setup.currency,
      rows: [
        { datacenter: '*', service: 'm1.small', unit: 'hour', rate: '0.5' },
        { datacenter: 'south', service: 'x2.big', unit: 'hour', rate: '2' },
        { datacenter: '*', service: 'volume.size', unit: 'gigabyte-month', rate: '0.1' },
        { datacenter: '*', service: 'ip.floating', unit: '', rate: '0.01' },
      ],
    };
  }
  cost(datacenter, service) {
    if (service === 'x2.big') return datacenter === 'south' ? '2' : undefined;
    return { 'm1.small': '0.5', 'volume.size': '0.1', 'ip.floating': '0.01' }[service];
  }
  addSection() {}
  addLine() {}
  commit() { return 'listed'; }
}
`;

const CONTEXT = {
  billId: 'bill-1', start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z', currency: 'USD', digits: 2,
  dryRun: false, revision: 1, configDir: '',
};

/** A user's directory: the ini, an adapter file, and node_modules with three packages. */
function userDir(): string {
  const dir = tempDir('artifice-user-');
  writeIn(dir, 'my-invoice.mjs', USER_ADAPTER);
  writeIn(dir, 'lib/describe.mjs', 'export const describe = (bill, n) => `MY-${bill}-${n}`;\n');
  writeIn(dir, 'node_modules/acme-erp-invoice/package.json', JSON.stringify({ name: 'acme-erp-invoice', type: 'module', exports: { '.': { import: './src/index.js' } } }));
  writeIn(dir, 'node_modules/acme-erp-invoice/src/index.js', PACKAGE_ESM);
  writeIn(dir, 'node_modules/@acme/legacy-invoice/package.json', JSON.stringify({ name: '@acme/legacy-invoice', main: 'lib/legacy.cjs' }));
  writeIn(dir, 'node_modules/@acme/legacy-invoice/lib/legacy.cjs', PACKAGE_CJS);
  writeIn(dir, 'broken.mjs', 'export class Broken {\n  cost( {\n}\n');
  writeIn(dir, 'listed.mjs', LISTED_ADAPTER);
  return dir;
}

function deps(dir: string, out: string[], err: string[] = []): Deps {
  return testDeps({ cwd: dir, now: () => new Date('2024-06-03T00:00:00Z'), stdout: (text) => out.push(text), stderr: (text) => err.push(text) });
}

function demoIni(dir: string, spec: string, section: string): string {
  return writeIn(dir, 'artifice.ini', `[main]
invoice:object = ${spec}
database = ledger.sqlite

[telemetry]
backend = file
file = ${SAMPLES}

[datacenters]
az-north = north
az-south = south

[invoice:object]
${section}
`);
}

async function adapterError(spec: string, dir: string): Promise<string> {
  try {
    await loadInvoiceClass(spec, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    const message = (error as Error).message;
    expect(message).toContain(`[main] invoice:object = ${spec}`);
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected ${spec} to fail`);
}

afterAll(cleanTempDirs);

describe('a plain-JS adapter in a directory of its own', () => {
  it('loads by path, relative to the ini file, with its own relative imports', async () => {
    const dir = userDir();
    for (const spec of ['./my-invoice.mjs:MyInvoice', './my-invoice.mjs', path.join(dir, 'my-invoice.mjs') + ':MyInvoice']) {
      const { Adapter } = await loadInvoiceClass(spec, dir);
      const invoice = new Adapter({ id: 't1' }, { flat_rate: '0.5' }, { ...CONTEXT, configDir: dir });
      expect(await invoice.cost('north', 'm1.small')).toBe('0.5');
      await invoice.addSection('north');
      await invoice.addLine({ datacenter: 'north', name: 'm1.small', quantity: new Decimal(1), unit: 'hour', rate: new Decimal('0.5'), amount: new Decimal('0.5') });
      expect(await invoice.commit()).toBe('MY-bill-1-1');
    }
  });

  it('loads by package name from node_modules beside the ini: exports map, CommonJS main, scoped names', async () => {
    const dir = userDir();
    const esm = await loadInvoiceClass('acme-erp-invoice:ErpInvoice', dir);
    expect(new esm.Adapter({ id: 't1' }, {}, { ...CONTEXT, configDir: dir }).commit()).toBe('ERP-t1-bill-1');
    expect((await loadInvoiceClass('acme-erp-invoice', dir)).Adapter).toBe(esm.Adapter);
    const cjs = await loadInvoiceClass('@acme/legacy-invoice', dir);
    expect(new cjs.Adapter({ id: 't1' }, {}, { ...CONTEXT, configDir: dir }).cost('north', 'x')).toBe('1.5');
    // From a subdirectory too: node_modules is looked up walking up from the ini's directory.
    const nested = path.join(dir, 'etc', 'artifice');
    writeIn(nested, 'placeholder', '');
    expect((await loadInvoiceClass('acme-erp-invoice:ErpInvoice', nested)).Adapter).toBe(esm.Adapter);
  });

  it('bills the demo month by path: the bill command drives it like a built-in', async () => {
    const dir = userDir();
    const out: string[] = [];
    const code = await bill({ config: demoIni(dir, './my-invoice.mjs:MyInvoice', 'flat_rate = 0.01'), all: true, month: '2024-05', json: true }, deps(dir, out));
    expect(code).toBe(0);
    const bills = JSON.parse(out.join('')).bills as { status: string; invoice: string; lines: unknown[] }[];
    expect(bills).toHaveLength(3);
    for (const b of bills) {
      expect(b.status).toBe('committed');
      expect(b.invoice).toMatch(new RegExp(`^MY-[0-9a-f-]{36}-${b.lines.length}$`));
    }
  });

  describe('one-line errors naming the spec', () => {
    it('a wrong spec: no such file, no such package', async () => {
      const dir = userDir();
      expect(await adapterError('./no-such-file.mjs:MyInvoice', dir)).toContain(`no file ${path.join(dir, 'no-such-file.mjs')}`);
      expect(await adapterError('no-such-adapter-package:Thing', dir)).toContain("no built-in adapter, file or package named 'no-such-adapter-package'");
      expect(await adapterError('./broken.mjs:Broken', dir)).toContain("cannot load module './broken.mjs'");
    });

    it('a missing export names what the module does export', async () => {
      const dir = userDir();
      const message = await adapterError('./my-invoice.mjs:MyInvoices', dir);
      expect(message).toContain("has no export 'MyInvoices'");
      expect(message).toContain('it exports MyInvoice, NoCommit');
      expect(await adapterError('acme-erp-invoice:Erp', dir)).toContain("has no export 'Erp'");
    });

    it('a class without commit', async () => {
      const dir = userDir();
      expect(await adapterError('./my-invoice.mjs:NoCommit', dir)).toContain('NoCommit is not an invoice adapter: it lacks commit');
    });

    it('the bill command stops with that line, exit 2, before billing anything', async () => {
      const dir = userDir();
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['node', 'artifice', 'bill', '--config', demoIni(dir, './my-invoice.mjs:NoCommit', ''), '--all', '--month', '2024-05'], deps(dir, out, err));
      expect(code).toBe(2);
      expect(err.join('')).toBe('artifice: [main] invoice:object = ./my-invoice.mjs:NoCommit: NoCommit is not an invoice adapter: it lacks commit (see INVOICES.md)\n');
      // The run may be recorded (a failed run is not a silent one), but no bill was claimed.
      if (existsSync(path.join(dir, 'ledger.sqlite'))) {
        const ledger = Ledger.open(path.join(dir, 'ledger.sqlite'));
        expect(await ledger.bills()).toEqual([]);
        await ledger.close();
      }
    });
  });
});

describe('the example adapter, invoices/example-markdown', () => {
  it('writes a bill of a tenant id too long for a file name (a hashed, still distinct name)', async () => {
    const { Adapter } = await loadInvoiceClass(`${EXAMPLE}:MarkdownInvoice`, REPO);
    const dir = tempDir();
    writeIn(dir, 'rates.csv', 'datacenter,service,unit,rate\n*,m1.tiny,hour,0.01\n');
    const context = { billId: 'b-1', start: '2024-05-01T00:00:00.000Z', end: '2024-06-01T00:00:00.000Z', currency: 'USD', digits: 2, dryRun: false, revision: 1, configDir: dir };
    const files: string[] = [];
    for (const id of ['a'.repeat(300), `${'a'.repeat(299)}b`]) {
      const invoice = new Adapter({ id }, { rates: 'rates.csv', output_dir: 'md' }, context);
      await invoice.addSection('north');
      await invoice.addLine({ datacenter: 'north', name: 'm1.tiny', quantity: new Decimal(10), unit: 'hour', rate: new Decimal('0.01'), amount: new Decimal('0.10') });
      const file = await invoice.commit();
      expect(Buffer.byteLength(path.basename(file))).toBeLessThanOrEqual(255);
      expect(readFileSync(file, 'utf8')).toContain(id);
      files.push(path.basename(file));
    }
    expect(new Set(files).size).toBe(2);
    expect(readdirSync(path.join(dir, 'md')).sort()).toEqual([...files].sort());
  });

  /** The example reads a datacenter,service,unit,rate file of one price per service: both adapters get one. */
  async function billWith(spec: string, dir: string) {
    const out: string[] = [];
    const rates = writeIn(dir, 'one-price.csv', onePriceRates());
    const code = await bill({ config: demoIni(dir, spec, `rates = ${rates}\noutput_dir = md\ntitle = Demo Cloud`), all: true, month: '2024-05', json: true }, deps(dir, out));
    return { code, bills: JSON.parse(out.join('')).bills as { tenant: string; status: string; total: string; invoice: string }[] };
  }

  it('bills the demo month by path: one Markdown file per bill, totals as the CSV adapter’s', async () => {
    const csvDir = tempDir();
    const csvOut: string[] = [];
    const rates = writeIn(csvDir, 'one-price.csv', onePriceRates());
    await bill({ config: demoIni(csvDir, 'csv', `rates = ${rates}\noutput_dir = out`), all: true, month: '2024-05', json: true }, deps(csvDir, csvOut));
    const csvTotals = Object.fromEntries((JSON.parse(csvOut.join('')).bills as { tenant: string; total: string }[]).map((b) => [b.tenant, b.total]));

    const dir = tempDir();
    const { code, bills } = await billWith(`${path.relative(dir, EXAMPLE)}:MarkdownInvoice`, dir);
    expect(code).toBe(0);
    expect(readdirSync(path.join(dir, 'md')).sort()).toEqual(bills.map((b) => path.basename(b.invoice)).sort());
    for (const b of bills) {
      expect(b.status).toBe('committed');
      expect(b.total).toBe(csvTotals[b.tenant]);
      const text = readFileSync(b.invoice, 'utf8');
      expect(text).toContain('# Demo Cloud: ');
      expect(text).toContain(`**Total: ${b.total} USD**`);
    }
    const acme = readFileSync(bills.find((b) => b.tenant === '20bef52e4e1bf47d0fb39f90e12eb92d')!.invoice, 'utf8');
    expect(acme).toContain('| m1.small | 744 | hour | 0.025 | 18.60 |');
  });

  it('loads as an npm package too (copied into node_modules beside the ini)', async () => {
    const dir = tempDir();
    cpSync(path.dirname(EXAMPLE), path.join(dir, 'node_modules', 'artifice-example-markdown'), { recursive: true });
    const loaded = await loadInvoiceClass('artifice-example-markdown:MarkdownInvoice', dir);
    const rates = writeIn(path.join(dir, 'node_modules'), 'rates.csv', onePriceRates());
    const invoice = new loaded.Adapter({ id: 't1', name: 'T One' }, { rates }, { ...CONTEXT, configDir: dir, dryRun: true });
    expect(await invoice.cost('south', 'm1.small')).toBe('0.022');
    expect(await invoice.cost('north', 'm1.small')).toBe('0.025');
    expect(await invoice.cost('north', 'm9.huge')).toBeUndefined();
    expect(await invoice.commit()).toBe(path.join(dir, 'invoices-md', 't1_20240501T000000Z_20240601T000000Z.md'));
    expect(readdirSync(dir)).toEqual(['node_modules']);
  });

  it('is idempotent: committing the same bill twice leaves one file with the same content', async () => {
    const dir = tempDir();
    const { Adapter } = await loadInvoiceClass(`${EXAMPLE}:MarkdownInvoice`, dir);
    const once = async () => {
      const invoice = new Adapter({ id: 't1' }, { rates: RATES }, { ...CONTEXT, configDir: dir });
      await invoice.addSection('north');
      await invoice.addLine({ datacenter: 'north', name: 'm1.small', quantity: new Decimal('744'), unit: 'hour', rate: new Decimal('0.025'), amount: new Decimal('18.60') });
      return invoice.commit();
    };
    const first = await once();
    const content = readFileSync(first, 'utf8');
    expect(await once()).toBe(first);
    expect(readdirSync(path.dirname(first))).toEqual([path.basename(first)]);
    expect(readFileSync(first, 'utf8')).toBe(content);
  });

  it('file names: ids that used to collide get files of their own, ordinary ids keep theirs, parallel commits of one name all succeed', async () => {
    const dir = tempDir();
    const { Adapter } = await loadInvoiceClass(`${EXAMPLE}:MarkdownInvoice`, dir);
    const commit = async (id: string) => {
      const invoice = new Adapter({ id }, { rates: RATES }, { ...CONTEXT, configDir: dir });
      await invoice.addSection('north');
      await invoice.addLine({ datacenter: 'north', name: 'm1.small', quantity: new Decimal('744'), unit: 'hour', rate: new Decimal('0.025'), amount: new Decimal('18.60') });
      return path.basename(String(await invoice.commit())).replace('_20240501T000000Z_20240601T000000Z.md', '');
    };
    expect([await commit('acme/eu'), await commit('acme_eu'), await commit('acme%2Feu')]).toEqual(['acme%2Feu', 'acme_eu', 'acme%252Feu']);
    expect(await commit('20bef52e4e1bf47d0fb39f90e12eb92d')).toBe('20bef52e4e1bf47d0fb39f90e12eb92d');
    expect(await Promise.all([1, 2, 3].map(() => commit('t1')))).toEqual(['t1', 't1', 't1']);
    expect(readdirSync(path.join(dir, 'invoices-md')).map((f) => f.replace('_20240501T000000Z_20240601T000000Z.md', '')).sort())
      .toEqual(['20bef52e4e1bf47d0fb39f90e12eb92d', 'acme%252Feu', 'acme%2Feu', 'acme_eu', 't1']);
  });

  it('its static validate() stops a run with a broken rates file before the ledger: exit 2, one line, no bill', async () => {
    const dir = tempDir();
    writeIn(dir, 'rates.csv', 'datacenter,service,unit,rate\nnorth,m1.small,hour,cheap\n');
    const errors: string[] = [];
    const code = await main(
      ['node', 'artifice', 'bill', '--config', demoIni(dir, `${EXAMPLE}:MarkdownInvoice`, 'rates = rates.csv'), '--all', '--month', '2024-05'],
      deps(dir, [], errors),
    );
    expect(code).toBe(2);
    expect(errors.join('')).toBe(`artifice: [main] invoice:object = ${EXAMPLE}:MarkdownInvoice: [invoice:object] rates ${path.join(dir, 'rates.csv')} row 2: expected datacenter,service,unit,rate with a decimal rate\n`);
    expect(existsSync(path.join(dir, 'ledger.sqlite'))).toBe(false);
  });

  it('refuses a price list (dates, tenants, tiers) it would price with one rate: the packaged rates file', async () => {
    const dir = tempDir();
    const errors: string[] = [];
    const code = await main(
      ['node', 'artifice', 'bill', '--config', demoIni(dir, `${EXAMPLE}:MarkdownInvoice`, `rates = ${RATES}`), '--all', '--month', '2024-05'],
      deps(dir, [], errors),
    );
    expect(code).toBe(2);
    expect(errors.join('')).toMatch(/^artifice: .*rates .*rates\.csv row \d+: this adapter reads one rate per datacenter and service \(from, until, tenant and tier columns are not supported\); use the built-in csv adapter for price lists\n$/);
    expect(existsSync(path.join(dir, 'ledger.sqlite'))).toBe(false);
  });

  it('a missing rates key is a one-line error at construction', async () => {
    const { Adapter } = await loadInvoiceClass(`${EXAMPLE}:MarkdownInvoice`, tempDir());
    expect(() => new Adapter({ id: 't1' }, {}, { ...CONTEXT })).toThrow(/^\[invoice:object\] rates is required by the example-markdown adapter/);
  });
});

describe('price coverage of an adapter of your own: the optional static priceList()', () => {
  it('its services name the flavors to check, and a rate per another unit than the meters file is a problem', async () => {
    const dir = userDir();
    const config = await loadConfig({ flag: demoIni(dir, './listed.mjs:Listed', ''), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('./listed.mjs:Listed', dir)).Adapter);
    expect(coverage.flavors).toEqual(['m1.small', 'x2.big']);
    expect(coverage.flavorSource).toBe('the price book');
    const row = (datacenter: string, service: string) => coverage.rows.find((r) => r.datacenter === datacenter && r.service === service);
    expect(row('north', 'm1.small')).toEqual({ datacenter: 'north', service: 'm1.small', meter: 'instance', rate: '0.5' });
    expect(row('south', 'x2.big')?.rate).toBe('2');
    expect(row('north', 'x2.big')?.problem).toBe('no price');
    expect(row('north', 'ip.floating')?.rate).toBe('0.01'); // a row without a unit is not checked
    expect(row('north', 'volume.size')).toEqual({
      datacenter: 'north', service: 'volume.size', meter: 'volume.size', rate: null,
      problem: 'price book USD: north/volume.size is priced per gigabyte-month, but its quantity is in gigabyte-hour (config/meters.ini unit); fix the unit column or the rate',
    });
    expect(coverage.ok).toBe(false);
  });

  it('a priceList() that throws leaves the flavors to [flavors] and --flavor; cost() still answers', async () => {
    const dir = userDir();
    writeIn(dir, 'failing.mjs', LISTED_ADAPTER.replace('static priceList(config, setup) {', 'static priceList() { throw new Error(\'price book offline\');'));
    const config = await loadConfig({ flag: demoIni(dir, './failing.mjs:Listed', ''), env: {}, cwd: dir });
    const coverage = await priceCoverage(config, (await loadInvoiceClass('./failing.mjs:Listed', dir)).Adapter);
    expect(coverage.flavors).toEqual([]);
    expect(coverage.flavorSource).toContain('pass --flavor NAME');
    expect(coverage.rows.find((r) => r.service === 'volume.size')?.rate).toBe('0.1');
  });

  it('artifice adapters prints the example adapter’s rates: its flavors, from its rates file', async () => {
    const dir = tempDir();
    const rates = writeIn(dir, 'rates.csv', onePriceRates().replace('*,volume.size,gigabyte-hour,', '*,volume.size,gigabyte-month,'));
    const out: string[] = [];
    const code = await adapters({ config: demoIni(dir, `${EXAMPLE}:MarkdownInvoice`, `rates = rates.csv\noutput_dir = md`) }, deps(dir, out));
    const text = out.join('');
    expect(text).toContain('flavors priced: c1.xlarge, m1.large, m1.medium, m1.small, m1.tiny, m1.xlarge (from rates.csv;');
    expect(text).toMatch(/^m1\.small +0\.025 +0\.022\b/m);
    expect(text).toMatch(/^volume\.size +MISSING +MISSING\b/m);
    expect(text).toContain(`north/volume.size: [invoice:object] rates ${rates}: north/volume.size is priced per gigabyte-month, but its quantity is in gigabyte-hour`);
    expect(code).toBe(2);
    expect(existsSync(path.join(dir, 'md'))).toBe(false);
  });
});

describe('artifice/adapter: what an adapter imports from an installed artifice', () => {
  it('resolves through the package exports; the adapter prices and bills with its helpers (real bin/artifice)', async () => {
    const dir = tempDir();
    // An installed artifice beside the ini, as `npm install artifice` would leave it (a link to this one).
    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(REPO, path.join(dir, 'node_modules', 'artifice'), 'dir');
    writeIn(dir, 'typed.mjs', `
import { AdapterError, Decimal, formatMoney } from 'artifice/adapter';
export class Typed {
  constructor(tenant, config, context) { this.context = context; this.total = new Decimal(0); }
  cost(datacenter, service) {
    if (service === 'x9.none') throw new AdapterError('no x9.none in this cloud');
    return new Decimal('0.01');
  }
  addSection() {}
  addLine(line) { this.total = this.total.plus(line.amount); }
  commit() { return 'typed-' + formatMoney(this.total, this.context.digits); }
}
`);
    const ini = demoIni(dir, './typed.mjs:Typed', '');
    const result = runBin(['adapters', '--config', ini, '--flavor', 'm1.small', '--flavor', 'x9.none'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^m1\.small +0\.01 +0\.01\b/m);
    // The adapter's own AdapterError: its one-line message in the table's list of problems.
    expect(result.stdout).toContain('north/x9.none: no x9.none in this cloud');
    const billed = runBin(['bill', '--config', ini, '--all', '--month', '2024-05', '--json'], { cwd: dir });
    expect(billed.stderr).toBe('');
    expect(billed.code).toBe(0);
    const bills = JSON.parse(billed.stdout).bills as { invoice: string; total: string }[];
    expect(bills.map((b) => b.invoice)).toEqual(bills.map((b) => `typed-${b.total}`));
  });
});
