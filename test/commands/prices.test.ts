/**
 * Price lists end to end (docs/prices.md): a dated rates file, a group price and discount, a
 * minimum, what --explain, history --lines and verify say about them, a corrected bill of an old
 * month after a price change; and bad price lists: exit 2, one line, the ledger untouched.
 * tenant-01 runs an m1.small and an 11 GB volume all May, tenant-02 an m1.medium and 12 GB.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expectOneLine, ledgerBills } from '../helpers/cli.js';
import { cleanTempDirs, filesIn } from '../helpers/tmp.js';
import { bills, instanceOf, plan, run, sample, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const MONTH = ['--month', '2024-05'];
const HEADER = 'datacenter,service,unit,rate,from,until,tenant';
const RATES = [
  HEADER,
  '*,m1.small,hour,0.025,,2024-05-15,',
  '*,m1.small,hour,0.03,2024-05-15,,',
  '*,m1.medium,hour,0.05,,,',
  '*,m1.medium,hour,0.04,,,group:partners',
  '*,volume.size,gigabyte-hour,0.0001,,,',
].join('\n');
const PRICE_LIST = ['', '[price_groups]', 'partners = tenant-02', '', '[discounts]', 'group:partners = 10', '', '[minimums]', 'tenant-01 = 25', ''].join('\n');

function pricedCloud(rates = RATES, ini = PRICE_LIST): Cloud {
  const cloud = writeCloud(plan(2), { rates });
  appendFileSync(cloud.ini, ini);
  return cloud;
}

describe('a bill with a price change, a group price, a discount and a minimum', () => {
  let cloud: Cloud;
  beforeAll(() => {
    cloud = pricedCloud();
  });

  it('prices each part of the month at its rate and adds the discount and minimum lines (hand-computed)', async () => {
    const result = await run(['bill', '--config', cloud.ini, '--all', ...MONTH, '--json'], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    const [one, two] = bills(result.stdout);
    expect(one!.lines.map((l) => [l.name, l.quantity, l.rate, l.amount])).toEqual([
      ['m1.small', '336', '0.025', '8.40'], // 05-01..05-15: 14 days
      ['m1.small', '408', '0.03', '12.24'], // 05-15..06-01: 17 days
      ['volume.size', '8184', '0.0001', '0.82'], // 11 GB × 744 h = 0.8184
      ['Monthly minimum 25.00 USD (price list tenant-01-name)', '1', '3.54', '3.54'], // 21.46 → 25.00
    ]);
    expect(one!.total).toBe('25.00');
    expect(two!.lines.map((l) => [l.name, l.quantity, l.rate, l.amount])).toEqual([
      ['m1.medium', '744', '0.04', '29.76'], // the group's rate
      ['volume.size', '8928', '0.0001', '0.89'], // 12 GB × 744 h = 0.8928
      ['Discount 10% (price list partners)', '30.65', '-0.1', '-3.07'], // −3.065, half away from zero
    ]);
    expect(two!.total).toBe('27.58');
    const csv = readFileSync(path.join(cloud.outDir, filesIn(cloud.outDir).find((f) => f.startsWith('tenant-01'))!), 'utf8');
    expect(csv).toContain('east,m1.small (2024-05-01T00:00:00Z..2024-05-15T00:00:00Z),336,hour,0.025,8.40');
    expect(csv).toContain('east,m1.small (2024-05-15T00:00:00Z..2024-06-01T00:00:00Z),408,hour,0.03,12.24');
  });

  it('--explain and history --lines say what priced each line', async () => {
    const explained = await run(['bill', '--config', cloud.ini, '--tenant', 'tenant-02', ...MONTH, '--explain'], { cwd: cloud.dir });
    expect(explained.stdout).toMatch(/^ {2}east \/ m1\.medium: 744 hour × 0\.04 = 29\.76 USD \(1 resource\)\n {4}priced by rates row 5 \(group partners\)$/m);
    expect(explained.stdout).toMatch(/^ {4}priced by \[discounts\] group:partners = 10% of the section's lines$/m);
    const history = await run(['history', '--config', cloud.ini, '--tenant', 'tenant-01', '--lines'], { cwd: cloud.dir });
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/m1\.small \(2024-05-15T00:00:00Z\.\.2024-06-01T00:00:00Z\)\s+408\s+hour\s+0\.03\s+12\.24\s+rates row 3 \(everyone\)/);
    expect(history.stdout).toMatch(/Monthly minimum 25\.00 USD \(price list tenant-01-name\)\s+1\s+month\s+3\.54\s+3\.54\s+\[minimums\] tenant-01 = 25: brings the month's total up to it/);
  });

  it('verify recomputes with the prices in force in the window: a fixed point', async () => {
    for (const tenant of ['tenant-01', 'tenant-02']) {
      const result = await run(['verify', '--config', cloud.ini, '--tenant', tenant, ...MONTH], { cwd: cloud.dir });
      expect(result.stdout).toContain('fixed point');
      expect(result.code).toBe(0);
    }
  });

  it('a corrected bill of May after a later price change (void, bill again) uses May\'s prices', async () => {
    // From June on m1.small costs 0.04: the 0.03 row now ends where the new one starts.
    writeFileSync(cloud.rates, `${RATES.replace('*,m1.small,hour,0.03,2024-05-15,,', '*,m1.small,hour,0.03,2024-05-15,2024-06-01,')}\n*,m1.small,hour,0.04,2024-06-01,,\n`);
    const voided = await run(['void', '--config', cloud.ini, '--tenant', 'tenant-01', ...MONTH, '--reason', 'correction'], { cwd: cloud.dir });
    expect(voided.code).toBe(0);
    const again = await run(['bill', '--config', cloud.ini, '--tenant', 'tenant-01', ...MONTH, '--json'], { cwd: cloud.dir });
    expect(again.code).toBe(0);
    expect(bills(again.stdout)[0]!.lines.slice(0, 2).map((l) => [l.quantity, l.rate, l.amount])).toEqual([['336', '0.025', '8.40'], ['408', '0.03', '12.24']]);
    expect(bills(again.stdout)[0]!.total).toBe('25.00');
  });
});

describe('verify after a price change: lines matched by their part of the window', () => {
  it('late samples in the second part change that line only, at its stored rate', async () => {
    // tenant-01's instance reports nothing on 20 May: 24 h uncovered (max_gap is 6 h), all after the change.
    const silent = ['2024-05-20T00:00:00Z', '2024-05-20T06:00:00Z', '2024-05-20T12:00:00Z', '2024-05-20T18:00:00Z'];
    const cloud = writeCloud(plan(1, (t) => ({ ...t, skip: silent })), { rates: RATES });
    appendFileSync(cloud.ini, '\n[price_groups]\npartners = tenant-02\n');
    const billed = await run(['bill', '--config', cloud.ini, '--tenant', 'tenant-01', ...MONTH, '--json'], { cwd: cloud.dir });
    expect(bills(billed.stdout)[0]!.lines.slice(0, 2).map((l) => [l.quantity, l.rate, l.amount])).toEqual([['336', '0.025', '8.40'], ['384', '0.03', '11.52']]);
    appendFileSync(cloud.samples, `${sample('tenant-01', 'instance', instanceOf('tenant-01'), '2024-05-20T12:00:00Z', 1, { 'flavor.name': 'm1.small', status: 'active' })}\n`);
    const result = await run(['verify', '--config', cloud.ini, '--tenant', 'tenant-01', ...MONTH, '--json'], { cwd: cloud.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const diff = JSON.parse(result.stdout) as { lines: { name: string; stored: string; now: string; rate: string; amount_delta: string }[] };
    // The sample at 12:00 covers 6 h of the 24: 384 → 390 h at 0.03 = +0.18. Only changed lines are
    // listed: the first part matched its stored line (unmatched, it would show 336 → 0).
    expect(diff.lines.map((l) => [l.name, l.stored, l.now, l.rate, l.amount_delta])).toEqual([['m1.small', '384', '390', '0.03', '0.18']]);
  });
});

describe('check: price coverage per period, with the latest bills\' services', () => {
  it('names a service of the latest bills that no row prices for a stretch of its window', async () => {
    // Every other service of the default meters file priced too, so only m1.small can fail.
    const others = ['ip.floating', 'image.size', 'storage.objects.size', 'network.incoming.bytes', 'network.outgoing.bytes'].map((s) => `*,${s},,0.01,,,`);
    const rates = [RATES, ...others].join('\n');
    const cloud = pricedCloud(rates);
    expect((await run(['bill', '--config', cloud.ini, '--all', ...MONTH], { cwd: cloud.dir })).code).toBe(0);
    expect((await run(['check', '--config', cloud.ini, '--json'], { cwd: cloud.dir })).stdout).not.toContain('no price');
    // m1.small loses its price from 05-20 to 05-25 (a row's dates mistyped).
    writeFileSync(cloud.rates, `${rates.replace('*,m1.small,hour,0.03,2024-05-15,,', '*,m1.small,hour,0.03,2024-05-15,2024-05-20,\n*,m1.small,hour,0.03,2024-05-25,,')}\n`);
    const result = await run(['check', '--config', cloud.ini, '--json'], { cwd: cloud.dir });
    expect(result.code).toBe(2);
    const items = (JSON.parse(result.stdout) as { items: { name: string; ok: boolean; detail: string }[] }).items.filter((i) => i.name === 'price coverage');
    expect(items.find((i) => i.detail.startsWith('east:'))).toEqual({
      name: 'price coverage', ok: false,
      detail: 'east: no price for m1.small: no price for everyone from 2024-05-20T00:00:00Z until 2024-05-25T00:00:00Z; no price for group partners from 2024-05-20T00:00:00Z until 2024-05-25T00:00:00Z',
    });
  });
});

describe('bad price lists: exit 2, one line, the ledger untouched', () => {
  const rows = (...extra: string[]) => [HEADER + ',tier_from', '*,m1.small,hour,0.025,,,,', '*,m1.medium,hour,0.05,,,,', '*,volume.size,gigabyte-hour,0.0001,,,,', ...extra].join('\n');
  const CASES: Array<[string, string, string, RegExp]> = [
    ['overlapping date ranges', rows('*,ip.floating,hour,1,2024-05-01,2024-06-01,,', '*,ip.floating,hour,2,2024-05-15,,,'), PRICE_LIST,
      /rates file .*rates\.csv row 6: \*\/ip\.floating from 2024-05-15T00:00:00Z until open overlaps row 5/],
    ['a tier list with a gap', rows('*,egress,gigabyte,0.05,,,,1000'), PRICE_LIST, /row 5: the tiers of \*\/egress start at 1000, leaving a gap below it/],
    ['a non-increasing tier_from', rows('*,egress,gigabyte,0.09,,,,0', '*,egress,gigabyte,0.05,,,,0'), PRICE_LIST, /row 6: tier_from 0 of \*\/egress is not above the tier_from 0 of row 5/],
    ['a from after until', rows('*,ip.floating,hour,1,2024-06-01,2024-05-01,,'), PRICE_LIST, /row 5: from 2024-06-01 is not before until 2024-05-01/],
    ['an unknown group in the rates file', rows('*,m1.small,hour,0.02,,,group:vip,'), PRICE_LIST, /row 5: tenant group:vip names a group that \[price_groups\] does not define \(its groups: partners\)/],
    ['an unknown group in [discounts]', rows(), PRICE_LIST.replace('group:partners = 10', 'group:vip = 10'), /\[discounts\] group:vip names group vip, which \[price_groups\] does not define/],
    ['a discount above 100 %', rows(), PRICE_LIST.replace('group:partners = 10', 'group:partners = 120%'), /\[discounts\] group:partners = '120%' is not valid: use a percentage from 0 to 100/],
    ['a negative discount', rows(), PRICE_LIST.replace('group:partners = 10', 'group:partners = -5'), /\[discounts\] group:partners = '-5' is not valid/],
    ['a negative minimum', rows(), PRICE_LIST.replace('tenant-01 = 25', 'tenant-01 = -25'), /\[minimums\] tenant-01 = '-25' is not valid: use an amount ≥ 0/],
    ['a tenant in two groups', rows(), PRICE_LIST.replace('partners = tenant-02', 'partners = tenant-02\nothers = tenant-02'), /\[price_groups\] others lists tenant-02, which group partners lists too/],
  ];

  it.each(CASES)('%s', async (_what, rates, ini, message) => {
    const cloud = pricedCloud(RATES, PRICE_LIST);
    const seeded = await run(['bill', '--config', cloud.ini, '--tenant', 'tenant-02', ...MONTH], { cwd: cloud.dir });
    expect(seeded.code).toBe(0);
    const before = ledgerBills(cloud.database);
    const invoices = filesIn(cloud.outDir);
    writeFileSync(cloud.rates, `${rates}\n`);
    writeFileSync(cloud.ini, readFileSync(cloud.ini, 'utf8').replace(PRICE_LIST, ini));
    const result = await run(['bill', '--config', cloud.ini, '--all', ...MONTH], { cwd: cloud.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(message);
    expect(result.stdout).toBe('');
    expect(ledgerBills(cloud.database)).toEqual(before);
    expect(filesIn(cloud.outDir)).toEqual(invoices);
    expect(existsSync(cloud.database)).toBe(true);
  });
});
