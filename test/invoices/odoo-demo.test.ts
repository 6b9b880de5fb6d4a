/**
 * The demo month (config/demo/samples.ndjson.gz) billed through the odoo adapter against the
 * fake Odoo, by the real `bill` command: the draft invoices' totals equal the CSV adapter's; a
 * crash between Odoo's create and the ledger's commit, then a second run, leaves exactly one
 * invoice per bill; a create whose answer times out is not made twice.
 */
import os from 'node:os';
import path from 'node:path';
import { billTenants } from '../../src/billing/batch.js';
import type { BillingContext } from '../../src/billing/bill.js';
import { bill } from '../../src/commands/bill.js';
import { status } from '../../src/commands/status.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_HEARTBEAT_MS, type Deps } from '../../src/deps.js';
import { testDeps } from '../helpers/deps.js';
import { Ledger } from '../../src/ledger.js';
import { packageFile } from '../../src/model/paths.js';
import { Secrets } from '../../src/model/secrets.js';
import { monthWindow } from '../../src/period.js';
import { openCollector } from '../../src/telemetry/open.js';
import { OdooInvoice, type Fetch } from '../../invoices/odoo/index.js';
import type { InvoiceConfig, InvoiceContext } from '../../src/invoice/contract.js';
import { FakeOdoo } from '../fakes/odoo-server.js';
import { onePriceRates } from '../helpers/rates.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';
import type { InvoiceTenant } from '../../src/model/types.js';

const SAMPLES = packageFile('config', 'demo', 'samples.ndjson.gz');
const TENANTS = ['12401defeb592084bf8bac1b9fafaa7c', '20bef52e4e1bf47d0fb39f90e12eb92d', 'deee1cf5d038d5669b60a3df605510da'];
/** No process has this pid (pid_max is at most 2^22). */
const DEAD_PID = 99_999_999;

interface JsonBill {
  tenant: string;
  tenant_name?: string;
  status: string;
  total: string | null;
  invoice: string | null;
  lines: { datacenter: string; name: string; amount: string }[];
  error?: string;
}

function ini(dir: string, name: string, invoice: string, invoiceSection: string): string {
  return writeIn(dir, name, `[main]
invoice:object = ${invoice}
database = ${name}.sqlite
timezone = UTC
currency = USD

[telemetry]
backend = file
file = ${SAMPLES}
region = RegionOne

[datacenters]
az-north = north
az-south = south

[invoice:object]
${invoiceSection}
`);
}

function odooSection(fake: FakeOdoo, extra = ''): string {
  return `url = ${fake.url}
database = artifice
user = billing
password = s3cret-pw
product_fallback = {service}
${extra}`;
}

function deps(dir: string, out: string[], pid = 4242): Deps {
  return testDeps({ cwd: dir, now: () => new Date('2024-06-03T00:00:00Z'), stdout: (text) => out.push(text), pid });
}

async function billJson(config: string, dir: string, pid?: number): Promise<{ code: number; bills: JsonBill[] }> {
  const out: string[] = [];
  const code = await bill({ config, all: true, month: '2024-05', json: true }, deps(dir, out, pid));
  return { code, bills: (JSON.parse(out.join('')) as { bills: JsonBill[] }).bills };
}

/** Products mirroring onePriceRates() (`*` rows by service, others `<datacenter>.<service>`). */
async function mirrorRates(fake: FakeOdoo): Promise<void> {
  for (const row of onePriceRates().split('\n').filter((l) => l.trim()).slice(1)) {
    const [datacenter, service, , rate] = row.split(',').map((c) => c.trim()) as [string, string, string, string];
    fake.addProduct(datacenter === '*' ? service : `${datacenter}.${service}`, rate);
  }
}

let fake: FakeOdoo;
let dir: string;
let csvTotals: Map<string, string>;

beforeAll(async () => {
  // The CSV adapter's bill of the same month, same rates: the reference totals.
  const csvDir = tempDir();
  const result = await billJson(ini(csvDir, 'csv.ini', 'csv', `output_dir = out\nrates = ${writeIn(csvDir, 'rates.csv', onePriceRates())}`), csvDir);
  expect(result.code).toBe(0);
  csvTotals = new Map(result.bills.map((b) => [b.tenant, b.total!]));
  expect([...csvTotals.keys()].sort()).toEqual(TENANTS);
});

beforeEach(async () => {
  fake = await FakeOdoo.start();
  await mirrorRates(fake);
  dir = tempDir();
});

afterEach(async () => {
  await fake.close();
});

afterAll(cleanTempDirs);

/** Each invoice's ref (bill id) → amount_untaxed, and the partner's ref (tenant). */
function invoicesByTenant(): Map<string, { ref: string; total: string; sections: string[]; state: string }[]> {
  const partners = new Map(fake.records('res.partner').map((p) => [p.id, String(p.ref)]));
  const out = new Map<string, { ref: string; total: string; sections: string[]; state: string }[]>();
  for (const invoice of fake.invoices()) {
    const tenant = partners.get(invoice.partner_id as number)!;
    const list = out.get(tenant) ?? [];
    list.push({
      ref: String(invoice.ref),
      total: (invoice.amount_untaxed as number).toFixed(2),
      state: String(invoice.state),
      sections: invoice.lines.filter((l) => l.display_type === 'line_section').map((l) => String(l.name)),
    });
    out.set(tenant, list);
  }
  return out;
}

describe('the demo month through the odoo adapter', () => {
  it('makes one draft invoice per tenant whose total equals the CSV adapter’s', async () => {
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake));
    const { code, bills } = await billJson(config, dir);
    expect(bills.map((b) => [b.tenant, b.status, b.error])).toEqual(TENANTS.map((t) => [t, 'committed', undefined]));
    expect(code).toBe(0);
    const invoices = invoicesByTenant();
    const ledger = Ledger.open(path.join(dir, 'odoo.ini.sqlite'));
    try {
      for (const b of bills) {
        const [invoice, ...more] = invoices.get(b.tenant)!;
        expect(more).toEqual([]);
        expect(invoice!.state).toBe('draft');
        expect(invoice!.total).toBe(csvTotals.get(b.tenant));
        expect(b.total).toBe(csvTotals.get(b.tenant));
        expect(invoice!.sections).toEqual([...new Set(b.lines.map((l) => l.datacenter))]);
        const stored = (await ledger.bills({ tenant: b.tenant }))[0]!;
        expect(invoice!.ref).toBe(stored.id);
        expect(stored.reference).toBe(b.invoice);
        expect(b.invoice).toMatch(/^odoo:account\.move:\d+$/);
      }
    } finally {
      await ledger.close();
    }
    expect(fake.records('res.partner').map((p) => p.name).sort()).toEqual(['acme-webshop', 'globex-research', 'initech-labs']);

    // Run again: every window is billed already; nothing new in Odoo.
    const again = await billJson(config, dir);
    expect(again.code).toBe(3);
    expect(fake.invoices()).toHaveLength(3);
  });

  it('status asks Odoo whether each invoice is still there: one deleted and one cancelled are missing', async () => {
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake));
    expect((await billJson(config, dir)).code).toBe(0);
    const statusJson = async () => {
      const out: string[] = [];
      const code = await status({ config, json: true }, deps(dir, out));
      return { code, json: JSON.parse(out.join('')) as { invoices: { checked: boolean; bills: number; missing: { tenant: string }[] } } };
    };
    const before = await statusJson();
    expect(before.json.invoices).toEqual({ checked: true, bills: 3, missing: [] });
    expect(before.code).toBe(0);

    const moves = fake.records('account.move');
    const partners = new Map(fake.records('res.partner').map((p) => [p.id, String(p.ref)]));
    const byTenant = (tenant: string) => moves.findIndex((m) => m.move_type === 'out_invoice' && partners.get(m.partner_id as number) === tenant);
    moves.splice(byTenant(TENANTS[0]!), 1);
    moves[byTenant(TENANTS[2]!)]!.state = 'cancel';
    const after = await statusJson();
    expect(after.json.invoices.missing.map((m) => m.tenant)).toEqual([TENANTS[0], TENANTS[2]]);
    expect(after.code).toBe(1);
  });

  it('a crash between Odoo’s create and the ledger’s commit, then a second run: exactly one invoice per bill', async () => {
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake));
    // Run 1: a process (pid DEAD_PID) whose every invoice create reaches Odoo, and which then
    // never runs another instruction: its bills stay pending in the ledger.
    let created = 0;
    const hung: ((error: Error) => void)[] = [];
    let allCreated!: () => void;
    const creates = new Promise<void>((resolve) => (allCreated = resolve));
    const dying: Fetch = async (input, init) => {
      const response = await globalThis.fetch(input, init);
      if (init.body?.includes('"account.move","create"')) {
        await response.text();
        if (++created === TENANTS.length) allCreated();
        // The process "dies" here: the answer never comes, until the test ends the run (below).
        return new Promise((_, reject) => hung.push(reject));
      }
      return response;
    };
    class Dying extends OdooInvoice {
      constructor(tenant: InvoiceTenant, settings: InvoiceConfig, context: InvoiceContext) {
        super(tenant, settings, context, { fetch: dying });
      }
    }
    const cfg = await loadConfig({ flag: config, env: {}, cwd: dir });
    const secrets = new Secrets();
    const collector = await openCollector(cfg, secrets);
    const ledger1 = Ledger.open(cfg.main.database);
    const window = monthWindow({ year: 2024, month: 5 }, 'UTC');
    const ctx: BillingContext = {
      config: cfg, collector, Adapter: Dying, ledger: ledger1, dryRun: false, now: () => new Date('2024-06-03T00:00:00Z'),
      owner: { host: os.hostname(), pid: DEAD_PID, runId: 'crashed-run' }, heartbeatMs: DEFAULT_HEARTBEAT_MS, secrets,
    };
    const tenants = await collector.tenants(window.start, window.end);
    const dead = billTenants(ctx, tenants, window, { concurrency: TENANTS.length });
    await creates;
    expect(fake.invoices()).toHaveLength(3);
    expect((await ledger1.bills()).map((b) => b.status)).toEqual(['pending', 'pending', 'pending']);
    const pendingIds = (await ledger1.bills()).map((b) => b.id).sort();
    await ledger1.close();
    await collector.close();

    // Run 2, the real command: resumes the three pending bills (their owner is gone) and finds
    // each bill's invoice by its reference instead of creating another.
    const { code, bills } = await billJson(config, dir, 5151);
    expect(bills.map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
    expect(code).toBe(0);
    expect(fake.callsOf('account.move', 'create')).toHaveLength(3);
    const invoices = invoicesByTenant();
    for (const b of bills) {
      expect(invoices.get(b.tenant)).toHaveLength(1);
      expect(invoices.get(b.tenant)![0]!.total).toBe(csvTotals.get(b.tenant));
    }
    const ledger2 = Ledger.open(cfg.main.database);
    try {
      const committed = await ledger2.bills();
      expect(committed.map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
      expect(committed.map((b) => b.id).sort()).toEqual(pendingIds);
      expect(fake.invoices().map((i) => i.ref).sort()).toEqual(pendingIds);
    } finally {
      await ledger2.close();
    }
    // End the "dead" run inside this test: otherwise its hung creates hold HttpClient's 30 s
    // timeout timers, and it wakes up after them (keeping Jest alive, or in a later test file).
    for (const reject of hung.splice(0)) reject(new Error('the process died'));
    await dead;
    expect(fake.callsOf('account.move', 'create')).toHaveLength(3);
  });

  it('a create whose answer times out is found by the retry, not made twice', async () => {
    fake.failCreate('account.move', 'hang', { ms: 4000, times: 3 });
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake, 'timeout = 0.5'));
    const { code, bills } = await billJson(config, dir);
    expect(bills.map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
    expect(code).toBe(0);
    expect(fake.callsOf('account.move', 'create')).toHaveLength(3);
    for (const b of bills) expect(invoicesByTenant().get(b.tenant)!.map((i) => i.total)).toEqual([csvTotals.get(b.tenant)]);
  });

  it('a missing product fails the tenants that use it, naming the product, and creates nothing for them', async () => {
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake).replace('product_fallback = {service}', ''));
    const { code, bills } = await billJson(config, dir);
    expect(code).toBe(1);
    expect(bills.every((b) => b.status === 'failed')).toBe(true);
    expect(bills[0]!.error).toMatch(/no Odoo product for .* none has internal reference '/);
    expect(fake.invoices()).toHaveLength(0);
  });

  it('bad credentials fail every tenant with one line and no password', async () => {
    const config = ini(dir, 'odoo.ini', 'odoo', odooSection(fake).replace('password = s3cret-pw', 'password = not-the-password'));
    const { code, bills } = await billJson(config, dir);
    expect(code).toBe(1);
    for (const b of bills) {
      expect(b.status).toBe('failed');
      expect(b.error).toContain("login refused for user 'billing' on database 'artifice'");
      expect(b.error).not.toContain('not-the-password');
      expect(b.error).not.toContain('\n');
    }
  });
});
