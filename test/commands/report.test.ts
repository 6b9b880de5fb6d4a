/** `artifice report` over seven months (test/report/scenario.ts): what it ranks, in --json and on stdout, and bad input. */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/ledger.js';
import { ACME, GLOBEX, INITECH, ledgerBills, run, type Demo } from '../helpers/cli.js';
import { sevenMonths, UMBRELLA, WEB_1 } from '../report/scenario.js';

let d: Demo;

beforeAll(async () => {
  d = await sevenMonths();
});

const report = (args: string[], ini = d.ini) => run(['report', '--config', ini, ...args], { cwd: d.dir });

interface Json {
  months: string[];
  totals: { currency: string; total: string; previous: string }[];
  tenants: { tenant: string; total: string; previous: string | null; median_6: string | null; by_month: Record<string, string | null> }[];
  findings: { rank: number; kind: string; tenant: string; service?: string; factor?: string; gap_hours?: string; resources?: { resource_id: string; meter: string }[]; why: string }[];
}

describe('artifice report', () => {
  it('ranks exactly the missing tenant, the tripled one, the coverage gap and the new service (--json)', async () => {
    const r = await report(['--month', '2024-05', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as Json;
    expect(json.months).toEqual(['2023-11', '2023-12', '2024-01', '2024-02', '2024-03', '2024-04', '2024-05']);
    expect(json.findings.map((f) => [f.rank, f.kind, f.tenant, f.service])).toEqual([
      [1, 'missing', UMBRELLA, undefined],
      [2, 'changed', GLOBEX, undefined],
      [3, 'gap', ACME, undefined],
      [4, 'service-new', ACME, 'm1.large'],
    ]);
    const [, changed, gap] = json.findings;
    expect(Number(changed!.factor)).toBeGreaterThan(2.99);
    expect(Number(changed!.factor)).toBeLessThan(3.01);
    // Six hours without samples, of which the last sample before the hole holds max_gap (1 h).
    expect(Number(gap!.gap_hours)).toBeGreaterThan(4.9);
    expect(Number(gap!.gap_hours)).toBeLessThan(5.2);
    expect(gap!.resources).toEqual([expect.objectContaining({ resource_id: WEB_1, meter: 'instance' })]);
  });

  it('sums the committed bills of the ledger exactly, and takes the median of the six months before', async () => {
    const json = JSON.parse((await report(['--month', '2024-05', '--json'])).stdout) as Json;
    const may = ledgerBills(d.database).filter((b) => b.start_us === Date.UTC(2024, 4, 1) * 1000 && b.status === 'committed');
    expect(may).toHaveLength(3);
    for (const bill of may) expect(json.tenants.find((t) => t.tenant === bill.tenant)?.total).toBe(bill.total);
    const cents = may.reduce((sum, b) => sum + Math.round(Number(b.total) * 100), 0);
    expect(json.totals).toEqual([expect.objectContaining({ currency: 'USD', total: (cents / 100).toFixed(2) })]);
    // initech was billed May's lines × 0.85, 0.9, 1.1, 1, 1.05, 1: the middle two are 1 and 1, so the median is May's total.
    const initech = json.tenants.find((t) => t.tenant === INITECH)!;
    expect(initech.median_6).toBe(initech.total);
    expect(json.tenants.find((t) => t.tenant === UMBRELLA)).toEqual(expect.objectContaining({ total: '0.00', by_month: expect.objectContaining({ '2024-05': null }) }));
  });

  it('shows the same ranking as a table on stdout', async () => {
    const r = await report(['--month', '2024-05']);
    expect(r.code).toBe(0);
    const look = r.stdout.split('\nTotals\n')[0]!.split('\n').filter((line) => /^\s*\d+ /.test(line));
    expect(look.map((line) => line.trim().split(/\s{2,}/).slice(0, 3))).toEqual([
      ['1', 'tenant missing', `umbrella-corp (${UMBRELLA})`],
      ['2', 'total changed', `globex-research (${GLOBEX})`],
      ['3', 'coverage gap', `acme-webshop (${ACME})`],
      ['4', 'new service', `acme-webshop (${ACME})`],
    ]);
    expect(look[1]).toMatch(/×3\.00/);
    expect(r.stdout).toMatch(/^Tenants$/m);
    expect(r.stdout).toMatch(/^Services$/m);
    expect(r.stdout).toMatch(/^Datacenters$/m);
  });

  it('takes the change factor from [report] change_factor', async () => {
    const ini = path.join(d.dir, 'factor4.ini');
    writeFileSync(ini, `${readFileSync(d.ini, 'utf8')}\n[report]\nchange_factor = 4\n`);
    const json = JSON.parse((await report(['--month', '2024-05', '--json'], ini)).stdout) as Json;
    expect(json.findings.map((f) => f.kind)).toEqual(['missing', 'gap', 'service-new']);
    writeFileSync(ini, `${readFileSync(d.ini, 'utf8')}\n[report]\nchange_factor = 1\n`);
    const bad = await report(['--month', '2024-05'], ini);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^artifice: .*\[report\] change_factor = '1' is not valid: use a number above 1.*\n$/);
  });

  it('says so when the month has no bills (exit 3), and when there is no ledger', async () => {
    const r = await report(['--month', '2024-07']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`artifice: the ledger ${d.database} has no bills for 2024-07: nothing to report (artifice history lists what it holds)\n`);
    const ini = path.join(d.dir, 'elsewhere.ini');
    writeFileSync(ini, readFileSync(d.ini, 'utf8').replace(/^database = .*$/m, `database = ${path.join(d.dir, 'none', 'l.sqlite')}`));
    const none = await report(['--month', '2024-05'], ini);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/^artifice: no ledger at .*none\/l\.sqlite yet: nothing has been billed/);
    expect(existsSync(path.join(d.dir, 'none'))).toBe(false);
  });

  it('writes --html, and an unwritable --html path is a one-line error (exit 2)', async () => {
    const ok = await report(['--month', '2024-05', '--html', 'out/report.html', '--json']);
    expect(ok.code).toBe(0);
    expect(readFileSync(path.join(d.dir, 'out', 'report.html'), 'utf8')).toMatch(/^<!DOCTYPE html>[\s\S]*umbrella-corp[\s\S]*<\/html>\n$/);
    for (const [target, why] of [[path.join(d.dir, 'no', 'such', 'dir', 'r.html'), 'its directory does not exist'], [d.dir, 'it is a directory']] as const) {
      const r = await report(['--month', '2024-05', '--html', target]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`artifice: --html ${target}: cannot write the report there: ${why}; give a writable file path\n`);
    }
    expect(readdirSync(d.dir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('reads a ledger written by an older schema version, and refuses a newer one clearly', async () => {
    // Version 1, written by hand as the first release did (no later migration applied).
    const old = path.join(d.dir, 'old', 'ledger.sqlite');
    mkdirSync(path.dirname(old));
    const db = new Database(old);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare(`INSERT INTO bills (id, tenant, tenant_name, start_us, end_us, status, revision, total, currency, created_at)
      VALUES ('b1', 't1', 'old-tenant', ?, ?, 'committed', 1, '12.50', 'USD', '2024-06-02T00:00:00Z')`).run(Date.UTC(2024, 4, 1) * 1000, Date.UTC(2024, 5, 1) * 1000);
    db.prepare(`INSERT INTO lines VALUES ('b1', 0, 'north', 'm1.small', '500', 'hour', '0.025', '12.50')`).run();
    db.close();
    const ini = path.join(d.dir, 'old.ini');
    writeFileSync(ini, readFileSync(d.ini, 'utf8').replace(/^database = .*$/m, `database = ${old}`));
    const json = JSON.parse((await report(['--month', '2024-05', '--json'], ini)).stdout) as Json & { services: { service: string; total: string }[] };
    expect(json.totals[0]!.total).toBe('12.50');
    expect(json.services).toEqual([expect.objectContaining({ service: 'm1.small', total: '12.50' })]);
    expect(json.findings.map((f) => f.kind)).toEqual(['new-tenant']);

    const newer = path.join(d.dir, 'newer.sqlite');
    copyFileSync(old, newer);
    const n = new Database(newer);
    n.pragma('user_version = 99');
    n.close();
    writeFileSync(ini, readFileSync(d.ini, 'utf8').replace(/^database = .*$/m, `database = ${newer}`));
    const r = await report(['--month', '2024-05'], ini);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^artifice: ledger .*newer\.sqlite has schema version 99, newer than this artifice understands \(\d+\): upgrade artifice\n$/);
  });
});

describe('bill with [main] report_html', () => {
  it('writes the page of the month it billed after the run', async () => {
    const { demo } = await import('../helpers/cli.js');
    const fresh = demo((text) => text.replace(/^\[main\]$/m, '[main]\nreport_html = out/month.html'));
    const r = await run(['bill', '--config', fresh.ini, '--tenant', INITECH, '--month', '2024-05', '--quiet'], { cwd: fresh.dir });
    expect(r.code).toBe(0);
    const html = readFileSync(path.join(fresh.dir, 'out', 'month.html'), 'utf8');
    expect(html).toContain('<h1>Billing report 2024-05</h1>');
    expect(html).toContain('initech-labs');
  });

  it('says so on stderr (--quiet too), and keeps the bills and the exit code, when the page cannot be written', async () => {
    const { demo } = await import('../helpers/cli.js');
    const fresh = demo((text) => text.replace(/^\[main\]$/m, '[main]\nreport_html = no/such/dir/month.html'));
    const r = await run(['bill', '--config', fresh.ini, '--tenant', INITECH, '--month', '2024-05', '--quiet'], { cwd: fresh.dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`error: [main] report_html ${path.join(fresh.dir, 'no', 'such', 'dir', 'month.html')}: cannot write the report there: its directory does not exist; give a writable file path\n`);
    expect(ledgerBills(fresh.database).map((b) => b.status)).toEqual(['committed']);
  });
});
