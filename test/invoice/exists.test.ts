/**
 * src/invoice/exists.ts: the adapter's optional static `invoiceExists()`, asked once per
 * committed bill (a few at a time, stopping at the first error), and the file adapters' answer
 * (the file is there, is a file, and is not empty) — for them and the example adapter.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InvoiceClass, InvoiceConfig, InvoiceSetup } from '../../src/invoice/contract.js';
import { findMissingInvoices, invoiceFileExists } from '../../src/invoice/exists.js';
import { loadInvoiceClass } from '../../src/invoice/load.js';
import { packageFile } from '../../src/model/paths.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';

afterEach(cleanTempDirs);

const SETUP: InvoiceSetup = { configDir: '/etc/artifice', currency: 'USD' };

/** An adapter class whose only interesting part is the static `invoiceExists` given. */
function adapterWith(invoiceExists?: (reference: string, config: InvoiceConfig, setup: InvoiceSetup) => unknown): InvoiceClass {
  class Adapter {
    addSection() {}
    addLine() {}
    cost() {
      return '1';
    }
    commit() {
      return 'x';
    }
  }
  if (invoiceExists) Object.assign(Adapter, { invoiceExists });
  return Adapter as unknown as InvoiceClass;
}

const items = (...references: string[]) => references.map((reference, i) => ({ id: i, reference }));

describe('findMissingInvoices', () => {
  it('asks once per item, with the config and setup, and gives the missing ones in input order', async () => {
    const asked: string[] = [];
    const Adapter = adapterWith(async (reference, config, setup) => {
      asked.push(`${reference} ${config.output_dir} ${setup.configDir}`);
      await new Promise((resolve) => setImmediate(resolve));
      return !reference.startsWith('gone');
    });
    const found = await findMissingInvoices(Adapter, items('a', 'gone-1', 'b', 'gone-2', ...Array.from({ length: 20 }, (_, i) => `c${i}`)), { output_dir: 'out' }, SETUP);
    expect(found).toEqual({ kind: 'checked', missing: [{ id: 1, reference: 'gone-1' }, { id: 3, reference: 'gone-2' }] });
    expect(asked).toHaveLength(24);
    expect(new Set(asked).size).toBe(24);
    expect(asked[0]).toBe('a out /etc/artifice');
  });

  it('a few at a time (an ERP is not asked 10 000 times at once)', async () => {
    let active = 0;
    let peak = 0;
    const Adapter = adapterWith(async () => {
      peak = Math.max(peak, ++active);
      await new Promise((resolve) => setTimeout(resolve, 1));
      active--;
      return true;
    });
    await findMissingInvoices(Adapter, items(...Array.from({ length: 40 }, (_, i) => `r${i}`)), {}, SETUP);
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(8);
  });

  it('an adapter without invoiceExists(): unsupported, nothing asked', async () => {
    expect(await findMissingInvoices(adapterWith(), items('a'), {}, SETUP)).toEqual({ kind: 'unsupported' });
  });

  it('invoiceExists() throws: failed, naming the reference, and the other bills are not asked', async () => {
    const asked: string[] = [];
    const Adapter = adapterWith((reference) => {
      asked.push(reference);
      throw new Error('ERP erp.example.com: connection refused\n    at somewhere');
    });
    const found = await findMissingInvoices(Adapter, items(...Array.from({ length: 100 }, (_, i) => `r${i}`)), {}, SETUP);
    expect(found).toEqual({ kind: 'failed', error: 'invoiceExists(r0): ERP erp.example.com: connection refused' });
    expect(asked.length).toBeLessThanOrEqual(8);
  });

  it('an answer that is not true or false cannot be trusted: failed', async () => {
    const found = await findMissingInvoices(adapterWith(() => 'yes'), items('a'), {}, SETUP);
    expect(found).toEqual({ kind: 'failed', error: 'invoiceExists(a): it answered string, not true or false (see INVOICES.md)' });
  });
});

describe('the file adapters (csv, json) and the example adapter', () => {
  /** A directory with a non-empty invoice, an empty one, a directory, and a symlink to the first. */
  function files(): string {
    const dir = tempDir('artifice-exists-');
    mkdirSync(path.join(dir, 'out'));
    writeFileSync(path.join(dir, 'out', 'a.csv'), 'tenant,a\n');
    writeFileSync(path.join(dir, 'out', 'empty.csv'), '');
    mkdirSync(path.join(dir, 'out', 'dir.csv'));
    symlinkSync(path.join(dir, 'out', 'a.csv'), path.join(dir, 'out', 'link.csv'));
    return dir;
  }

  it('invoiceFileExists: a non-empty file (relative to the config dir, or absolute); not a missing, empty or directory one', () => {
    const dir = files();
    expect(invoiceFileExists('out/a.csv', dir)).toBe(true);
    expect(invoiceFileExists(path.join(dir, 'out', 'a.csv'), '/elsewhere')).toBe(true);
    expect(invoiceFileExists('out/link.csv', dir)).toBe(true);
    expect(invoiceFileExists('out/gone.csv', dir)).toBe(false);
    expect(invoiceFileExists('out/empty.csv', dir)).toBe(false);
    expect(invoiceFileExists('out/dir.csv', dir)).toBe(false);
    // A directory on the way is a file now.
    expect(invoiceFileExists('out/a.csv/inner.csv', dir)).toBe(false);
  });

  it.each(['csv', 'json', `${packageFile('invoices', 'example-markdown', 'index.mjs')}:MarkdownInvoice`])('%s implements it', async (spec) => {
    const dir = files();
    const { Adapter } = await loadInvoiceClass(spec, dir);
    const setup = { configDir: dir, currency: 'USD' };
    const exists = (reference: string) => Adapter.invoiceExists!(reference, { rates: 'rates.csv' }, setup);
    expect(await exists(path.join(dir, 'out', 'a.csv'))).toBe(true);
    expect(await exists('out/a.csv')).toBe(true);
    expect(await exists(path.join(dir, 'out', 'gone.csv'))).toBe(false);
    expect(await exists('out/empty.csv')).toBe(false);
    expect(await exists('out/dir.csv')).toBe(false);
  });
});
