/**
 * The price stretches of one (datacenter, service) over a bill's window: the adapter's
 * `prices()` when it has one (the rich price list: dated rows, tenant rows, tiers), else one
 * stretch at the rate `cost()` answers. An adapter's answer is input: checked, never trusted.
 */
import { Decimal, plainDecimal } from '../model/decimal.js';
import { PricingError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import type { Invoice, PricePeriod, PriceQuery } from '../invoice/contract.js';
import { unitMismatch } from '../invoice/price-list.js';
import type { LineBasis, Window } from '../model/types.js';
import { adapterRate } from './rate.js';

/** A stretch of the window: its price (tiers ascending from 0), or none. */
export interface Stretch {
  period: Window;
  price?: { unit: string; mode: 'graduated' | 'volume'; tiers: { from: Decimal; rate: Decimal; row?: number }[]; scope?: string };
}

/**
 * Without a query (no bill: a caller of priceUsage alone), `cost(datacenter, service)` as before
 * price lists. `unit` is the quantity's: a price per another unit would be wrong money.
 */
export async function stretchesOf(
  invoice: Pick<Invoice, 'cost' | 'prices'>, datacenter: string, service: string, unit: string, query: PriceQuery | undefined,
): Promise<Stretch[]> {
  if (!query || typeof invoice.prices !== 'function') {
    const rate = adapterRate(await (query ? invoice.cost(datacenter, service, query) : invoice.cost(datacenter, service)), datacenter, service);
    const period = query?.period ?? { start: 0, end: 0 };
    return [{ period, ...(rate === undefined ? {} : { price: { unit: '', mode: 'graduated', tiers: [{ from: new Decimal(0), rate }] } }) }];
  }
  const answer: unknown = await invoice.prices(datacenter, service, query);
  const who = `the invoice adapter's prices(${datacenter}, ${service})`;
  const periods = checkedPeriods(answer, who, query.period);
  for (const p of periods) {
    const problem = unitMismatch(who, datacenter, service, p.unit, unit);
    if (problem) throw new PricingError(problem);
  }
  const stretches: Stretch[] = [];
  let at = query.period.start;
  for (const p of periods) {
    if (p.period.start > at) stretches.push({ period: { start: at, end: p.period.start } });
    stretches.push({ period: { ...p.period }, price: { unit: p.unit, mode: p.mode, tiers: p.tiers, scope: p.scope } });
    at = p.period.end;
  }
  if (at < query.period.end) stretches.push({ period: { start: at, end: query.period.end } });
  return stretches;
}

/** What a line priced by `tier` of `price` records as its basis. */
export function basisOf(price: NonNullable<Stretch['price']>, tier: { from: Decimal; row?: number }): LineBasis {
  if (tier.row === undefined || tier.row < 0) return { kind: 'adapter' };
  return {
    kind: 'rate', row: tier.row, scope: price.scope ?? '*',
    ...(price.tiers.length > 1 ? { tier: { from: tier.from.toFixed(), mode: price.mode } } : {}),
  };
}

/** prices()'s answer: periods inside the window, in order, not overlapping, tiers ascending from 0 with rates ≥ 0. */
function checkedPeriods(answer: unknown, who: string, window: Window): PricePeriod[] {
  if (!Array.isArray(answer)) throw new PricingError(`${who} returned ${typeof answer}, not a list of price periods; see INVOICES.md, "Price lists"`);
  let at = window.start;
  return answer.map((item: PricePeriod, i) => {
    const bad = (why: string) => new PricingError(`${who}: period ${i + 1} ${why}; see INVOICES.md, "Price lists"`);
    const { start, end } = item?.period ?? {};
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start! < at || end! <= start! || end! > window.end) {
      throw bad(`(${String(start)}..${String(end)}) is not inside ${formatTimestamp(window.start)}..${formatTimestamp(window.end)} after the one before it`);
    }
    at = end!;
    if (!Array.isArray(item.tiers) || item.tiers.length === 0) throw bad('has no tiers');
    const tiers = item.tiers.map((tier, t) => {
      const from = plainDecimal(tier?.from);
      const rate = plainDecimal(tier?.rate);
      if (!from || !rate || rate.isNegative() || (t === 0 ? !from.isZero() : from.lte(plainDecimal(item.tiers[t - 1]!.from) ?? 0))) {
        throw bad(`tier ${t + 1} is not a rate ≥ 0 from a quantity above the tier before it (the first from 0)`);
      }
      return { from, rate, row: Number.isSafeInteger(tier.row) ? tier.row : -1 };
    });
    return {
      period: { start: start!, end: end! }, unit: typeof item.unit === 'string' ? item.unit : '',
      mode: item.mode === 'volume' ? 'volume' : 'graduated', tiers, scope: typeof item.scope === 'string' ? item.scope : '*',
    };
  });
}
