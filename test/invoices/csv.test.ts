import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AdapterError } from '../../src/model/errors.js';
import CsvInvoice from '../../invoices/csv/index.js';
import { bill, context, line, LINES } from '../helpers/invoice.js';
import { cleanTempDirs, filesIn, tempDir, writeIn } from '../helpers/tmp.js';

const TENANT = { id: '20bef52e4e1bf47d0fb39f90e12eb92d', name: 'acme-webshop' };
const NAME = '20bef52e4e1bf47d0fb39f90e12eb92d_20240501T000000Z_20240601T000000Z.csv';

/** What LINES render to, written out by hand. */
const EXPECTED = [
  'tenant,20bef52e4e1bf47d0fb39f90e12eb92d,acme-webshop',
  'bill,bill-0001',
  'window,2024-05-01T00:00:00Z,2024-06-01T00:00:00Z',
  'currency,USD',
  '',
  'datacenter,service,quantity,unit,rate,amount',
  'north,m1.small,744,hour,0.025,18.60',
  'north,volume.size,74400,gigabyte-hour,0.000137,10.19',
  'north,subtotal,,,,28.79',
  'south,m1.large,10.5,hour,0.1,1.05',
  'south,network.outgoing.bytes,1.370282,gigabyte,0.09,0.12',
  'south,subtotal,,,,1.17',
  'total,,,,,29.96',
  '',
].join('\n');

let dir: string;
beforeEach(() => {
  dir = tempDir('artifice-csv-');
});
afterEach(cleanTempDirs);

describe('csv: commit', () => {
  it('writes <tenant>_<start>_<end>.csv under output_dir (relative to the ini dir) with sections, subtotals and total', async () => {
    const { reference } = await bill(CsvInvoice, TENANT, { output_dir: 'out/invoices' }, context(dir));
    const outDir = path.join(dir, 'out', 'invoices');
    expect(reference).toBe(path.join(outDir, NAME));
    expect(filesIn(outDir)).toEqual([NAME]);
    expect(readFileSync(reference, 'utf8')).toBe(EXPECTED);
  });

  it('output_dir defaults to `output` beside the ini file', async () => {
    const { reference } = await bill(CsvInvoice, TENANT, {}, context(dir));
    expect(reference).toBe(path.join(dir, 'output', NAME));
  });

  it('is idempotent: a second commit of the same bill rewrites the same file with the same content', async () => {
    const first = await bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir));
    const before = readFileSync(first.reference, 'utf8');
    // A resumed bill: a new adapter instance, the same bill id and window.
    const second = await bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir));
    expect(second.reference).toBe(first.reference);
    expect(readFileSync(second.reference, 'utf8')).toBe(before);
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME]); // no second invoice, no temp file
  });

  it('replaces a stale or half-written file at the same path whole', async () => {
    writeIn(dir, `out/${NAME}`, 'garbage from a crashed writer');
    const { reference } = await bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir));
    expect(readFileSync(reference, 'utf8')).toBe(EXPECTED);
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME]);
  });

  it('revision 2 gets _r2', async () => {
    const { reference } = await bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir, { revision: 2, billId: 'bill-0002' }));
    expect(path.basename(reference)).toBe('20bef52e4e1bf47d0fb39f90e12eb92d_20240501T000000Z_20240601T000000Z_r2.csv');
  });

  it('a window that is not a month, and an unsafe tenant id, still give a safe, distinct name', async () => {
    const { reference } = await bill(CsvInvoice, { id: '../a b/c' }, { output_dir: 'out' }, context(dir, {
      start: '2024-05-10T07:00:00Z', end: '2024-05-20T00:00:00Z',
    }));
    expect(path.dirname(reference)).toBe(path.join(dir, 'out'));
    expect(path.basename(reference)).toBe('..%2Fa%20b%2Fc_20240510T070000Z_20240520T000000Z.csv');
  });

  it('ids that used to share a file name (every other byte was _) get files of their own', async () => {
    // `%` is encoded too, so acme%2Feu cannot pass for the encoding of acme/eu; é is its UTF-8 bytes.
    const ids = ['acme/eu', 'acme_eu', 'acme eu', 'acme%2Feu', 'acmé_eu'];
    const references = [];
    for (const id of ids) references.push((await bill(CsvInvoice, { id }, { output_dir: 'out' }, context(dir))).reference);
    expect(references.map((file) => path.basename(file).replace('_20240501T000000Z_20240601T000000Z.csv', ''))).toEqual([
      'acme%2Feu', 'acme_eu', 'acme%20eu', 'acme%252Feu', 'acm%C3%A9_eu',
    ]);
    expect(filesIn(path.join(dir, 'out'))).toHaveLength(ids.length);
    expect(readFileSync(references[0]!, 'utf8')).toContain('tenant,acme/eu,');
  });

  it('an ordinary id (hex, a UUID with dashes, dots and underscores) is the file name as it always was', () => {
    for (const id of [TENANT.id, '3f2b1c9e-7d4a-4b8e-9f1a-2c3d4e5f6a7b', 'legacy_tenant.v2']) {
      expect(new CsvInvoice({ id }, {}, context(dir)).fileName()).toBe(`${id}_20240501T000000Z_20240601T000000Z.csv`);
    }
  });

  it('two commits of one file name at once both succeed: each writes a temp file of its own', async () => {
    const results = await Promise.all([1, 2, 3].map(() => bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir))));
    expect(results.map((r) => r.reference)).toEqual(Array(3).fill(path.join(dir, 'out', NAME)));
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME]);
    expect(readFileSync(path.join(dir, 'out', NAME), 'utf8')).toBe(EXPECTED);
  });

  it('dry run returns the path it would write and writes nothing', async () => {
    const { reference } = await bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir, { dryRun: true }));
    expect(reference).toBe(path.join(dir, 'out', NAME));
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it('quotes cells that hold commas or quotes', async () => {
    const { reference } = await bill(CsvInvoice, { id: 't1', name: 'Acme, "Ltd"' }, { output_dir: 'out' }, context(dir), [
      line('north', 'm1.small', '1', 'hour', '0.025', '0.03'),
    ]);
    expect(readFileSync(reference, 'utf8').split('\n')[0]).toBe('tenant,t1,"Acme, ""Ltd"""');
  });

  it('neutralises text cells a spreadsheet would run as a formula (OWASP), and keeps negative amounts numbers', async () => {
    const { reference } = await bill(CsvInvoice, { id: '@t1', name: '=HYPERLINK("http://x","y")' }, { output_dir: 'out' }, context(dir), [
      line('+dc', '-m1.small', '2', '\thour', '0.5', '1'),
      line('+dc', 'refund', '1', '\rhour', '-1.5', '-1.5'),
    ]);
    expect(readFileSync(reference, 'utf8').split('\n')).toEqual([
      `tenant,'@t1,"'=HYPERLINK(""http://x"",""y"")"`,
      'bill,bill-0001', 'window,2024-05-01T00:00:00Z,2024-06-01T00:00:00Z', 'currency,USD', '',
      'datacenter,service,quantity,unit,rate,amount',
      `'+dc,'-m1.small,2,'\thour,0.5,1.00`,
      `'+dc,refund,1,"'\rhour",-1.5,-1.50`,
      `'+dc,subtotal,,,,-0.50`,
      'total,,,,,-0.50',
      '',
    ]);
  });

  it('a bill without a name and with another currency and digits', async () => {
    const { reference } = await bill(CsvInvoice, { id: 't1' }, { output_dir: 'out' }, context(dir, { currency: 'KWD', digits: 3 }), [
      line('dc', 'm1.small', '1', 'hour', '0.0125', '0.013'),
    ]);
    expect(readFileSync(reference, 'utf8')).toBe(
      [
        'tenant,t1,', 'bill,bill-0001', 'window,2024-05-01T00:00:00Z,2024-06-01T00:00:00Z', 'currency,KWD', '',
        'datacenter,service,quantity,unit,rate,amount', 'dc,m1.small,1,hour,0.0125,0.013', 'dc,subtotal,,,,0.013', 'total,,,,,0.013', '',
      ].join('\n'),
    );
  });

  it('a commit that cannot write is an AdapterError naming the file, and leaves no temp file', async () => {
    // The invoice path is taken by a directory: the rename fails after the temp file was written.
    mkdirSync(path.join(dir, 'out', NAME), { recursive: true });
    const failing = bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir));
    await expect(failing).rejects.toThrow(AdapterError);
    await expect(bill(CsvInvoice, TENANT, { output_dir: 'out' }, context(dir))).rejects.toThrow(`cannot write invoice ${path.join(dir, 'out', NAME)}`);
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME]);
  });

  it('an output_dir that cannot be created is an AdapterError', async () => {
    if (process.getuid?.() === 0) return; // root ignores permissions
    mkdirSync(path.join(dir, 'locked'));
    chmodSync(path.join(dir, 'locked'), 0o500);
    try {
      await expect(bill(CsvInvoice, TENANT, { output_dir: 'locked/out' }, context(dir))).rejects.toThrow(AdapterError);
    } finally {
      chmodSync(path.join(dir, 'locked'), 0o700);
    }
  });
});

describe('csv: validate() refuses an output_dir that can never be written, and creates nothing', () => {
  const setup = () => ({ configDir: dir, currency: 'USD' });

  it('a path under a file (/dev/null/inv) names the key, the path and the file in the way', async () => {
    await expect(CsvInvoice.validate({ output_dir: '/dev/null/inv' }, setup())).rejects.toThrow(
      '[invoice:object] output_dir: /dev/null/inv cannot be created: /dev/null is not a directory; name a directory for the invoices',
    );
    writeIn(dir, 'notes.txt', 'x');
    await expect(CsvInvoice.validate({ output_dir: 'notes.txt/a/b' }, setup())).rejects.toThrow(AdapterError);
    await expect(CsvInvoice.validate({ output_dir: 'notes.txt/a/b' }, setup())).rejects.toThrow(`${path.join(dir, 'notes.txt')} is not a directory`);
    await expect(CsvInvoice.validate({ output_dir: 'notes.txt' }, setup())).rejects.toThrow('is a file, not a directory');
  });

  it('a directory that does not exist yet is fine, and is not created', async () => {
    await expect(CsvInvoice.validate({ output_dir: 'not/yet/made' }, setup())).resolves.toBeUndefined();
    expect(filesIn(dir)).toEqual([]);
  });

  it('a nearest existing directory this user may not write in is refused', async () => {
    if (process.getuid?.() === 0) return; // root ignores permissions
    mkdirSync(path.join(dir, 'locked'));
    chmodSync(path.join(dir, 'locked'), 0o500);
    try {
      await expect(CsvInvoice.validate({ output_dir: 'locked/out' }, setup())).rejects.toThrow(
        `[invoice:object] output_dir: ${path.join(dir, 'locked', 'out')} (its nearest existing directory ${path.join(dir, 'locked')}) is not writable`,
      );
      await expect(CsvInvoice.validate({ output_dir: 'locked' }, setup())).rejects.toThrow('is not writable');
    } finally {
      chmodSync(path.join(dir, 'locked'), 0o700);
    }
  });
});

describe('csv: lines and prices', () => {
  it('a line for a datacenter without a section is an AdapterError', () => {
    const invoice = new CsvInvoice(TENANT, {}, context(dir));
    expect(() => invoice.addLine(LINES[0]!)).toThrow(AdapterError);
    expect(() => invoice.addLine(LINES[0]!)).toThrow('north');
  });

  it('cost() reads the rates file named by [invoice:object] rates, relative to the ini dir', async () => {
    writeIn(dir, 'conf/rates.csv', 'datacenter,service,unit,rate\n*,m1.small,hour,0.03\nsouth,m1.small,hour,0.02\n');
    const invoice = new CsvInvoice(TENANT, { rates: 'conf/rates.csv' }, context(dir));
    expect((await invoice.cost('north', 'm1.small'))?.toString()).toBe('0.03');
    expect((await invoice.cost('south', 'm1.small'))?.toString()).toBe('0.02');
    expect(await invoice.cost('south', 'm1.huge')).toBeUndefined();
  });

  it('cost() defaults to the packaged config/rates.csv', async () => {
    const invoice = new CsvInvoice(TENANT, {}, context(dir));
    expect((await invoice.cost('north', 'm1.small'))?.toString()).toBe('0.025');
    expect((await invoice.cost('south', 'm1.small'))?.toString()).toBe('0.022');
  });

  it('a rate per another unit than the line is refused at addLine, naming the pair and both units', async () => {
    const rates = writeIn(dir, 'month.csv', 'datacenter,service,unit,rate\n*,volume.size,gigabyte-month,0.10\n*,m1.small,hour,0.03\n*,m1.tiny,,0.01\n');
    const invoice = new CsvInvoice(TENANT, { rates: 'month.csv' }, context(dir));
    invoice.addSection('north');
    expect((await invoice.cost('north', 'volume.size'))?.toString()).toBe('0.1');
    expect(() => invoice.addLine(line('north', 'volume.size', '744', 'gigabyte-hour', '0.1', '74.4'))).toThrow(
      `rates file ${rates}: north/volume.size is priced per gigabyte-month, but its quantity is in gigabyte-hour (config/meters.ini unit); fix the unit column or the rate`,
    );
    // Matching units, and a row that leaves the unit empty, are taken as they are.
    await invoice.cost('north', 'm1.small');
    expect(() => invoice.addLine(line('north', 'm1.small', '1', 'hour', '0.03', '0.03'))).not.toThrow();
    expect(() => invoice.addLine(line('north', 'm1.tiny', '1', 'hour', '0.01', '0.01'))).not.toThrow();
  });

  it('a bad rates file fails cost() with the file and row', async () => {
    writeIn(dir, 'bad.csv', 'datacenter,service,unit,rate\n*,m1.small,hour,free\n');
    const invoice = new CsvInvoice(TENANT, { rates: 'bad.csv' }, context(dir));
    await expect(invoice.cost('north', 'm1.small')).rejects.toThrow(`rates file ${path.join(dir, 'bad.csv')} row 2`);
  });
});
