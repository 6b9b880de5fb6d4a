/**
 * A price change inside the window splits a line into parts (src/pricing/parts.ts): the parts
 * group as the whole window does and add up to it exactly, or the tenant fails.
 */
import type { PricesConfig } from '../../src/config/prices.js';
import { Decimal } from '../../src/model/decimal.js';
import { PricingError } from '../../src/model/errors.js';
import { readTimestamp } from '../../src/model/time.js';
import type { InvoiceLine, MeterSpec, Sample, UsageRecord, Window } from '../../src/model/types.js';
import { monthWindow } from '../../src/period.js';
import { priceUsage, type PricingOptions } from '../../src/pricing/index.js';
import { computeUsage } from '../../src/usage/index.js';
import { RateTable } from '../../invoices/rate-table.js';

const HOUR = 3_600_000_000;
const MAY = monthWindow({ year: 2024, month: 5 }, 'UTC');
const NO_PRICES: PricesConfig = { groups: {}, discounts: {}, minimums: {} };
const us = (iso: string) => readTimestamp(iso) as number;

function rates(text: string) {
  const table = RateTable.parse(`datacenter,service,unit,rate,from,until\n${text}`, 'rates.csv', { timezone: 'UTC' });
  return { cost: () => undefined, prices: (dc: string, service: string, query: Parameters<RateTable['schedule']>[2]) => table.schedule(dc, service, query) };
}

function options(usageIn: (w: Window) => UsageRecord[]): PricingOptions {
  return { digits: 2, allowUnpriced: false, bill: { tenant: { id: 'p' }, window: MAY, currency: 'EUR', prices: NO_PRICES, usageIn } };
}

const plain = (lines: InvoiceLine[]) => lines.map((l) => `${l.datacenter} ${l.name} ${l.quantity.toFixed()} × ${l.rate.toFixed()} = ${l.amount.toFixed(2)}`);

/** One sample an hour all May of `meter` for r1, its metadata by the hour's time. */
function hourly(meter: string, volume: number, metadata: (t: number) => Record<string, string>): Sample[] {
  const samples: Sample[] = [];
  for (let t = MAY.start; t < MAY.end; t += HOUR) {
    samples.push({ meter, resourceId: 'r1', projectId: 'p', timestamp: t, volume, unit: '', type: 'gauge', metadata: metadata(t), id: `s${t}`, source: 'openstack', region: 'r' });
  }
  return samples;
}

function spec(meter: string, transform: MeterSpec['transform'], service: string, unit: string): MeterSpec {
  return { meter, transform, service, unit, divideBy: new Decimal(1), maxGapUs: 2 * HOUR, lookbackUs: 2 * HOUR, trackedStates: ['active'], maxVolume: 1e9 };
}

function usageOf(samples: Sample[], specs: MeterSpec[], datacenters: Record<string, string> = {}) {
  return (window: Window): UsageRecord[] => computeUsage(samples, specs, {
    window, trustSources: [/^openstack$/], datacenterOf: (s) => datacenters[String(s.metadata.host)] ?? s.region,
  }).records;
}

describe('a resource that changed datacenter, its line split by a price change', () => {
  // r1 active all May (744 h), on h1 (north) until May 20 then h2 (south): the whole window puts
  // it in south (its last sample). A part measured alone would put May 1–15 in north.
  const samples = hourly('instance', 1, (t) => ({ 'flavor.name': 'm1.small', status: 'active', host: t < us('2024-05-20T00:00:00Z') ? 'h1' : 'h2' }));
  const usageIn = usageOf(samples, [spec('instance', 'uptime', 'flavor', 'hour')], { h1: 'north', h2: 'south' });
  const adapter = rates('*,m1.small,hour,0.025,,2024-05-15\n*,m1.small,hour,0.03,2024-05-15\n');

  it('bills every hour: each part in the whole window\'s datacenter', async () => {
    expect(usageIn(MAY).map((r) => `${r.datacenter} ${r.quantity.toFixed()}`)).toEqual(['south 744']);
    const priced = await priceUsage(usageIn(MAY), adapter, options(usageIn));
    // 14 days × 24 h = 336 h × 0.025 = 8.40; 17 days = 408 h × 0.03 = 12.24
    expect(plain(priced.lines)).toEqual(['south m1.small 336 × 0.025 = 8.40', 'south m1.small 408 × 0.03 = 12.24']);
    expect(priced.total.toFixed(2)).toBe('20.64');
  });
});

describe('parts that do not add up to the whole window', () => {
  it('fail the tenant with a PricingError naming the line, never bill a wrong amount', async () => {
    const record = (quantity: string): UsageRecord => ({
      meter: 'egress', resourceId: 'r', service: 'egress', datacenter: 'north', quantity: new Decimal(quantity), unit: 'gigabyte',
      samples: 1, firstSample: null, lastSample: null, gaps: [],
    });
    const cut = us('2024-05-15T00:00:00Z');
    // 700 + 800 ≠ 1400: a usageIn that loses or invents usage.
    const usageIn = (w: Window) => [record(w.end <= cut ? '700' : w.start >= cut ? '800' : '1400')];
    const adapter = rates('*,egress,gigabyte,0.1,,2024-05-15\n*,egress,gigabyte,0.2,2024-05-15\n');
    const failure = priceUsage(usageIn(MAY), adapter, options(usageIn));
    await expect(failure).rejects.toBeInstanceOf(PricingError);
    await expect(failure).rejects.toThrow(/^north\/egress: the parts .* measure 1500 gigabyte .* not the window's 1400;/);
  });
});

describe('a max (peak) meter across a price change', () => {
  // 8 vCPUs all May: the month's peak is 8, billed once, not once per part.
  const usageIn = usageOf(hourly('vcpus', 8, () => ({})), [spec('vcpus', 'max', 'license', 'vcpu')]);

  it('is billed once, the whole window\'s peak at the price in force at the end of the window', async () => {
    const priced = await priceUsage(usageIn(MAY), rates('*,license,vcpu,10,,2024-05-15\n*,license,vcpu,12,2024-05-15\n'), options(usageIn));
    expect(plain(priced.lines)).toEqual(['r license 8 × 12 = 96.00']);
    expect(priced.lines[0]!.period).toEqual({ start: us('2024-05-15T00:00:00Z'), end: MAY.end });
  });

  it('with no price at the end of the window, at the last price that covers part of it', async () => {
    const priced = await priceUsage(usageIn(MAY), rates('*,license,vcpu,10,,2024-05-15\n'), options(usageIn));
    expect(plain(priced.lines)).toEqual(['r license 8 × 10 = 80.00']);
  });
});
