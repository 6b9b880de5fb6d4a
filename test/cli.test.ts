/**
 * End to end: `main(argv, deps)` on the demo month, and a few runs of the real bin/artifice.
 * Expected lines and totals are the demo's documented usage (config/demo/README.md) priced by
 * hand with config/rates.csv, not values read back from the code under test.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ACME, BIN, demo, expectOneLine, GLOBEX, INITECH, ledgerBills, ledgerCount, MAY_SUFFIX, run, runBin, type Demo,
} from './helpers/cli.js';
import { cleanTempDirs, filesIn, writeIn } from './helpers/tmp.js';

afterAll(cleanTempDirs);

const MONTH = ['--month', '2024-05'];

/** [datacenter, service, quantity (≈ within tolerance), unit, rate, amount]. */
type Expected = [string, string, number, string, string, string];

/** A tolerance of 0.01 covers the few seconds of per-sample jitter the demo README marks "≈". */
const EXPECTED: Record<string, { name: string; total: string; lines: Expected[] }> = {
  [ACME]: {
    name: 'acme-webshop',
    // 204.34 before its price list's discount: 10 % of each section (config/demo/artifice.ini), −20.44.
    total: '183.90',
    lines: [
      ['RegionOne', 'ip.floating', 744, 'hour', '0.005', '3.72'],
      ['north', 'm1.small', 744, 'hour', '0.025', '18.60'],
      ['north', 'network.incoming.bytes', 205.631, 'gigabyte', '0', '0.00'],
      ['north', 'network.outgoing.bytes', 823.962, 'gigabyte', '0.09', '74.16'], // 74.15658
      ['south', 'm1.large', 744, 'hour', '0.1', '74.40'],
      ['south', 'network.incoming.bytes', 82.863, 'gigabyte', '0', '0.00'],
      ['south', 'network.outgoing.bytes', 123.813, 'gigabyte', '0.09', '11.14'], // 11.14317
      ['south', 'volume.size.ssd', 74400, 'gigabyte-hour', '0.0003', '22.32'], // 74400 × 0.0003
      ['RegionOne', 'Discount 10% (price list partners)', 3.72, 'USD', '-0.1', '-0.37'], // −0.372
      ['north', 'Discount 10% (price list partners)', 92.76, 'USD', '-0.1', '-9.28'], // −9.276
      ['south', 'Discount 10% (price list partners)', 107.86, 'USD', '-0.1', '-10.79'], // −10.786
    ],
  },
  [GLOBEX]: {
    name: 'globex-research',
    total: '248.00',
    lines: [
      ['RegionOne', 'ip.floating', 744 + 340.83, 'hour', '0.005', '5.42'], // 5.42415
      ['north', 'c1.xlarge', 565.83, 'hour', '0.32', '181.07'], // 181.0656
      // scratch, retyped hdd → ssd at its first sample of 05-18 (00:00:19.97): 50 GB × 336 h less 19.97 s.
      ['north', 'volume.size.hdd', 12170.11, 'gigabyte-hour', '0.000137', '1.67'], // 1.66731
      ['north', 'volume.size.ssd', 16799.72, 'gigabyte-hour', '0.0003', '5.04'], // 5.03992
      ['south', 'm1.large', 394.0, 'hour', '0.1', '39.40'],
      ['south', 'm1.medium', 350.0, 'hour', '0.044', '15.40'], // the south rate
    ],
  },
  [INITECH]: {
    name: 'initech-labs',
    // 34.79 at one image.size rate; config/rates.csv raises it on 15 May: 0.07 + 0.11 instead of 0.15.
    total: '34.82',
    lines: [
      // 2.25 GB × 336 h (1–15 May) = 756 GB-h × 0.00009 = 0.06804; × 408 h (15 May–1 June) = 918 × 0.00012 = 0.11016
      ['RegionOne', 'image.size', 756, 'gigabyte-hour', '0.00009', '0.07'],
      ['RegionOne', 'image.size', 918, 'gigabyte-hour', '0.00012', '0.11'],
      ['RegionOne', 'ip.floating', 744, 'hour', '0.005', '3.72'],
      ['north', 'm1.tiny', 744, 'hour', '0.0125', '9.30'],
      ['north', 'network.incoming.bytes', 2.747, 'gigabyte', '0', '0.00'],
      ['north', 'network.outgoing.bytes', 1.37, 'gigabyte', '0.09', '0.12'], // 0.1233
      // 465.51 h, not 466.51: the forged `tenant-posted` sample is not trusted.
      ['south', 'm1.medium', 465.51, 'hour', '0.044', '20.48'],
      // ci-cache reports no volume type: the fallback of {volume_type|standard}.
      ['south', 'volume.size.standard', 7440, 'gigabyte-hour', '0.000137', '1.02'], // 1.01928
    ],
  },
};

const invoiceName = (tenant: string, revision = 1) => `${tenant}${MAY_SUFFIX}${revision > 1 ? `_r${revision}` : ''}.csv`;
const ALL_INVOICES = [invoiceName(GLOBEX), invoiceName(ACME), invoiceName(INITECH)].sort();

interface JsonLine { datacenter: string; name: string; quantity: string; unit: string; rate: string; amount: string }
interface JsonBill {
  tenant: string; tenant_name?: string; start: string; end: string; status: string; total: string | null;
  currency: string; invoice: string | null; lines: JsonLine[]; error?: string; reason?: string;
}

const DESIGN_KEYS = ['tenant', 'start', 'end', 'status', 'total', 'currency', 'invoice', 'lines'];
/** Keys the implementation adds when they apply (README documents reason and error). */
const OPTIONAL_KEYS = ['tenant_name', 'error', 'reason', 'bill', 'resumed', 'explain'];

function parseBills(stdout: string): JsonBill[] {
  const parsed = JSON.parse(stdout) as { bills: JsonBill[] };
  // docs/architecture.md, "Stable interfaces": one object with `bills` (further top-level keys, such as a summary, are additions).
  expect(Object.keys(parsed)[0]).toBe('bills');
  expect(Array.isArray(parsed.bills)).toBe(true);
  return parsed.bills;
}

/** Checks one bill of `bill --json`/`usage --json` against docs/architecture.md, "Stable interfaces" and the hand-priced demo. */
function expectDemoBill(b: JsonBill, status: string): void {
  const expected = EXPECTED[b.tenant];
  expect(expected).toBeDefined();
  // docs/architecture.md, "Stable interfaces" keys, in order; anything else must be one of the optional additions.
  expect(Object.keys(b).filter((k) => DESIGN_KEYS.includes(k))).toEqual(DESIGN_KEYS);
  expect(Object.keys(b).filter((k) => !DESIGN_KEYS.includes(k) && !OPTIONAL_KEYS.includes(k))).toEqual([]);
  if ('tenant_name' in b) expect(b.tenant_name).toBe(expected!.name);
  expect(b.start).toBe('2024-05-01T00:00:00Z');
  expect(b.end).toBe('2024-06-01T00:00:00Z');
  expect(b.status).toBe(status);
  expect(b.total).toBe(expected!.total);
  expect(b.currency).toBe('USD');
  expect(b.lines.map((l) => [l.datacenter, l.name, l.unit, l.rate, l.amount])).toEqual(
    expected!.lines.map(([dc, name, , unit, rate, amount]) => [dc, name, unit, rate, amount]),
  );
  b.lines.forEach((l, i) => {
    expect(Object.keys(l)).toEqual(['datacenter', 'name', 'quantity', 'unit', 'rate', 'amount']);
    for (const key of ['quantity', 'rate', 'amount'] as const) {
      expect(typeof l[key]).toBe('string');
      expect(l[key]).toMatch(/^-?\d+(\.\d+)?$/); // plain decimal notation (a discount is negative)
    }
    expect(Math.abs(Number(l.quantity) - expected!.lines[i]![2])).toBeLessThan(0.01);
  });
  // The total is the sum of the rounded lines.
  const cents = b.lines.reduce((sum, l) => sum + Math.round(Number(l.amount) * 100), 0);
  expect((cents / 100).toFixed(2)).toBe(expected!.total);
}

describe('bill --all --month 2024-05 on the demo', () => {
  let d: Demo;
  let first: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    d = demo();
    first = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--json'], { cwd: d.dir });
  });

  it('exits 0 with one committed bill per tenant, shaped as docs/architecture.md, "Stable interfaces"', async () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const bills = parseBills(first.stdout);
    expect(bills.map((b) => b.tenant).sort()).toEqual([ACME, GLOBEX, INITECH].sort());
    for (const b of bills) {
      expectDemoBill(b, 'committed');
      expect(b.invoice).toBe(path.join(d.outDir, invoiceName(b.tenant)));
    }
  });

  it('writes one CSV per tenant, whose total line is the bill total', async () => {
    expect(filesIn(d.outDir)).toEqual(ALL_INVOICES);
    for (const tenant of [ACME, GLOBEX, INITECH]) {
      const csv = readFileSync(path.join(d.outDir, invoiceName(tenant)), 'utf8');
      expect(csv.startsWith(`tenant,${tenant},${EXPECTED[tenant]!.name}\n`)).toBe(true);
      expect(csv.endsWith(`total,,,,,${EXPECTED[tenant]!.total}\n`)).toBe(true);
    }
  });

  it('records three committed bills, with their lines, in the ledger', async () => {
    const bills = ledgerBills(d.database);
    expect(bills.map((b) => [b.tenant, b.status, b.revision, b.total])).toEqual([
      [GLOBEX, 'committed', 1, '248.00'],
      [ACME, 'committed', 1, '183.90'],
      [INITECH, 'committed', 1, '34.82'],
    ]);
    expect(bills.map((b) => b.reference)).toEqual([GLOBEX, ACME, INITECH].map((t) => path.join(d.outDir, invoiceName(t))));
    expect(ledgerCount(d.database, 'lines', bills.find((b) => b.tenant === ACME)!.id)).toBe(11); // 8 services, 3 discount lines
  });

  it('a second run exits 3, says already billed, and changes nothing', async () => {
    const before = ledgerBills(d.database);
    const mtimes = ALL_INVOICES.map((f) => statSync(path.join(d.outDir, f)).mtimeMs);
    const again = await run(['bill', '--config', d.ini, '--all', ...MONTH], { cwd: d.dir });
    expect(again.code).toBe(3);
    expect(again.stdout.match(/already billed/g)).toHaveLength(3);
    expect(again.stdout).toContain('0 committed, 3 skipped');
    expect(ledgerBills(d.database)).toEqual(before);
    expect(filesIn(d.outDir)).toEqual(ALL_INVOICES);
    expect(ALL_INVOICES.map((f) => statSync(path.join(d.outDir, f)).mtimeMs)).toEqual(mtimes);
  });

  it('--json of a second run: skipped, with a reason', async () => {
    const again = await run(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH, '--json'], { cwd: d.dir });
    expect(again.code).toBe(3);
    const [b] = parseBills(again.stdout);
    expect(b).toMatchObject({ tenant: ACME, status: 'skipped', start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z' });
    expect(b!.reason).toContain('already billed');
    expect(b!.lines).toEqual([]);
  });

  it('void, then bill: that one window is billed again as revision 2 (_r2), the others stay billed', async () => {
    const voided = await run(['void', '--config', d.ini, '--tenant', ACME, ...MONTH, '--reason', 'wrong rate'], { cwd: d.dir });
    expect(voided.stderr).toBe('');
    expect(voided.code).toBe(0);
    expect(voided.stdout).toContain(ACME);

    const rebill = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--json'], { cwd: d.dir });
    expect(rebill.code).toBe(0);
    const bills = parseBills(rebill.stdout);
    expect(Object.fromEntries(bills.map((b) => [b.tenant, b.status]))).toEqual({ [ACME]: 'committed', [GLOBEX]: 'skipped', [INITECH]: 'skipped' });
    const acme = bills.find((b) => b.tenant === ACME)!;
    expectDemoBill(acme, 'committed');
    expect(acme.invoice).toBe(path.join(d.outDir, invoiceName(ACME, 2)));
    expect(filesIn(d.outDir)).toEqual([...ALL_INVOICES, invoiceName(ACME, 2)].sort());

    const history = await run(['history', '--config', d.ini, '--tenant', ACME, '--json'], { cwd: d.dir });
    expect(history.code).toBe(0);
    const rows = (JSON.parse(history.stdout) as { bills: Array<Record<string, unknown>> }).bills;
    expect(rows.map((r) => [r.status, r.revision, r.void_reason, r.invoice])).toEqual([
      ['voided', 1, 'wrong rate', path.join(d.outDir, invoiceName(ACME))],
      ['committed', 2, null, path.join(d.outDir, invoiceName(ACME, 2))],
    ]);
  });

  it('history and void take the name a tenant was billed under as well as its id', async () => {
    const byId = await run(['history', '--config', d.ini, '--tenant', ACME, '--json'], { cwd: d.dir });
    const byName = await run(['history', '--config', d.ini, '--tenant', EXPECTED[ACME]!.name, '--json'], { cwd: d.dir });
    expect(byName.code).toBe(0);
    expect(JSON.parse(byName.stdout)).toEqual(JSON.parse(byId.stdout));
    const voided = await run(['void', '--config', d.ini, '--tenant', EXPECTED[ACME]!.name, ...MONTH, '--reason', 'by name'], { cwd: d.dir });
    expect(voided.stderr).toBe('');
    expect(voided.stdout).toContain(`of ${ACME} for 2024-05`);
    // The revision 2 of the test before is the one voided now.
    expect(ledgerBills(d.database).filter((b) => b.tenant === ACME).map((b) => [b.revision, b.status, b.void_reason])).toEqual([
      [1, 'voided', 'wrong rate'],
      [2, 'voided', 'by name'],
    ]);
  });

  it('history takes --month or --from/--to as a window (bills overlapping it), and refuses a reversed one', async () => {
    const may = await run(['history', '--config', d.ini, '--from', '2024-05-10', '--to', '2024-05-11', '--json'], { cwd: d.dir });
    expect(may.code).toBe(0);
    expect((JSON.parse(may.stdout) as { bills: unknown[] }).bills.length).toBeGreaterThan(0);
    const april = await run(['history', '--config', d.ini, '--from', '2024-04-01', '--to', '2024-05-01', '--json'], { cwd: d.dir });
    expect(JSON.parse(april.stdout)).toEqual({ bills: [] });
    const reversed = await run(['history', '--config', d.ini, '--from', '2024-05-01', '--to', '2024-04-01'], { cwd: d.dir });
    expect(reversed.code).toBe(2);
  });

  it('void of a window that has no committed bill is a one-line error', async () => {
    const result = await run(['void', '--config', d.ini, '--tenant', ACME, '--month', '2024-04', '--reason', 'x'], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain('no committed bill');
  });
});

describe('read-only runs', () => {
  it('history and void on a config that has never billed create no ledger', async () => {
    const d = demo();
    const history = await run(['history', '--config', d.ini], { cwd: d.dir });
    expect(history).toMatchObject({ code: 0, stdout: `no ledger at ${d.database} yet: nothing has been billed\n` });
    expect(JSON.parse((await run(['history', '--config', d.ini, '--json'], { cwd: d.dir })).stdout)).toEqual({ bills: [] });
    const voided = await run(['void', '--config', d.ini, '--tenant', ACME, ...MONTH, '--reason', 'x'], { cwd: d.dir });
    expect(voided.code).toBe(2);
    expect(expectOneLine(voided.stderr)).toContain(`no ledger at ${d.database}: nothing has been billed, so there is nothing to void`);
    expect(existsSync(path.dirname(d.database))).toBe(false);
  });

  it('usage prints the same bill as a preview and writes no ledger and no invoice', async () => {
    const d = demo();
    const result = await run(['usage', '--config', d.ini, '--all', ...MONTH, '--json'], { cwd: d.dir });
    expect(result.code).toBe(0);
    const bills = parseBills(result.stdout);
    expect(bills).toHaveLength(3);
    for (const b of bills) expectDemoBill(b, 'preview');
    expect(existsSync(d.database)).toBe(false);
    expect(existsSync(path.join(d.dir, 'ledger'))).toBe(false);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });

  it('usage works on an open window (the current month)', async () => {
    const d = demo();
    const result = await run(['usage', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir, now: new Date('2024-05-20T00:00:00Z') });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('preview');
    expect(existsSync(d.database)).toBe(false);
  });

  it('bill --dry-run prints, and writes no ledger and no invoice', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--dry-run', '--json'], { cwd: d.dir });
    expect(result.code).toBe(0);
    const bills = parseBills(result.stdout);
    expect(bills.map((b) => b.total).sort()).toEqual(['183.90', '248.00', '34.82']);
    for (const b of bills) expect(b.lines.length).toBe(EXPECTED[b.tenant]!.lines.length);
    expect(existsSync(d.database)).toBe(false);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });

  it('bill --dry-run as a table', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--tenant', INITECH, ...MONTH, '--dry-run'], { cwd: d.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('would bill 34.82 USD');
    expect(existsSync(d.database)).toBe(false);
  });
});

describe('bad input: exit 2, one line on stderr, the ledger untouched', () => {
  const BAD_RATES = 'datacenter,service,unit,rate\nnorth,m1.small,hour,lots\n';
  /** Each case: how to break the demo config, and the arguments. */
  const CASES: Array<[string, (text: string) => string, string[], RegExp]> = [
    ['a malformed ini (a key before any section)', (t) => `oops = 1\n${t}`, ['--all', ...MONTH], /key 'oops' stands before any \[section\]/],
    ['an unknown value (backend = mongo)', (t) => t.replace('backend = file', 'backend = mongo'), ['--all', ...MONTH], /\[telemetry\] backend = 'mongo' is not valid/],
    ['an unknown key', (t) => t.replace('[main]', '[main]\ncolour = blue'), ['--all', ...MONTH], /\[main\] colour: unknown key/],
    ['an unknown month (--month 2024-13)', (t) => t, ['--all', '--month', '2024-13'], /--month .*'2024-13'/],
    ['a month that is not YYYY-MM (--month May)', (t) => t, ['--all', '--month', 'May'], /--month .*'May'/],
    ['only --from', (t) => t, ['--all', '--from', '2024-05-01'], /--from and --to/],
    ['an adapter that does not resolve', (t) => t.replace('invoice:object = csv', 'invoice:object = nosuch:Thing'), ['--all', ...MONTH], /invoice:object = nosuch:Thing/],
    ['an adapter file without that export', (t) => t.replace('invoice:object = csv', 'invoice:object = ./adapter.mjs:Nope'), ['--all', ...MONTH], /has no export 'Nope'/],
    ['an unreadable samples file (--all)', (t) => t.replace(/^file = .*$/m, 'file = /nonexistent/samples.ndjson'), ['--all', ...MONTH], /\/nonexistent\/samples\.ndjson/],
    ['an unreadable samples file (--tenant)', (t) => t.replace(/^file = .*$/m, 'file = /nonexistent/samples.ndjson'), ['--tenant', ACME, ...MONTH], /\/nonexistent\/samples\.ndjson/],
    ['a rates file that does not parse', (t) => t.replace(/^rates = .*$/m, 'rates = bad-rates.csv'), ['--all', ...MONTH], /rates file .*bad-rates\.csv row 2: rate 'lots' is not a decimal number/],
    ['an [invoice:object] key the csv adapter does not read', (t) => t.replace('[invoice:object]', '[invoice:object]\nouptut_dir = x'), ['--all', ...MONTH], /\[invoice:object\] ouptut_dir: not a key of the file adapters/],
    ['an output_dir that is a file', (t) => t.replace(/^output_dir = .*$/m, 'output_dir = adapter.mjs'), ['--all', ...MONTH], /output_dir: .*adapter\.mjs is a file, not a directory/],
    ['neither --tenant nor --all', (t) => t, [...MONTH], /--tenant.*--all/],
    ['both --tenant and --all', (t) => t, ['--all', '--tenant', ACME, ...MONTH], /--tenant or --all/],
  ];

  it.each(CASES)('%s (no ledger yet: no bill is created)', async (_what, edit, args, message) => {
    const d = demo(edit);
    writeIn(d.dir, 'adapter.mjs', 'export class Other { addSection() {} addLine() {} cost() {} commit() {} }\n');
    writeIn(d.dir, 'bad-rates.csv', BAD_RATES);
    const result = await run(['bill', '--config', d.ini, ...args], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(message);
    expect(result.stdout).toBe('');
    // The ledger may record the failed run, but holds no bill.
    if (existsSync(d.database)) expect(ledgerBills(d.database)).toEqual([]);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });

  describe('with a ledger that already holds bills', () => {
    let d: Demo;
    let before: ReturnType<typeof ledgerBills>;
    beforeAll(async () => {
      d = demo();
      const seeded = await run(['bill', '--config', d.ini, '--tenant', INITECH, ...MONTH], { cwd: d.dir });
      expect(seeded.code).toBe(0);
      before = ledgerBills(d.database);
      expect(before).toHaveLength(1);
    });

    it.each(CASES)('%s', async (_what, edit, args, message) => {
      // The same ledger and output dir, a broken copy of the config beside the good one.
      const broken = writeIn(d.dir, 'broken.ini', edit(readFileSync(d.ini, 'utf8')));
      writeIn(d.dir, 'adapter.mjs', 'export class Other { addSection() {} addLine() {} cost() {} commit() {} }\n');
      writeIn(d.dir, 'bad-rates.csv', BAD_RATES);
      const result = await run(['bill', '--config', broken, ...args], { cwd: d.dir });
      expect(result.code).toBe(2);
      expect(expectOneLine(result.stderr)).toMatch(message);
      expect(ledgerBills(d.database)).toEqual(before);
      expect(filesIn(d.outDir)).toEqual([invoiceName(INITECH)]);
    });
  });

  it('a missing config file (the default ./artifice.ini)', async () => {
    const d = demo();
    const result = await run(['bill', '--all', ...MONTH], { cwd: path.join(d.dir, 'ledger-does-not-exist') });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain('artifice.ini');
  });

  it('ARTIFICE_CONFIG names the config when there is no --config', async () => {
    const d = demo((t) => t.replace('backend = file', 'backend = mongo'));
    const result = await run(['bill', '--all', ...MONTH], { cwd: '/', env: { ARTIFICE_CONFIG: d.ini } });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain(d.ini);
  });

  it('an unknown flag is exit 2', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--bogus'], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--bogus'");
    expect(existsSync(d.database)).toBe(false);
  });
});

describe('windows that are not billable: exit 3', () => {
  it('May, 1 ms before it settles (end + 6 h)', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--all', ...MONTH, '--json'], { cwd: d.dir, now: new Date('2024-06-01T05:59:59.999Z') });
    expect(result.code).toBe(3);
    const bills = parseBills(result.stdout);
    expect(bills.map((b) => b.status)).toEqual(['skipped', 'skipped', 'skipped']);
    for (const b of bills) expect(b.reason).toContain('2024-06-01T06:00:00Z');
    expect(ledgerBills(d.database)).toEqual([]);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });

  it('the current month', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--tenant', ACME, '--month', '2024-06'], { cwd: d.dir, now: new Date('2024-06-15T12:00:00Z') });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('not settled');
    expect(ledgerBills(d.database)).toEqual([]);
  });

  it('May in Los Angeles is still open at 2024-06-01T10:00Z (it ends at 07:00Z, settles at 13:00Z)', async () => {
    const d = demo((t) => t.replace('timezone = UTC', 'timezone = America/Los_Angeles'));
    const result = await run(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH, '--json'], { cwd: d.dir, now: new Date('2024-06-01T10:00:00Z') });
    expect(result.code).toBe(3);
    const [b] = parseBills(result.stdout);
    expect(b).toMatchObject({ start: '2024-05-01T07:00:00Z', end: '2024-06-01T07:00:00Z', status: 'skipped' });
    expect(b!.reason).toContain('2024-06-01T13:00:00Z');
  });

  it('a window claimed by a live run is busy', async () => {
    const d = demo();
    const { Ledger } = await import('../src/ledger.js');
    const os = await import('node:os');
    const ledger = Ledger.open(d.database);
    try {
      const claim = await ledger.claim({ id: ACME }, { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 5, 1) * 1000 }, {
        host: os.hostname(), pid: process.pid, runId: 'another-run',
      });
      expect(claim.kind).toBe('claimed');
    } finally {
      await ledger.close();
    }
    const result = await run(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('being billed by another run');
    expect(ledgerBills(d.database).map((b) => b.status)).toEqual(['pending']);
    expect(existsSync(path.join(d.dir, 'out'))).toBe(false);
  });

  it('at the settle instant it bills (exit 0)', async () => {
    const d = demo();
    const result = await run(['bill', '--config', d.ini, '--tenant', GLOBEX, ...MONTH], { cwd: d.dir, now: new Date('2024-06-01T06:00:00.000Z') });
    expect(result.code).toBe(0);
    expect(filesIn(d.outDir)).toEqual([invoiceName(GLOBEX)]);
  });
});

describe('the real bin/artifice', () => {
  it('bills the demo month: exit 0, one CSV per tenant; again: exit 3', async () => {
    const d = demo();
    const first = runBin(['bill', '--config', d.ini, '--all', ...MONTH], { cwd: d.dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('3 committed, 0 skipped');
    expect(first.stdout).toContain('billed 466.72 USD'); // 183.90 + 248.00 + 34.82
    expect(filesIn(d.outDir)).toEqual(ALL_INVOICES);
    expect(ledgerBills(d.database).map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);

    const again = runBin(['bill', '--all', ...MONTH], { cwd: d.dir }); // ./artifice.ini
    expect(again.code).toBe(3);
    expect(again.stdout).toContain('already billed');
  }, 120_000);

  it('output to a reader that went away (`… 2>&1 | head -1`) does not kill a bill run midway', async () => {
    const d = demo();
    const child = spawn(process.execPath, [BIN, 'bill', '--config', d.ini, '--all', ...MONTH, '--verbose'], {
      cwd: d.dir, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Both readers gone before the first line: every write of the child fails with EPIPE.
    child.stdout.destroy();
    child.stderr.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(ledgerBills(d.database).map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
    expect(existsSync(path.join(path.dirname(d.database), 'status.json'))).toBe(true); // the run was recorded to its end
  }, 120_000);

  it('a malformed ini: exit 2, one line, no stack, no ledger', async () => {
    const d = demo((t) => `oops = 1\n${t}`);
    const result = runBin(['bill', '--all', ...MONTH], { cwd: '/', env: { ARTIFICE_CONFIG: d.ini } });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toBe(`artifice: ${d.ini}: key 'oops' stands before any [section]; put it under [main] or [telemetry]`);
    expect(result.stdout).toBe('');
    expect(existsSync(d.database)).toBe(false);
  });

  it('an adapter package that does not resolve: exit 2, one line naming the spec', async () => {
    const d = demo((t) => t.replace('invoice:object = csv', 'invoice:object = nosuch:Thing'));
    const result = runBin(['bill', '--config', d.ini, '--all', ...MONTH], { cwd: d.dir });
    expect(result.code).toBe(2);
    const line = expectOneLine(result.stderr);
    expect(line).toContain('[main] invoice:object = nosuch:Thing');
    expect(line).toContain("no built-in adapter, file or package named 'nosuch'");
    if (existsSync(d.database)) expect(ledgerBills(d.database)).toEqual([]);
  });

  it('--month 2024-13: exit 2, one line', async () => {
    const d = demo();
    const result = runBin(['bill', '--config', d.ini, '--all', '--month', '2024-13'], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain("'2024-13'");
    expect(existsSync(d.database)).toBe(false);
  });
});
