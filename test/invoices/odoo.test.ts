/**
 * The odoo adapter against a fake Odoo (test/fakes/odoo-server.ts) on 127.0.0.1: prices,
 * invoices, idempotency, retries after a lost answer, errors, old Odoo versions.
 */
import { readFileSync } from 'node:fs';
import { Decimal } from '../../src/model/decimal.js';
import { AdapterError } from '../../src/model/errors.js';
import type { InvoiceContext } from '../../src/invoice/contract.js';
import { adjustmentLines } from '../../src/pricing/adjust.js';
import { priceUsage } from '../../src/pricing/index.js';
import { packageFile } from '../../src/model/paths.js';
import CsvInvoice from '../../invoices/csv/index.js';
import { odooAmount, odooSubtotal, OdooInvoice, parseOdooReference, type Fetch } from '../../invoices/odoo/index.js';
import { FakeOdoo } from '../fakes/odoo-server.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';
import type { InvoiceLine, UsageRecord } from '../../src/model/types.js';

const TENANT = { id: '20bef52e4e1bf47d0fb39f90e12eb92d', name: 'acme-webshop' };
const PASSWORD = 's3cret-pw';

let fake: FakeOdoo;
/** A fetch of its own per test: adapters of one test share one session (login, product cache). */
let fetch: Fetch;

function context(over: Partial<InvoiceContext> = {}): InvoiceContext {
  return {
    billId: 'b0c5a3c2-6f0e-4d55-9d7e-2b1a6a3f0e11', start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z',
    currency: 'USD', digits: 2, dryRun: false, revision: 1, configDir: tempDir(), ...over,
  };
}

function settings(fakeOdoo: FakeOdoo, over: Record<string, string> = {}): Record<string, string> {
  return { url: fakeOdoo.url, database: 'artifice', user: 'billing', password: PASSWORD, product_fallback: '{service}', ...over };
}

function adapter(over: Record<string, string> = {}, ctx: Partial<InvoiceContext> = {}, fakeOdoo = fake): OdooInvoice {
  return new OdooInvoice(TENANT, settings(fakeOdoo, over), context(ctx), { fetch });
}

/**
 * Products that mirror config/rates.csv: `*` rows as `<service>`, others as `<datacenter>.<service>`.
 * An Odoo product has one price: a service's later dated rows (a price change) are left out.
 */
function mirrorRates(target: FakeOdoo): void {
  const text = readFileSync(packageFile('config', 'rates.csv'), 'utf8');
  const added = new Set<string>();
  for (const row of text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).slice(1)) {
    const [datacenter, service, , rate] = row.split(',').map((c) => c.trim()) as [string, string, string, string];
    const code = datacenter === '*' ? service : `${datacenter}.${service}`;
    if (added.has(code)) continue;
    added.add(code);
    target.addProduct(code, rate);
  }
}

function record(datacenter: string, service: string, quantity: string, unit = 'hour'): UsageRecord {
  return { meter: service, resourceId: `${datacenter}-${service}`, service, datacenter, quantity: new Decimal(quantity), unit, samples: 1, firstSample: null, lastSample: null, gaps: [] };
}

/** Usage with awkward quantities in three datacenters, every rate of config/rates.csv. */
const USAGE = [
  record('north', 'm1.small', '743.999722222222'),
  record('north', 'c1.xlarge', '565.832220421389'),
  record('north', 'volume.size', '28969.833668525', 'gigabyte-hour'),
  record('north', 'network.outgoing.bytes', '823.96213', 'gigabyte'),
  record('north', 'network.incoming.bytes', '205.631', 'gigabyte'),
  record('south', 'm1.small', '12.0155'),
  record('south', 'm1.medium', '350.0049'),
  record('south', 'm1.large', '393.997800188611'),
  record('south', 'm1.tiny', '1.015'),
  record('south', 'm1.xlarge', '2.004'),
  // 1.01555 h × 0.32 = 0.324976 → 0.32; Odoo's 1.016 (or 1.02) × 0.32 would be 0.33.
  record('south', 'c1.xlarge', '1.01555'),
  record('RegionOne', 'ip.floating', '1084.833494195'),
  record('RegionOne', 'image.size', '1674.0000001', 'gigabyte-hour'),
  record('RegionOne', 'storage.objects.size', '0.125', 'gigabyte-hour'),
];

/** Sections and lines into an adapter, as src/billing.ts does. */
async function fill(invoice: { addSection(d: string): unknown; addLine(l: InvoiceLine): unknown }, lines: InvoiceLine[]) {
  for (const datacenter of [...new Set(lines.map((l) => l.datacenter))]) await invoice.addSection(datacenter);
  for (const line of lines) await invoice.addLine(line);
}

async function thrown(promise: Promise<unknown> | (() => unknown)): Promise<Error> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

function oneLine(error: Error): string {
  expect(error.message).not.toContain('\n');
  expect(error.message).not.toContain(PASSWORD);
  return error.message;
}

beforeEach(async () => {
  fake = await FakeOdoo.start();
  mirrorRates(fake);
  fetch = (input, init) => globalThis.fetch(input, init);
});

afterEach(async () => {
  await fake.close();
  cleanTempDirs();
});

describe('prices', () => {
  it('cost() is the product list price, by {datacenter}.{service}, else the fallback', async () => {
    const invoice = adapter();
    expect((await invoice.cost('south', 'm1.small')).toString()).toBe('0.022');
    expect((await invoice.cost('north', 'm1.small')).toString()).toBe('0.025');
    expect((await invoice.cost('north', 'volume.size')).toString()).toBe('0.000137');
    expect(invoice.productCodes('north', 'm1.small')).toEqual(['north.m1.small', 'm1.small']);
  });

  it('looks each product up once per run, and logs in once', async () => {
    await adapter().cost('north', 'm1.small');
    await adapter().cost('north', 'm1.small');
    await adapter().cost('RegionOne', 'm1.small');
    const searches = fake.callsOf('product.product', 'search_read').map((c) => (c.args[0] as unknown[][])[0]![2]);
    expect(searches.sort()).toEqual(['RegionOne.m1.small', 'm1.small', 'north.m1.small']);
    expect(fake.calls.filter((c) => c.method === 'authenticate')).toHaveLength(1);
  });

  it('datacenter_map renames the datacenter part of product codes', async () => {
    fake.addProduct('NZ-WLG-1.m1.small', '0.03');
    const invoice = adapter({ datacenter_map: 'north:NZ-WLG-1, south:NZ-AKL-1', product_fallback: '' });
    expect((await invoice.cost('north', 'm1.small')).toString()).toBe('0.03');
    expect(invoice.productCodes('south', 'm1.small')).toEqual(['NZ-AKL-1.m1.small']);
  });

  it('a service without a product is an error naming the product codes it looked for', async () => {
    const error = await thrown(adapter().cost('north', 'm9.huge'));
    expect(error).toBeInstanceOf(AdapterError);
    expect(oneLine(error)).toContain("'north.m9.huge' or 'm9.huge'");
    expect(error.message).toContain('m9.huge in north');
  });

  it('the core turns that error into a failed tenant (priceUsage throws it)', async () => {
    const error = await thrown(priceUsage([record('north', 'm9.huge', '1')], adapter(), { digits: 2, allowUnpriced: false }));
    expect(error.message).toContain("'north.m9.huge'");
  });

  it('two products with the same internal reference are an error', async () => {
    fake.addProduct('m1.tiny', '0.5');
    expect(oneLine(await thrown(adapter().cost('north', 'm1.tiny')))).toContain("more than one product has internal reference 'm1.tiny'");
  });
});

describe('credentials and configuration', () => {
  it('bad credentials: one line naming user, database and server, without the password', async () => {
    const error = await thrown(adapter({ password: 'wrong-password' }).cost('north', 'm1.small'));
    expect(error).toBeInstanceOf(AdapterError);
    const message = oneLine(error);
    expect(message).not.toContain('wrong-password');
    expect(message).toContain("login refused for user 'billing' on database 'artifice'");
    expect(message).toContain(fake.url);
  });

  it('an unknown database is Odoo’s own error, in one line', async () => {
    const message = oneLine(await thrown(adapter({ database: 'nope' }).cost('north', 'm1.small')));
    expect(message).toContain('database "nope" does not exist');
  });

  it('an API key works in place of the password', async () => {
    const invoice = adapter({ password: '', api_key: fake.user.apiKey! });
    expect((await invoice.cost('north', 'm1.small')).toString()).toBe('0.025');
  });

  it('a server that is not Odoo, or not there', async () => {
    expect(oneLine(await thrown(adapter({ url: `${fake.url}/odoo` }).cost('north', 'm1.small')))).toContain('HTTP 404');
    const closed = await FakeOdoo.start();
    await closed.close();
    const message = oneLine(await thrown(adapter({ url: closed.url, retries: '0' }).cost('north', 'm1.small')));
    expect(message).toContain(closed.url);
    expect(message).toMatch(/ECONNREFUSED/);
  });

  it('a proxy error page quoting the password, cut short or escaped, shows none of it', async () => {
    const secret = 'p@ss "w0rd" long enough';
    const bodies = [
      // The password straddles the point where the error detail is cut to 300 characters.
      `${'x'.repeat(295)} ${secret} ${'y'.repeat(50)}`,
      // Quoted inside a JSON string, and URL-encoded, as a debug page echoes a request.
      `bad gateway: {"password": ${JSON.stringify(secret)}} or ${encodeURIComponent(secret)}`,
    ];
    for (const body of bodies) {
      fetch = async () => ({ status: 502, headers: { get: () => null }, text: async () => body });
      const error = await thrown(adapter({ password: secret, retries: '0' }).cost('north', 'm1.small'));
      expect(error.message).toContain('HTTP 502');
      for (const part of [secret.slice(0, 6), JSON.stringify(secret).slice(1, 9), encodeURIComponent(secret).slice(0, 9)]) {
        expect(error.message).not.toContain(part);
      }
    }
  });

  it.each([
    [{ url: '' }, '[invoice:object] url is required'],
    [{ password: '' }, 'password or api_key is required'],
    [{ api_key: 'k' }, 'password and api_key are both set'],
    [{ pasword: 'x' }, "[invoice:object] pasword: not a key of the odoo adapter"],
    [{ product_pattern: '{datacenter}-x' }, 'must contain {service}'],
    [{ product_pattern: '{region}.{service}' }, 'unknown placeholder {region}'],
    [{ datacenter_map: 'north=NZ' }, "'north=NZ' is not datacenter:prefix"],
    [{ version: 'sixteen' }, "version = 'sixteen' is not an Odoo version"],
    [{ timeout: '0' }, 'timeout'],
    [{ timeout: '2147484' }, 'timeout'], // past Node's timer range: it would fire at once
    [{ ca_file: 'no-such-ca.pem' }, '[invoice:object] ca_file: cannot read'],
    [{ insecure: 'maybe' }, "[invoice:object] insecure = 'maybe': use true or false"],
  ])('bad settings %p: %s', async (over, expected) => {
    const error = await thrown(() => adapter(over));
    expect(error).toBeInstanceOf(AdapterError);
    expect(oneLine(error)).toContain(expected);
  });
});

describe('commit', () => {
  async function committed(over: Record<string, string> = {}, ctx: Partial<InvoiceContext> = {}) {
    const invoice = adapter(over, ctx);
    const priced = await priceUsage(USAGE, invoice, { digits: 2, allowUnpriced: false });
    await fill(invoice, priced.lines);
    return { reference: await invoice.commit(), priced };
  }

  it('creates one draft customer invoice: a section per datacenter, a line per service, ref = bill id', async () => {
    const { reference, priced } = await committed();
    const [invoice, ...more] = fake.invoices();
    expect(more).toEqual([]);
    expect(reference).toBe(`odoo:account.move:${invoice!.id}`);
    expect(parseOdooReference(reference)).toEqual({ model: 'account.move', id: invoice!.id });
    expect(invoice).toMatchObject({ move_type: 'out_invoice', state: 'draft', ref: context().billId, invoice_origin: `artifice ${TENANT.id} 2024-05-01T00:00:00Z/2024-06-01T00:00:00Z` });
    const partner = fake.records('res.partner').find((p) => p.id === invoice!.partner_id)!;
    expect(partner).toMatchObject({ name: 'acme-webshop', ref: TENANT.id, customer_rank: 1, is_company: true });
    expect(invoice!.currency_id).toBe(fake.records('res.currency').find((c) => c.name === 'USD')!.id);

    const shape = invoice!.lines.map((l) => (l.display_type === 'line_section' ? `§${l.name}` : String(l.name).split(':')[0]));
    expect(shape).toEqual(['§RegionOne', 'image.size', 'ip.floating', 'storage.objects.size', '§north', 'c1.xlarge', 'm1.small',
      'network.incoming.bytes', 'network.outgoing.bytes', 'volume.size', '§south', 'c1.xlarge', 'm1.large', 'm1.medium', 'm1.small', 'm1.tiny', 'm1.xlarge']);
    const southSmall = invoice!.lines.find((l) => l.name === 'm1.small: 12.0155 hour')!;
    const product = fake.records('product.product').find((p) => p.id === southSmall.product_id)!;
    expect(product.default_code).toBe('south.m1.small');
    expect(southSmall).toMatchObject({ quantity: 12.016, price_unit: 0.022, price_subtotal: 0.26 });
    expect(new Decimal(String(invoice!.amount_untaxed)).toFixed(2)).toBe(priced.total.toFixed(2));
  });

  it('totals equal the CSV adapter’s for the same rates, line by line', async () => {
    const csv = new CsvInvoice(TENANT, { output_dir: tempDir() }, context());
    const byCsv = await priceUsage(USAGE, csv, { digits: 2, allowUnpriced: false });
    const { priced } = await committed();
    const plain = (lines: InvoiceLine[]) => lines.map((l) => `${l.datacenter}/${l.name} ${l.rate.toFixed()} ${l.amount.toFixed(2)}`);
    expect(plain(priced.lines)).toEqual(plain(byCsv.lines));
    const [invoice] = fake.invoices();
    expect(invoice!.amount_untaxed).toBe(byCsv.total.toNumber());
    const odooLines = invoice!.lines.filter((l) => l.display_type !== 'line_section');
    expect(odooLines.map((l) => new Decimal(String(l.price_subtotal)).toFixed(2))).toEqual(byCsv.lines.map((l) => l.amount.toFixed(2)));
  });

  it.each([
    [2, 'quantity steps of 0.01'],
    [0, 'whole quantities only'],
  ])('amounts still equal artifice’s when Odoo keeps %i quantity digits (%s)', async (quantityDigits) => {
    await fake.close();
    fake = await FakeOdoo.start({ quantityDigits });
    mirrorRates(fake);
    const { priced } = await committed();
    const [invoice] = fake.invoices();
    const odooLines = invoice!.lines.filter((l) => l.display_type !== 'line_section');
    expect(odooLines.map((l) => l.price_subtotal)).toEqual(priced.lines.map((l) => l.amount.toNumber()));
    expect(invoice!.amount_untaxed).toBe(priced.total.toNumber());
    // Each line still reads quantity × unit price = amount.
    for (const line of odooLines) {
      expect(new Decimal(String(line.quantity)).times(String(line.price_unit)).toDecimalPlaces(2, Decimal.ROUND_HALF_UP).toNumber()).toBe(line.price_subtotal);
    }
  });

  it('discount and monthly-minimum lines go on their own products, amounts unchanged; a missing one is named', async () => {
    const usage = await priceUsage(USAGE.slice(0, 2), adapter(), { digits: 2, allowUnpriced: false });
    const window = { start: 0, end: 1, label: '2024-05' };
    const bill = { window, currency: 'USD', digits: 2 };
    const lines = [
      ...usage.lines,
      ...adjustmentLines(usage.lines, { discount: { percent: new Decimal(10), key: 'group:partners', label: 'partners' } }, bill),
      ...adjustmentLines(usage.lines, { minimum: { amount: new Decimal(500), key: TENANT.id, label: 'acme-webshop' } }, bill),
    ];
    expect(lines.map((l) => l.basis?.kind)).toEqual(['adapter', 'adapter', 'discount', 'minimum']);

    const missing = adapter();
    await fill(missing, lines);
    expect(oneLine(await thrown(missing.commit()))).toContain(
      "no Odoo product with internal reference 'artifice.discount' for the line 'Discount 10% (price list partners)'",
    );
    expect(fake.invoices()).toEqual([]);

    fake.addProduct('artifice.discount', 0, 'Discount');
    fake.addProduct('credit.min', 0, 'Monthly minimum');
    fetch = (input, init) => globalThis.fetch(input, init); // a new run: a new session, no cached product lookups
    const invoice = adapter({ minimum_product: 'credit.min' });
    await fill(invoice, lines);
    await invoice.commit();
    const made = fake.invoices()[0]!.lines.filter((l) => l.display_type !== 'line_section');
    const codeOf = (id: unknown) => fake.records('product.product').find((p) => p.id === id)!.default_code;
    expect(made.map((l) => [codeOf(l.product_id), l.name, (l.price_subtotal as number).toFixed(2)])).toEqual(
      lines.map((l, i) => [['c1.xlarge', 'm1.small', 'artifice.discount', 'credit.min'][i], i < 2 ? expect.any(String) : l.name, l.amount.toFixed(2)]),
    );
  });

  it('is idempotent: a second commit of the same bill returns the first invoice', async () => {
    const first = await committed();
    const second = await committed();
    expect(second.reference).toBe(first.reference);
    expect(fake.invoices()).toHaveLength(1);
    expect(fake.records('res.partner')).toHaveLength(1);
    expect(fake.callsOf('account.move', 'create')).toHaveLength(1);
  });

  it('another bill id of the same tenant is another invoice (a corrected bill, revision 2)', async () => {
    await committed();
    await committed({}, { billId: 'second-bill', revision: 2 });
    expect(fake.invoices().map((i) => i.ref)).toEqual([context().billId, 'second-bill']);
    expect(fake.invoices()[1]!.invoice_origin).toMatch(/ r2$/);
    expect(fake.records('res.partner')).toHaveLength(1);
  });

  it('reuses the customer whose ref is the tenant id', async () => {
    const existing = fake.insert('res.partner', { name: 'ACME Ltd', ref: TENANT.id, customer_rank: 3 });
    await committed();
    expect(fake.records('res.partner')).toHaveLength(1);
    expect(fake.invoices()[0]!.partner_id).toBe(existing);
  });

  it('partner_create = false: a missing customer is an error', async () => {
    const message = oneLine(await thrown(committed({ partner_create: 'false' })));
    expect(message).toContain(`no Odoo customer with reference (ref) '${TENANT.id}'`);
    expect(fake.invoices()).toHaveLength(0);
  });

  it('retry after a timeout: Odoo stored the invoice but its answer came too late; no second invoice', async () => {
    fake.failCreate('account.move', 'hang', { ms: 3000 });
    const { reference } = await committed({ timeout: '0.3' });
    expect(fake.invoices()).toHaveLength(1);
    expect(reference).toBe(`odoo:account.move:${fake.invoices()[0]!.id}`);
    expect(fake.callsOf('account.move', 'create')).toHaveLength(1);
  });

  it('a create still running in Odoo when it times out (not yet visible to a search) is not sent again: the resumed bill finds it', async () => {
    fake.failCreate('account.move', 'slow', { ms: 1500 });
    const error = await thrown(committed({ timeout: '0.3' }));
    expect(oneLine(error)).toContain('Odoo may still create the account.move');
    expect(fake.callsOf('account.move', 'create')).toHaveLength(1);
    // Odoo finishes the first create; the next run resumes the bill (same bill id) and finds it.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(fake.invoices()).toHaveLength(1);
    const { reference } = await committed({ timeout: '0.3' });
    expect(reference).toBe(`odoo:account.move:${fake.invoices()[0]!.id}`);
    expect(fake.invoices()).toHaveLength(1);
    expect(fake.callsOf('account.move', 'create')).toHaveLength(1);
  });

  it('retry after a dropped connection: no second invoice, nor a second customer', async () => {
    fake.failCreate('res.partner', 'drop');
    fake.failCreate('account.move', 'drop');
    await committed();
    expect(fake.invoices()).toHaveLength(1);
    expect(fake.records('res.partner')).toHaveLength(1);
  });

  it('an invoice of the same tenant and window from a bill that did not finish is not doubled', async () => {
    await committed({}, { billId: 'failed-bill' });
    const message = oneLine(await thrown(committed()));
    expect(message).toContain('made by bill failed-bill, which did not finish');
    expect(fake.invoices()).toHaveLength(1);
  });

  it('journal by code, taxes by name: on the invoice and every line', async () => {
    const gst = fake.addTax('GST 15%', 15);
    const journal = fake.records('account.journal').find((j) => j.code === 'INV')!.id;
    const { priced } = await committed({ journal: 'INV', taxes: 'GST 15%' });
    const [invoice] = fake.invoices();
    expect(invoice!.journal_id).toBe(journal);
    const lines = invoice!.lines.filter((l) => l.display_type !== 'line_section');
    expect(lines.every((l) => JSON.stringify(l.tax_ids) === JSON.stringify([gst]))).toBe(true);
    expect(invoice!.amount_untaxed).toBe(priced.total.toNumber());
    expect(invoice!.amount_tax).toBeGreaterThan(0);
  });

  it('taxes = none sends no taxes; an unknown journal or tax is an error', async () => {
    await committed({ taxes: 'none' });
    expect(fake.invoices()[0]!.lines.every((l) => l.display_type === 'line_section' || JSON.stringify(l.tax_ids) === '[]')).toBe(true);
    expect(oneLine(await thrown(committed({ journal: 'BILL' }, { billId: 'x1', start: '2024-04-01T00:00:00Z', end: '2024-05-01T00:00:00Z' })))).toContain('journal = BILL');
    expect(oneLine(await thrown(committed({ taxes: 'VAT 99%' }, { billId: 'x2', start: '2024-04-01T00:00:00Z', end: '2024-05-01T00:00:00Z' })))).toContain("sales tax named 'VAT 99%'");
  });

  it('an inactive currency is an error naming it', async () => {
    expect(oneLine(await thrown(committed({}, { currency: 'JPY' })))).toContain('no active currency JPY');
  });

  it('a dry run commits nothing', async () => {
    const { reference } = await committed({}, { dryRun: true });
    expect(reference).toBe('odoo:dry-run');
    expect(fake.invoices()).toHaveLength(0);
  });
});

describe('older Odoo', () => {
  it('12.0 (version from common.version): account.invoice, name = bill id, income accounts, sections', async () => {
    await fake.close();
    fake = await FakeOdoo.start({ version: '12.0' });
    mirrorRates(fake);
    const invoice = adapter();
    const priced = await priceUsage(USAGE, invoice, { digits: 2, allowUnpriced: false });
    await fill(invoice, priced.lines);
    const reference = await invoice.commit();
    expect(fake.calls.some((c) => c.service === 'common' && c.method === 'version')).toBe(true);
    const [stored, ...more] = fake.invoices();
    expect(more).toEqual([]);
    expect(reference).toBe(`odoo:account.invoice:${stored!.id}`);
    expect(stored).toMatchObject({ type: 'out_invoice', state: 'draft', name: context().billId });
    expect(fake.records('res.partner')[0]).toMatchObject({ customer: true, ref: TENANT.id });
    const sales = fake.records('account.account').find((a) => a.code === '400000')!.id;
    expect(stored!.lines.filter((l) => l.display_type !== 'line_section').every((l) => l.account_id === sales)).toBe(true);
    expect(stored!.lines.filter((l) => l.display_type === 'line_section').map((l) => l.name)).toEqual(['RegionOne', 'north', 'south']);
    expect(stored!.amount_untaxed).toBe(priced.total.toNumber());
    // Idempotent there too.
    const again = adapter();
    await fill(again, priced.lines);
    await again.cost('north', 'm1.small');
    expect(await again.commit()).toBe(reference);
    expect(fake.invoices()).toHaveLength(1);
  });

  it('13.0: account.move with `type` (move_type came in 14.0)', async () => {
    await fake.close();
    fake = await FakeOdoo.start({ version: '13.0' });
    mirrorRates(fake);
    const invoice = adapter({ version: '13.0' });
    const priced = await priceUsage(USAGE.slice(0, 2), invoice, { digits: 2, allowUnpriced: false });
    await fill(invoice, priced.lines);
    await invoice.commit();
    expect(fake.invoices()[0]).toMatchObject({ type: 'out_invoice', ref: context().billId });
    expect(fake.calls.some((c) => c.service === 'common' && c.method === 'version')).toBe(false);
  });

  it('the fake refuses fields a version does not have (so the tests above can fail)', async () => {
    await fake.close();
    fake = await FakeOdoo.start({ version: '13.0' });
    mirrorRates(fake);
    const invoice = adapter({ version: '16.0' });
    await fill(invoice, (await priceUsage(USAGE.slice(0, 1), invoice, { digits: 2, allowUnpriced: false })).lines);
    expect(oneLine(await thrown(invoice.commit()))).toContain("Invalid field 'move_type' on model 'account.move'");
    expect(fake.invoices()).toHaveLength(0);
  });
});

describe('amounts: Odoo recomputes quantity × price_unit', () => {
  const p = { quantityDigits: 2, priceDigits: 6, currencyDigits: 2 };
  const line = (quantity: string, rate: string, digits = 2) => {
    const q = new Decimal(quantity);
    const r = new Decimal(rate);
    return { quantity: q, rate: r, amount: q.times(r).toDecimalPlaces(digits, Decimal.ROUND_HALF_UP) };
  };

  it('the quantity at Odoo’s precision when that gives artifice’s amount', () => {
    expect(odooAmount(line('743.999722', '0.025'), p)).toEqual({ quantity: new Decimal('744'), priceUnit: new Decimal('0.025'), shape: 'exact' });
  });

  it('else the nearest quantity step that does (1.016 × 0.30: 1.02 → 0.31, 1.01 → 0.30)', () => {
    expect(odooSubtotal(new Decimal('1.016'), new Decimal('0.3'), p).toFixed(2)).toBe('0.31');
    expect(odooAmount(line('1.016', '0.3'), p)).toEqual({ quantity: new Decimal('1.01'), priceUnit: new Decimal('0.3'), shape: 'quantity-adjusted' });
  });

  it('else one unit at the amount (2.004 × 5.00 = 10.02; no quantity at 0.01 steps gives it)', () => {
    expect(odooAmount(line('2.004', '5'), p)).toEqual({ quantity: new Decimal(1), priceUnit: new Decimal('10.02'), shape: 'lump' });
  });

  it('a rate finer than Odoo’s price precision is never sent rounded', () => {
    expect(odooAmount(line('10', '0.0125'), { ...p, priceDigits: 2 })).toEqual({ quantity: new Decimal(1), priceUnit: new Decimal('0.13'), shape: 'lump' });
    expect(odooAmount(line('10', '0.0125', 3), { ...p, priceDigits: 2, currencyDigits: 3 })).toBeUndefined();
  });
});
