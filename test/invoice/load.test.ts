import path from 'node:path';
import { AdapterError } from '../../src/model/errors.js';
import type { Config } from '../../src/config.js';
import { BUILT_IN, loadAdapter, loadInvoiceClass, splitSpec } from '../../src/invoice/load.js';
import CsvInvoice from '../../invoices/csv/index.js';
import JsonInvoice from '../../invoices/json/index.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

/** A plain-JS adapter with the whole contract (it extends nothing). */
const ADAPTER_JS = `
export class MyInvoice {
  constructor(tenant, config, context) { this.tenant = tenant; this.config = config; this.context = context; }
  addSection() {}
  addLine() {}
  cost() { return '0.5'; }
  commit() { return 'MY-' + this.context.billId; }
}
export class NoCommit {
  addSection() {}
  addLine() {}
  cost() { return 1; }
}
export const NotAClass = { addSection() {}, addLine() {}, cost() {}, commit() {} };
export const answer = 42;
export function helper() {}
export default MyInvoice;
`;

afterAll(cleanTempDirs);

async function adapterError(spec: string, dir: string): Promise<AdapterError> {
  try {
    await loadInvoiceClass(spec, dir);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    const message = (error as AdapterError).message;
    expect(message).toContain(`[main] invoice:object = ${spec}`);
    expect(message).not.toContain('\n');
    expect((error as AdapterError).exitCode).toBe(2);
    return error as AdapterError;
  }
  throw new Error(`expected an AdapterError for ${spec}`);
}

describe('splitSpec', () => {
  it('module[:Class], the class after the last colon', () => {
    expect(splitSpec('csv')).toEqual({ module: 'csv', exportName: undefined });
    expect(splitSpec('csv:default')).toEqual({ module: 'csv', exportName: 'default' });
    expect(splitSpec('./my-invoice.mjs:MyInvoice')).toEqual({ module: './my-invoice.mjs', exportName: 'MyInvoice' });
    expect(splitSpec('./my-invoice.mjs:')).toEqual({ module: './my-invoice.mjs', exportName: undefined });
    expect(splitSpec('@acme/artifice-erp:ErpInvoice')).toEqual({ module: '@acme/artifice-erp', exportName: 'ErpInvoice' });
  });

  it('a Windows drive colon is not a class separator', () => {
    expect(splitSpec('C:\\adapters\\erp.mjs')).toEqual({ module: 'C:\\adapters\\erp.mjs', exportName: undefined });
    expect(splitSpec('C:\\adapters\\erp.mjs:Erp')).toEqual({ module: 'C:\\adapters\\erp.mjs', exportName: 'Erp' });
    expect(splitSpec('D:/adapters/erp.mjs')).toEqual({ module: 'D:/adapters/erp.mjs', exportName: undefined });
  });

  it('a one-letter module is a module, and a leading colon leaves the module empty', () => {
    expect(splitSpec('q:Thing')).toEqual({ module: 'q', exportName: 'Thing' });
    expect(splitSpec(':Thing')).toEqual({ module: '', exportName: 'Thing' });
  });
});

describe('built-in adapters', () => {
  const dir = '/nonexistent/etc/artifice';

  it('csv and json are built-ins (odoo is the third)', () => {
    expect(Object.keys(BUILT_IN)).toEqual(expect.arrayContaining(['csv', 'json']));
  });

  it.each([
    ['csv', CsvInvoice],
    ['csv:default', CsvInvoice],
    ['json', JsonInvoice],
    ['json:default', JsonInvoice],
    [' json ', JsonInvoice],
  ])('%p loads the default export', async (spec, expected) => {
    const loaded = await loadInvoiceClass(spec, dir);
    expect(loaded.Adapter).toBe(expected);
    expect(loaded.spec).toBe(spec);
  });

  it('a built-in has no named class export: the error lists what it exports', async () => {
    const error = await adapterError('csv:CsvInvoice', dir);
    expect(error.message).toContain("has no export 'CsvInvoice'");
    expect(error.message).toContain('it exports default');
  });
});

describe('a user adapter file, relative to the ini file', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('artifice-load-');
    writeIn(dir, 'my-invoice.mjs', ADAPTER_JS);
    writeIn(dir, 'adapters/erp.mjs', ADAPTER_JS);
  });

  it('./my-invoice.mjs:MyInvoice', async () => {
    const { Adapter } = await loadInvoiceClass('./my-invoice.mjs:MyInvoice', dir);
    expect(Adapter.name).toBe('MyInvoice');
    const invoice = new Adapter({ id: 't1' }, {}, {
      billId: 'b-1', start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z', currency: 'USD', digits: 2,
      dryRun: false, revision: 1, configDir: dir,
    });
    expect(await invoice.commit()).toBe('MY-b-1');
  });

  it('without a class name: the default export', async () => {
    const { Adapter } = await loadInvoiceClass('./adapters/erp.mjs', dir);
    expect(Adapter.name).toBe('MyInvoice');
  });

  it('an absolute path', async () => {
    const { Adapter } = await loadInvoiceClass(`${path.join(dir, 'my-invoice.mjs')}:MyInvoice`, '/');
    expect(Adapter.name).toBe('MyInvoice');
  });

  it('is resolved against the ini directory, not the working directory', async () => {
    const error = await adapterError('./my-invoice.mjs:MyInvoice', path.join(dir, 'adapters'));
    expect(error.message).toContain(path.join(dir, 'adapters', 'my-invoice.mjs'));
  });

  it('a file that does not exist', async () => {
    const error = await adapterError('./missing.mjs:MyInvoice', dir);
    expect(error.message).toContain(`no file ${path.join(dir, 'missing.mjs')}`);
  });

  it('a missing export lists the classes and functions it does export', async () => {
    const error = await adapterError('./my-invoice.mjs:TheirInvoice', dir);
    expect(error.message).toContain("has no export 'TheirInvoice'");
    expect(error.message).toContain('it exports ');
    for (const name of ['MyInvoice', 'NoCommit', 'helper', 'default']) expect(error.message).toContain(name);
    expect(error.message).not.toContain('answer');
  });

  it('a class without commit', async () => {
    const error = await adapterError('./my-invoice.mjs:NoCommit', dir);
    expect(error.message).toContain('NoCommit is not an invoice adapter: it lacks commit');
  });

  it('a function that is not an adapter lacks every method', async () => {
    const error = await adapterError('./my-invoice.mjs:helper', dir);
    expect(error.message).toContain('it lacks addSection, addLine, cost, commit');
  });

  it('an export that is not a class', async () => {
    expect((await adapterError('./my-invoice.mjs:NotAClass', dir)).message).toContain('NotAClass is not a class (got object)');
    expect((await adapterError('./my-invoice.mjs:answer', dir)).message).toContain('answer is not a class (got number)');
  });

  it('a module that throws while loading is one line naming the module', async () => {
    writeIn(dir, 'broken.mjs', "throw new Error('adapter init failed\\nsecond line');\n");
    const error = await adapterError('./broken.mjs:X', dir);
    expect(error.message).toContain("cannot load module './broken.mjs'");
    expect(error.message).toContain('adapter init failed');
  });
});

describe('a package beside the ini file', () => {
  let root: string;
  let iniDir: string;
  beforeAll(() => {
    root = tempDir('artifice-pkg-');
    iniDir = path.join(root, 'etc', 'artifice');
    writeIn(iniDir, 'artifice.ini', '[main]\n');
    // node_modules one level above the ini dir: found by walking up.
    writeIn(root, 'etc/node_modules/artifice-erp/package.json', JSON.stringify({
      name: 'artifice-erp', type: 'module', exports: { '.': { import: './lib/index.mjs', require: './lib/index.cjs' } },
    }));
    writeIn(root, 'etc/node_modules/artifice-erp/lib/index.mjs', ADAPTER_JS.replace(/MyInvoice/g, 'ErpInvoice'));
    writeIn(root, 'etc/node_modules/@acme/billing/package.json', JSON.stringify({ name: '@acme/billing', type: 'module', exports: './main.mjs' }));
    writeIn(root, 'etc/node_modules/@acme/billing/main.mjs', ADAPTER_JS.replace(/MyInvoice/g, 'AcmeInvoice'));
  });

  it('by package name, through package.json exports (conditional)', async () => {
    const { Adapter } = await loadInvoiceClass('artifice-erp:ErpInvoice', iniDir);
    expect(Adapter.name).toBe('ErpInvoice');
  });

  it('a scoped package, exports as a string, default export', async () => {
    const { Adapter } = await loadInvoiceClass('@acme/billing', iniDir);
    expect(Adapter.name).toBe('AcmeInvoice');
  });

  it('a missing export of a package', async () => {
    const error = await adapterError('artifice-erp:Nope', iniDir);
    expect(error.message).toContain("module 'artifice-erp' has no export 'Nope'");
    expect(error.message).toContain('ErpInvoice');
  });

  it('a package that resolves nowhere', async () => {
    const error = await adapterError('nosuch-artifice-adapter:Thing', iniDir);
    expect(error.message).toContain("no built-in adapter, file or package named 'nosuch-artifice-adapter'");
  });

  it('an empty module', async () => {
    const error = await adapterError(':Thing', iniDir);
    expect(error.message).toContain('empty module');
  });
});

describe('loadAdapter: the adapter\'s own static validate(), before any bill', () => {
  const VALIDATING_JS = `
export class Checked {
  static validate(config, setup) {
    globalThis.__validated = { config, setup };
    if (config.mode === 'plain-error') throw new Error('mode must be live or test\\nsecond line');
  }
  addSection() {}
  addLine() {}
  cost() { return 1; }
  commit() { return 'x'; }
}
export class OddValidate {
  addSection() {}
  addLine() {}
  cost() { return 1; }
  commit() { return 'x'; }
}
OddValidate.validate = 'yes';
`;
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    writeIn(dir, 'checked.mjs', VALIDATING_JS);
  });
  const config = (spec: string, invoice: Record<string, string>) => ({
    main: { invoiceObject: spec, currency: 'EUR' } as Config['main'], dir, invoice,
  });

  it('is called with a copy of [invoice:object] and the setup', async () => {
    const invoice = { mode: 'live' };
    const { Adapter } = await loadAdapter(config('./checked.mjs:Checked', invoice));
    expect(Adapter.name).toBe('Checked');
    const seen = (globalThis as { __validated?: { config: unknown; setup: unknown } }).__validated;
    expect(seen).toEqual({ config: { mode: 'live' }, setup: { configDir: dir, currency: 'EUR', priceGroups: [] } });
    expect(seen!.config).not.toBe(invoice);
  });

  it('a plain Error it throws becomes a one-line AdapterError (exit 2) naming the adapter', async () => {
    const error = await loadAdapter(config('./checked.mjs:Checked', { mode: 'plain-error' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as AdapterError).exitCode).toBe(2);
    expect((error as Error).message).toBe('[main] invoice:object = ./checked.mjs:Checked: mode must be live or test');
  });

  it('a validate that is not a function is refused', async () => {
    await expect(loadAdapter(config('./checked.mjs:OddValidate', {}))).rejects.toThrow('its static validate is not a function');
  });

  it('the built-in csv adapter refuses a rates file that does not parse, an unknown key and an output_dir that is a file', async () => {
    writeIn(dir, 'bad.csv', 'datacenter,service,unit,rate\nnorth,m1.small,hour\n');
    await expect(loadAdapter(config('csv', { rates: 'bad.csv' }))).rejects.toThrow(`rates file ${path.join(dir, 'bad.csv')} row 2: expected 4 columns`);
    await expect(loadAdapter(config('json', { rate: 'x.csv' }))).rejects.toThrow('[invoice:object] rate: not a key of the file adapters; their keys: output_dir, rates');
    await expect(loadAdapter(config('csv', { output_dir: 'checked.mjs' }))).rejects.toThrow('is a file, not a directory');
    await expect(loadAdapter(config('csv', { output_dir: 'not-yet-made' }))).resolves.toMatchObject({ spec: 'csv' });
  });

  it('the built-in odoo adapter refuses a key it does not know, without asking Odoo', async () => {
    await expect(loadAdapter(config('odoo', { url: 'http://127.0.0.1:9', database: 'd', user: 'u', password: 'p', jurnal: '1' })))
      .rejects.toThrow('jurnal: not a key of the odoo adapter');
  });
});
