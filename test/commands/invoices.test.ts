/**
 * The invoices of committed bills, in `artifice status` and `artifice check`
 * (src/billing/invoices.ts): a committed bill whose invoice was deleted (or emptied) makes status
 * unhealthy (exit 1) and check FAIL its `invoices` item; voided bills and bills recorded empty are
 * not asked about; an adapter without `invoiceExists()` is "not checked", one that cannot answer
 * fails only check.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { InvoicesHealth } from '../../src/billing/invoices.js';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';
import { plan, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const JUNE = new Date('2024-06-10T00:00:00Z');
const MAY = ['--month', '2024-05'];
const MAY_FILE = '_20240501T000000Z_20240601T000000Z.csv';

/** `status --json`: the parts these tests read; `invoices` as src/billing/invoices.ts shapes it. */
interface StatusJson {
  healthy: boolean;
  problems: string[];
  invoices: InvoicesHealth;
}

interface Item {
  name: string;
  ok: boolean;
  detail: string;
}

async function status(cloud: Cloud): Promise<{ code: number; json: StatusJson; text: string }> {
  const json = await run(['status', '--config', cloud.ini, '--json'], { cwd: cloud.dir, now: JUNE });
  const text = await run(['status', '--config', cloud.ini], { cwd: cloud.dir, now: JUNE });
  expect(text.code).toBe(json.code);
  return { code: json.code, json: JSON.parse(json.stdout) as StatusJson, text: text.stdout };
}

async function invoicesItem(cloud: Cloud): Promise<Item> {
  const result = await run(['check', '--config', cloud.ini, '--json'], { cwd: cloud.dir, now: JUNE });
  const items = (JSON.parse(result.stdout) as { items: Item[] }).items.filter((i) => i.name === 'invoices');
  expect(items).toHaveLength(1);
  if (!items[0]!.ok) expect(result.code).toBe(2);
  return items[0]!;
}

/** May billed for `n` tenants with the csv adapter: one invoice file each. */
async function billed(n: number): Promise<Cloud> {
  const cloud = writeCloud(plan(n));
  expect((await run(['bill', '--config', cloud.ini, '--all', ...MAY], { cwd: cloud.dir })).code).toBe(0);
  return cloud;
}

const invoiceOf = (cloud: Cloud, tenant: string) => path.join(cloud.outDir, `${tenant}${MAY_FILE}`);

describe('status and check: every committed bill still has its invoice', () => {
  it('all there: healthy, "all 3 there"; check PASS', async () => {
    const cloud = await billed(3);
    const { code, json, text } = await status(cloud);
    expect(code).toBe(0);
    expect(json.healthy).toBe(true);
    expect(json.invoices).toEqual({ checked: true, bills: 3, missing: [] });
    expect(text).toContain('\ninvoices of committed bills: all 3 there\n');
    expect(await invoicesItem(cloud)).toEqual({ name: 'invoices', ok: true, detail: 'the invoices of all 3 committed bills exist' });
  });

  it('an invoice file deleted, another emptied: unhealthy (exit 1), both listed; check FAILs naming them', async () => {
    const cloud = await billed(3);
    rmSync(invoiceOf(cloud, 'tenant-02'));
    writeFileSync(invoiceOf(cloud, 'tenant-03'), '');
    const { code, json, text } = await status(cloud);
    expect(code).toBe(1);
    expect(json.healthy).toBe(false);
    expect(json.problems).toEqual(['the invoices of 2 committed bills are missing']);
    expect(json.invoices).toEqual({
      checked: true, bills: 3,
      missing: ['tenant-02', 'tenant-03'].map((tenant) => ({
        tenant, tenant_name: `${tenant}-name`, window: '2024-05', bill: expect.stringMatching(/^[0-9a-f-]{36}$/),
        invoice: invoiceOf(cloud, tenant), committed_at: expect.any(String),
      })),
    });
    expect(text).toContain('\ninvoices of committed bills: 2 of 3 missing (restore them, or void the bills and bill them again)\n');
    expect(text).toMatch(new RegExp(`^tenant-02-name \\(tenant-02\\)\\s+2024-05\\s+[0-9a-f]{8}\\s+\\S+\\s+${invoiceOf(cloud, 'tenant-02')}$`, 'm'));
    expect(text).toMatch(/UNHEALTHY: the invoices of 2 committed bills are missing\n$/);
    const item = await invoicesItem(cloud);
    expect(item.ok).toBe(false);
    expect(item.detail).toBe(`2 of 3 committed bills' invoices are missing: tenant-02 2024-05 ${invoiceOf(cloud, 'tenant-02')}; ` +
      `tenant-03 2024-05 ${invoiceOf(cloud, 'tenant-03')}; restore them, or void the bills and bill them again`);
  });

  it('check names the first 3 and counts the others', async () => {
    const cloud = await billed(5);
    for (let i = 1; i <= 5; i++) rmSync(invoiceOf(cloud, `tenant-0${i}`));
    const item = await invoicesItem(cloud);
    expect(item.detail).toMatch(/^5 of 5 committed bills' invoices are missing: tenant-01 2024-05 \S+; tenant-02 2024-05 \S+; tenant-03 2024-05 \S+ and 2 more \(artifice status --json lists them all\); /);
    expect((await status(cloud)).json.problems).toEqual(['the invoices of 5 committed bills are missing']);
  });

  it('a voided bill is history: its missing invoice is not reported', async () => {
    const cloud = await billed(2);
    rmSync(invoiceOf(cloud, 'tenant-02'));
    const voided = await run(['void', '--config', cloud.ini, '--tenant', 'tenant-02', ...MAY, '--reason', 'wrong rate'], { cwd: cloud.dir, now: JUNE });
    expect(voided.code).toBe(0);
    const { json } = await status(cloud);
    expect(json.invoices).toEqual({ checked: true, bills: 1, missing: [] });
    expect(json.problems.join('; ')).not.toContain('invoice');
    expect((await invoicesItem(cloud)).ok).toBe(true);
  });

  it('a bill recorded empty has no invoice to look for', async () => {
    // tenant-02 has telemetry in April only: its May is billed empty (committed, no invoice reference).
    const cloud = writeCloud(plan(2, (t, i) => (i === 2 ? { ...t, from: '2024-04-01T00:00:00Z', to: '2024-04-10T00:00:00Z' } : t)));
    const result = await run(['bill', '--config', cloud.ini, '--tenant', 'tenant-01', '--tenant', 'tenant-02', ...MAY], { cwd: cloud.dir });
    expect(result.stdout).toMatch(/tenant-02.*empty/);
    const { code, json } = await status(cloud);
    expect(json.invoices).toEqual({ checked: true, bills: 1, missing: [] });
    expect(code).toBe(0);
  });
});

describe('adapters that cannot tell', () => {
  /** Adapters for a config switched after billing: only their statics matter to status and check. */
  const ADAPTERS = `
class Base { addSection() {} addLine() {} cost() { return '1'; } commit() { return 'x'; } }
export class NoCheck extends Base {}
export class Down extends Base {
  static invoiceExists() { throw new Error('ERP erp.example.com: connection refused'); }
}
`;

  async function switched(className: string): Promise<Cloud> {
    const cloud = await billed(2);
    rmSync(invoiceOf(cloud, 'tenant-01'));
    writeIn(cloud.dir, 'adapters.mjs', ADAPTERS);
    writeFileSync(cloud.ini, readFileSync(cloud.ini, 'utf8').replace(/^invoice:object = csv$/m, `invoice:object = ./adapters.mjs:${className}`));
    return cloud;
  }

  it('no invoiceExists(): "not checked", which is no failure (status healthy, check PASS)', async () => {
    const cloud = await switched('NoCheck');
    const { code, json, text } = await status(cloud);
    expect(code).toBe(0);
    expect(json.invoices).toEqual({ checked: false, bills: 2, reason: './adapters.mjs:NoCheck has no static invoiceExists() (INVOICES.md)', error: false });
    expect(text).toContain('\ninvoices of committed bills: not checked (2 bills): ./adapters.mjs:NoCheck has no static invoiceExists() (INVOICES.md)\n');
    expect(await invoicesItem(cloud)).toEqual({ name: 'invoices', ok: true, detail: 'not checked: ./adapters.mjs:NoCheck has no static invoiceExists() (INVOICES.md)' });
  });

  it('invoiceExists() throws: status says it could not check (not unhealthy for it); check FAILs with the error', async () => {
    const cloud = await switched('Down');
    const { code, json } = await status(cloud);
    expect(code).toBe(0);
    const reason = `./adapters.mjs:Down: invoiceExists(${invoiceOf(cloud, 'tenant-01')}): ERP erp.example.com: connection refused`;
    expect(json.invoices).toEqual({ checked: false, bills: 2, reason, error: true });
    expect(await invoicesItem(cloud)).toEqual({ name: 'invoices', ok: false, detail: `cannot check: ${reason}` });
  });
});
