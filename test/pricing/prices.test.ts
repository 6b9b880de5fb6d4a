/**
 * Hand-computed bills of the rich price list (docs/prices.md): a price change inside the window,
 * tenant and group rows, graduated and volume tiers, a discount and a monthly minimum.
 */
import { readFileSync } from 'node:fs';
import { parseMeters } from '../../src/config/meters.js';
import type { PricesConfig } from '../../src/config/prices.js';
import { Decimal } from '../../src/model/decimal.js';
import { PricingError } from '../../src/model/errors.js';
import { readTimestamp } from '../../src/model/time.js';
import type { BillingWindow, InvoiceLine, Sample, Tenant, UsageRecord, Window } from '../../src/model/types.js';
import { monthWindow } from '../../src/period.js';
import { packageFile } from '../../src/model/paths.js';
import { priceUsage, type PricingOptions } from '../../src/pricing/index.js';
import { computeUsage } from '../../src/usage/index.js';
import { RateTable } from '../../invoices/rate-table.js';

const HEADER = 'datacenter,service,unit,rate,from,until,tenant,tier_from,tier_mode\n';
const SPECS = parseMeters(readFileSync(packageFile('config', 'meters.ini'), 'utf8'), 'meters.ini', 3600);
const us = (iso: string) => readTimestamp(iso) as number;
const ACME: Tenant = { id: 'p-acme', name: 'acme' };
const NO_PRICES: PricesConfig = { groups: {}, discounts: {}, minimums: {} };

/** A price list adapter over a rates text, as the file adapters answer. */
function rates(text: string, groups: string[] = []) {
  const table = RateTable.parse(`${HEADER}${text}`, 'rates.csv', { timezone: 'Pacific/Auckland', groups });
  return {
    cost: () => {
      throw new Error('prices() is asked, not cost()');
    },
    prices: (dc: string, service: string, query: Parameters<RateTable['schedule']>[2]) => table.schedule(dc, service, query),
  };
}

/** One gauge sample every 10 minutes from `from` to `to` (exclusive), each holding `volume`. */
function gauge(meter: string, resourceId: string, volume: number, from: string, to: string, unit: string): Sample[] {
  const samples: Sample[] = [];
  for (let t = us(from); t < us(to); t += 600_000_000) {
    samples.push({ meter, resourceId, projectId: ACME.id, timestamp: t, volume, unit, type: 'gauge', metadata: {}, id: `${resourceId}-${t}`, source: 'openstack', region: 'north' });
  }
  return samples;
}

function usageOf(samples: Sample[]) {
  const measure = (window: Window): UsageRecord[] =>
    computeUsage(samples, SPECS, { window, trustSources: [/^openstack$/], datacenterOf: (s) => s.region }).records;
  return measure;
}

function options(window: BillingWindow, usageIn: (w: Window) => UsageRecord[], prices: PricesConfig = NO_PRICES, tenant = ACME): PricingOptions {
  return { digits: 2, allowUnpriced: false, bill: { tenant, window, currency: 'NZD', prices, usageIn } };
}

/** Lines as `name quantity × rate = amount [period] basis`. */
function plain(lines: InvoiceLine[]): string[] {
  const day = (t: number) => new Date(t / 1000).toISOString().slice(0, 16);
  return lines.map((l) => `${l.name} ${l.quantity.toFixed()} × ${l.rate.toFixed()} = ${l.amount.toFixed(2)}` +
    (l.period ? ` [${day(l.period.start)}..${day(l.period.end)}]` : '') +
    (l.basis ? ` ${JSON.stringify(l.basis)}` : ''));
}

/** A usage record of a quantity with no samples behind it (tiers, discounts: the quantity is what matters). */
function record(service: string, quantity: string, unit = 'gigabyte'): UsageRecord {
  return { meter: service, resourceId: `${service}-r`, service, datacenter: 'north', quantity: new Decimal(quantity), unit, samples: 1, firstSample: null, lastSample: null, gaps: [] };
}

const MAY_AKL = monthWindow({ year: 2024, month: 5 }, 'Pacific/Auckland');
const MAY_UTC = monthWindow({ year: 2024, month: 5 }, 'UTC');
const whole = (records: UsageRecord[]) => () => records;

describe('a price change on the 15th at 00:00 in Pacific/Auckland', () => {
  // An IP held all month and a 100 GB volume: May in Auckland is 2024-04-30T12:00Z..2024-05-31T12:00Z,
  // 744 h; the change at 2024-05-15T00:00+12 = 2024-05-14T12:00Z leaves 14 days (336 h) before it, 17 days (408 h) after.
  const samples = [
    ...gauge('ip.floating', 'ip-1', 1, '2024-04-30T11:00:00Z', '2024-05-31T13:00:00Z', 'ip'),
    ...gauge('volume.size', 'vol-1', 100, '2024-04-30T11:00:00Z', '2024-05-31T13:00:00Z', 'GB'),
  ];
  const usageIn = usageOf(samples);
  const adapter = rates([
    '*,ip.floating,hour,0.005,,2024-05-15',
    '*,ip.floating,hour,0.004,2024-05-15,',
    '*,volume.size,gigabyte-hour,0.000137,,',
  ].join('\n') + '\n');

  it('gives two lines, each with its own quantity and rate, whose quantities sum to the month\'s', async () => {
    const priced = await priceUsage(usageIn(MAY_AKL), adapter, options(MAY_AKL, usageIn));
    expect(plain(priced.lines)).toEqual([
      'ip.floating 336 × 0.005 = 1.68 [2024-04-30T12:00..2024-05-14T12:00] {"kind":"rate","row":2,"scope":"*"}',
      'ip.floating 408 × 0.004 = 1.63 [2024-05-14T12:00..2024-05-31T12:00] {"kind":"rate","row":3,"scope":"*"}',
      // 100 GB × 744 h × 0.000137 = 10.1928
      'volume.size 74400 × 0.000137 = 10.19 {"kind":"rate","row":4,"scope":"*"}',
    ]);
    const month = usageIn(MAY_AKL).find((r) => r.service === 'ip.floating')!.quantity;
    expect(priced.lines[0]!.quantity.plus(priced.lines[1]!.quantity).eq(month)).toBe(true);
    expect(priced.total.toFixed(2)).toBe('13.50');
  });

  it('quantities of a resource that starts and stops at odd times still add up exactly', async () => {
    const odd = usageOf(gauge('ip.floating', 'ip-2', 1, '2024-05-10T03:17:13Z', '2024-05-20T21:02:41Z', 'ip'));
    const priced = await priceUsage(odd(MAY_AKL), adapter, options(MAY_AKL, odd));
    expect(priced.lines).toHaveLength(2);
    expect(priced.lines[0]!.quantity.plus(priced.lines[1]!.quantity).eq(odd(MAY_AKL)[0]!.quantity)).toBe(true);
  });

  it('a corrected bill of April (re-billed after void) uses April\'s price, not the new one', async () => {
    const april = monthWindow({ year: 2024, month: 4 }, 'Pacific/Auckland');
    const aprilUsage = usageOf(gauge('ip.floating', 'ip-1', 1, '2024-03-30T11:00:00Z', '2024-04-30T13:00:00Z', 'ip'));
    const priced = await priceUsage(aprilUsage(april), adapter, options(april, aprilUsage));
    // April 2024 in Auckland: 30 days and the hour daylight saving gives back on the 7th = 721 h; 721 × 0.005 = 3.605 → 3.61.
    expect(plain(priced.lines)).toEqual(['ip.floating 721 × 0.005 = 3.61 {"kind":"rate","row":2,"scope":"*"}']);
  });
});

describe('tenant and group price lists', () => {
  const text = '*,m1.small,hour,0.025,,,,,\n*,m1.small,hour,0.020,,,group:partners,,\n*,m1.small,hour,0.018,,,acme,,\n';
  const prices: PricesConfig = { groups: { partners: ['acme', 'p-beta'] }, discounts: {}, minimums: {} };
  const used = [record('m1.small', '100', 'hour')];

  it('a tenant row beats a group row beats `*`', async () => {
    const rateFor = async (tenant: Tenant) =>
      (await priceUsage(used, rates(text, ['partners']), options(MAY_UTC, whole(used), prices, tenant))).lines.map((l) => `${l.rate.toFixed()} ${l.amount.toFixed(2)}`);
    expect(await rateFor(ACME)).toEqual(['0.018 1.80']);
    expect(await rateFor({ id: 'p-beta' })).toEqual(['0.02 2.00']);
    expect(await rateFor({ id: 'p-gamma', name: 'gamma' })).toEqual(['0.025 2.50']);
  });

  it('rows of a tenant\'s id and of its name in force at once fail it, naming both rows', async () => {
    const both = `${text}*,m1.small,hour,0.017,,,p-acme,,\n`;
    const priced = priceUsage(used, rates(both, ['partners']), options(MAY_UTC, whole(used), prices));
    await expect(priced).rejects.toBeInstanceOf(PricingError);
    await expect(priced).rejects.toThrow(
      'rates file rates.csv: row 4 (tenant acme, by its name) and row 5 (tenant p-acme, by its id) both price north/m1.small for tenant p-acme (acme) at 2024-05-01T00:00:00Z; ' +
        'keep the rows of one of its id or its name',
    );
    // One after the other is a price change, not a conflict (2024-05-15 in Auckland: 05-14T12:00Z).
    const inTurn = '*,m1.small,hour,0.018,,2024-05-15,acme,,\n*,m1.small,hour,0.017,2024-05-15,,p-acme,,\n';
    const cut = us('2024-05-14T12:00:00Z');
    const usageIn = (w: Window) => [record('m1.small', w.end <= cut ? '40' : w.start >= cut ? '60' : '100', 'hour')];
    const lines = (await priceUsage(used, rates(inTurn), options(MAY_UTC, usageIn, NO_PRICES))).lines;
    expect(lines.map((l) => `${l.quantity.toFixed()} × ${l.rate.toFixed()}`)).toEqual(['40 × 0.018', '60 × 0.017']);
  });

  it('a tenant in two [price_groups] groups, by its id in one and its name in the other, fails, naming both', async () => {
    const twice: PricesConfig = { groups: { partners: ['acme'], vip: ['p-acme'] }, discounts: {}, minimums: {} };
    const priced = priceUsage(used, rates(text, ['partners', 'vip']), options(MAY_UTC, whole(used), twice));
    await expect(priced).rejects.toBeInstanceOf(PricingError);
    await expect(priced).rejects.toThrow(
      '[price_groups] partners (as acme) and vip (as p-acme) both list tenant p-acme (acme), by its id and by its name; a tenant is in one price group at most',
    );
  });
});

describe('tiers', () => {
  const graduatedRates = rates('*,egress,gigabyte,0.09,,,,0,\n*,egress,gigabyte,0.05,,,,1000,\n');
  const volumeRates = rates('*,egress,gigabyte,0.09,,,,0,volume\n*,egress,gigabyte,0.05,,,,1000,volume\n');
  const bill = async (adapter: ReturnType<typeof rates>, quantity: string) => {
    const used = [record('egress', quantity)];
    return plain((await priceUsage(used, adapter, options(MAY_UTC, whole(used)))).lines);
  };

  it('graduated: below, at and across the boundary', async () => {
    expect(await bill(graduatedRates, '999.5')).toEqual(['egress 999.5 × 0.09 = 89.96 {"kind":"rate","row":2,"scope":"*","tier":{"from":"0","mode":"graduated"}}']);
    expect(await bill(graduatedRates, '1000')).toEqual(['egress 1000 × 0.09 = 90.00 {"kind":"rate","row":2,"scope":"*","tier":{"from":"0","mode":"graduated"}}']);
    expect(await bill(graduatedRates, '1234.5')).toEqual([
      'egress 1000 × 0.09 = 90.00 {"kind":"rate","row":2,"scope":"*","tier":{"from":"0","mode":"graduated"}}',
      // 234.5 × 0.05 = 11.725 → 11.73 (half away from zero)
      'egress 234.5 × 0.05 = 11.73 {"kind":"rate","row":3,"scope":"*","tier":{"from":"1000","mode":"graduated"}}',
    ]);
  });

  it('volume: the whole quantity at the rate of the tier it reaches', async () => {
    expect(await bill(volumeRates, '999.5')).toEqual(['egress 999.5 × 0.09 = 89.96 {"kind":"rate","row":2,"scope":"*","tier":{"from":"0","mode":"volume"}}']);
    expect(await bill(volumeRates, '1000')).toEqual(['egress 1000 × 0.05 = 50.00 {"kind":"rate","row":3,"scope":"*","tier":{"from":"1000","mode":"volume"}}']);
    expect(await bill(volumeRates, '1234.5')).toEqual(['egress 1234.5 × 0.05 = 61.73 {"kind":"rate","row":3,"scope":"*","tier":{"from":"1000","mode":"volume"}}']);
  });

  it('graduated tiers count the whole window: a price change does not start them again', async () => {
    const changing = rates([
      '*,egress,gigabyte,0.09,,2024-05-16,,0,', '*,egress,gigabyte,0.05,,2024-05-16,,1000,',
      '*,egress,gigabyte,0.08,2024-05-16,,,0,', '*,egress,gigabyte,0.04,2024-05-16,,,1000,',
    ].join('\n') + '\n');
    const first = us('2024-05-15T12:00:00Z'); // 2024-05-16 00:00 in Auckland
    const usageIn = (w: Window) => [record('egress', w.end <= first ? '800' : w.start >= first ? '400' : '1200')];
    const priced = await priceUsage(usageIn(MAY_UTC), changing, options(MAY_UTC, usageIn));
    expect(plain(priced.lines).map((l) => l.replace(/ \{.*/, ''))).toEqual([
      'egress 800 × 0.09 = 72.00 [2024-05-01T00:00..2024-05-15T12:00]',
      'egress 200 × 0.08 = 16.00 [2024-05-15T12:00..2024-06-01T00:00]',
      'egress 200 × 0.04 = 8.00 [2024-05-15T12:00..2024-06-01T00:00]',
    ]);
  });
});

describe('discount and minimum', () => {
  const adapter = rates('*,m1.small,hour,0.025,,,,,\nsouth,m1.small,hour,0.022,,,,,\n');
  const prices: PricesConfig = {
    groups: { partners: ['acme'] },
    discounts: { 'group:partners': new Decimal(10) },
    minimums: { acme: new Decimal(25) },
  };
  const used = (north: string, south: string) => [record('m1.small', north, 'hour'), { ...record('m1.small', south, 'hour'), datacenter: 'south' }];

  it('a 10 % discount is its own line per section, rounded once; a minimum above the total brings it up to it', async () => {
    // north 333 h × 0.025 = 8.325 → 8.33; south 111 h × 0.022 = 2.442 → 2.44
    const records = used('333', '111');
    const priced = await priceUsage(records, adapter, options(MAY_UTC, whole(records), prices));
    expect(plain(priced.lines)).toEqual([
      'm1.small 333 × 0.025 = 8.33 {"kind":"rate","row":2,"scope":"*"}',
      'm1.small 111 × 0.022 = 2.44 {"kind":"rate","row":3,"scope":"*"}',
      // −10 % of 8.33 = −0.833 → −0.83; of 2.44 = −0.244 → −0.24
      'Discount 10% (price list partners) 8.33 × -0.1 = -0.83 {"kind":"discount","percent":"10","scope":"group:partners"}',
      'Discount 10% (price list partners) 2.44 × -0.1 = -0.24 {"kind":"discount","percent":"10","scope":"group:partners"}',
      // 8.33 + 2.44 − 0.83 − 0.24 = 9.70; up to 25.00: 15.30
      'Monthly minimum 25.00 NZD (price list acme) 1 × 15.3 = 15.30 {"kind":"minimum","minimum":"25","scope":"acme"}',
    ]);
    expect(priced.lines.map((l) => l.datacenter)).toEqual(['north', 'south', 'north', 'south', 'south']);
    expect(priced.total.toFixed(2)).toBe('25.00');
  });

  it('a discount of half a cent rounds away from zero', async () => {
    const records = [record('m1.small', '2', 'hour')]; // 0.05, −10 % = −0.005 → −0.01
    const priced = await priceUsage(records, adapter, options(MAY_UTC, whole(records), { ...prices, minimums: {} }));
    expect(priced.lines.map((l) => l.amount.toFixed(2))).toEqual(['0.05', '-0.01']);
  });

  it('a minimum below the total adds nothing; nor does one on a window that is not a month', async () => {
    const records = used('2000', '0'); // 50.00 − 5.00 = 45.00 ≥ 25
    const priced = await priceUsage(records, adapter, options(MAY_UTC, whole(records), prices));
    expect(priced.lines.map((l) => l.basis?.kind)).toEqual(['rate', 'rate', 'discount']);
    expect(priced.total.toFixed(2)).toBe('45.00');
    const week = { start: us('2024-05-01T00:00:00Z'), end: us('2024-05-08T00:00:00Z'), label: '2024-05-01T00:00:00Z/2024-05-08T00:00:00Z' };
    const small = used('1', '0');
    expect((await priceUsage(small, adapter, options(week, whole(small), prices))).lines.map((l) => l.basis?.kind)).toEqual(['rate', 'rate', 'discount']);
  });

  it('a tenant\'s own discount beats its group\'s', async () => {
    const own = { ...prices, discounts: { ...prices.discounts, 'p-acme': new Decimal('12.5') }, minimums: {} };
    const records = [record('m1.small', '400', 'hour')]; // 10.00, −12.5 % = −1.25
    const priced = await priceUsage(records, adapter, options(MAY_UTC, whole(records), own));
    expect(plain(priced.lines)[1]).toBe('Discount 12.5% (price list acme) 10 × -0.125 = -1.25 {"kind":"discount","percent":"12.5","scope":"p-acme"}');
  });
});

describe('an adapter with cost() only keeps working', () => {
  it('is asked cost(datacenter, service, query) once per line, the basis is the adapter', async () => {
    const asked: unknown[] = [];
    const adapter = { cost: (dc: string, service: string, query?: unknown) => { asked.push([dc, service, query]); return '0.5'; } };
    const records = [record('m1.small', '3', 'hour')];
    const priced = await priceUsage(records, adapter, options(MAY_UTC, whole(records)));
    expect(plain(priced.lines)).toEqual(['m1.small 3 × 0.5 = 1.50 {"kind":"adapter"}']);
    expect(asked).toEqual([['north', 'm1.small', { tenant: ACME, period: { start: MAY_UTC.start, end: MAY_UTC.end, label: '2024-05' } }]]);
  });
});

describe('an adapter\'s prices() answer is input, checked', () => {
  const records = [record('m1.small', '10', 'hour')];
  const answer = (periods: unknown) => ({ cost: () => '1', prices: () => periods as never });
  const tier = { from: new Decimal(0), rate: new Decimal('0.5'), row: 2 };

  it.each([
    ['not a list', { oops: true }, 'returned object, not a list of price periods'],
    ['a period outside the window', [{ period: { start: MAY_UTC.start - 1, end: MAY_UTC.end }, unit: '', mode: 'graduated', tiers: [tier], scope: '*' }], 'period 1 ('],
    ['overlapping periods', [
      { period: { start: MAY_UTC.start, end: MAY_UTC.end }, unit: '', mode: 'graduated', tiers: [tier], scope: '*' },
      { period: { start: MAY_UTC.start, end: MAY_UTC.end }, unit: '', mode: 'graduated', tiers: [tier], scope: '*' },
    ], 'period 2 ('],
    ['no tiers', [{ period: { start: MAY_UTC.start, end: MAY_UTC.end }, unit: '', mode: 'graduated', tiers: [], scope: '*' }], 'period 1 has no tiers'],
    ['a first tier above 0', [{ period: { ...MAY_UTC }, unit: '', mode: 'graduated', tiers: [{ ...tier, from: '5' }], scope: '*' }], 'tier 1 is not a rate ≥ 0'],
    ['a negative rate', [{ period: { ...MAY_UTC }, unit: '', mode: 'graduated', tiers: [{ ...tier, rate: '-1' }], scope: '*' }], 'tier 1 is not a rate ≥ 0'],
    ['a hex rate', [{ period: { ...MAY_UTC }, unit: '', mode: 'graduated', tiers: [{ ...tier, rate: '0x19' }], scope: '*' }], 'tier 1 is not a rate ≥ 0'],
  ])('%s fails the tenant, naming the adapter', async (_what, periods, message) => {
    await expect(priceUsage(records, answer(periods), options(MAY_UTC, whole(records)))).rejects.toThrow(
      expect.objectContaining({ message: expect.stringContaining("the invoice adapter's prices(north, m1.small)") }),
    );
    await expect(priceUsage(records, answer(periods), options(MAY_UTC, whole(records)))).rejects.toThrow(message);
  });

  it('a period priced per another unit than the quantity\'s fails the tenant, naming both units', async () => {
    const perMonth = answer([{ period: { ...MAY_UTC }, unit: 'month', mode: 'graduated', tiers: [tier], scope: '*' }]);
    await expect(priceUsage(records, perMonth, options(MAY_UTC, whole(records)))).rejects.toBeInstanceOf(PricingError);
    await expect(priceUsage(records, perMonth, options(MAY_UTC, whole(records)))).rejects.toThrow(new PricingError(
      "the invoice adapter's prices(north, m1.small): north/m1.small is priced per month, but its quantity is in hour (config/meters.ini unit); fix the unit column or the rate",
    ));
    // The same unit, or none given, prices it.
    for (const unit of ['hour', '']) {
      const priced = await priceUsage(records, answer([{ period: { ...MAY_UTC }, unit, mode: 'graduated', tiers: [tier], scope: '*' }]), options(MAY_UTC, whole(records)));
      expect(priced.total.toFixed(2)).toBe('5.00');
    }
  });

  it('a stretch it leaves out has no price (billed at 0 only with allow_unpriced)', async () => {
    const half = { start: MAY_UTC.start, end: us('2024-05-16T00:00:00Z') };
    const partial = answer([{ period: half, unit: 'hour', mode: 'graduated', tiers: [tier], scope: '*' }]);
    const usageIn = (w: Window) => [record('m1.small', w.end <= half.end ? '6' : w.start >= half.end ? '4' : '10', 'hour')];
    await expect(priceUsage(usageIn(MAY_UTC), partial, options(MAY_UTC, usageIn))).rejects.toThrow('no price for north/m1.small');
    const allowed = await priceUsage(usageIn(MAY_UTC), partial, { ...options(MAY_UTC, usageIn), allowUnpriced: true });
    expect(plain(allowed.lines).map((l) => l.replace(/ \{.*/, ''))).toEqual([
      'm1.small 6 × 0.5 = 3.00 [2024-05-01T00:00..2024-05-16T00:00]',
      'm1.small 4 × 0 = 0.00 [2024-05-16T00:00..2024-06-01T00:00]',
    ]);
    expect(allowed.unpriced).toEqual(['north/m1.small']);
  });
});

describe('a service priced from a date inside the window', () => {
  const adapter = rates('*,ip.floating,hour,0.005,2024-05-15,\n');
  const ip = (from: string, to: string) => usageOf(gauge('ip.floating', 'ip-1', 1, from, to, 'ip'));

  it('usage only after the price starts: one line for that part, no failure', async () => {
    // Samples 05-20 00:00 to 23:00, the last held 1 h (max_gap): 24 h × 0.005 = 0.12
    const usageIn = ip('2024-05-20T00:00:00Z', '2024-05-20T23:10:00Z');
    const priced = await priceUsage(usageIn(MAY_AKL), adapter, options(MAY_AKL, usageIn));
    expect(plain(priced.lines)).toEqual(['ip.floating 24 × 0.005 = 0.12 [2024-05-14T12:00..2024-05-31T12:00] {"kind":"rate","row":2,"scope":"*"}']);
    expect(priced.unpriced).toEqual([]);
  });

  it('usage before the price starts: no price for it', async () => {
    const usageIn = ip('2024-05-10T00:00:00Z', '2024-05-11T00:00:00Z');
    await expect(priceUsage(usageIn(MAY_AKL), adapter, options(MAY_AKL, usageIn))).rejects.toThrow('no price for north/ip.floating');
  });
});
