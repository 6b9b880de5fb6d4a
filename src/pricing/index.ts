/**
 * Usage records → invoice lines (docs/prices.md; docs/architecture.md, "Prices and rounding"):
 * one line per (datacenter, service) summing its resources' quantities, rounded once per line.
 * With a bill's window and tenant, a price change inside the window splits the line at that
 * instant (the usage of each part measured on its own), a tiered price gives a line per tier,
 * and the tenant's discount and monthly minimum add their lines.
 */
import type { Config } from '../config.js';
import type { PricesConfig } from '../config/prices.js';
import { Decimal, lineAmount } from '../model/decimal.js';
import { PricingError } from '../model/errors.js';
import type { Invoice } from '../invoice/contract.js';
import type { BillingWindow, InvoiceLine, Tenant, UsageRecord, Window } from '../model/types.js';
import { adjustmentLines } from './adjust.js';
import { groupKey, partUsage, peaksOf, splitQuantities, type Group } from './parts.js';
import { basisOf, stretchesOf, type Stretch } from './schedule.js';
import { tenantPrices } from './tenant.js';
import { graduated, volumeTier } from './tiers.js';

export { adapterRate } from './rate.js';
export { tenantGroup, tenantPrices } from './tenant.js';

export interface Priced {
  lines: InvoiceLine[];
  total: Decimal;
  /** (datacenter, service) pairs that had no price (only when unpriced services are allowed). */
  unpriced: string[];
}

/** The bill being priced: whose, which window, and the usage of a part of that window. */
export interface PricedBill {
  tenant: Tenant;
  window: BillingWindow;
  currency: string;
  /** `[price_groups]`, `[discounts]`, `[minimums]`. */
  prices?: PricesConfig;
  /** The tenant's usage in a part of the window (the same samples, measured on that part only). */
  usageIn: (part: Window) => UsageRecord[] | Promise<UsageRecord[]>;
}

export interface PricingOptions {
  digits: number;
  allowUnpriced: boolean;
  /** Without it, each line is priced by `cost(datacenter, service)` alone (no dates, tenants, discounts). */
  bill?: PricedBill;
}

/** How `bill` (and `verify`) price a tenant's window: the window's prices, the tenant's price list, each part's usage. */
export function pricingOptions(config: Config, tenant: Tenant, window: BillingWindow, usageIn: PricedBill['usageIn']): PricingOptions {
  return {
    digits: config.main.currencyDigits, allowUnpriced: config.main.allowUnpriced,
    bill: { tenant, window, currency: config.main.currency, prices: config.prices, usageIn },
  };
}

/** Sums records per (datacenter, service), in a stable order. */
export function groupUsage(records: UsageRecord[]): Group[] {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const key = groupKey(record);
    const group = groups.get(key);
    if (!group) {
      groups.set(key, { datacenter: record.datacenter, name: record.service, unit: record.unit, quantity: record.quantity });
    } else if (group.unit !== record.unit) {
      throw new PricingError(
        `service ${record.service} has quantities in ${group.unit} and in ${record.unit}; give the meters that share it one unit in the meters file`,
      );
    } else {
      group.quantity = group.quantity.plus(record.quantity);
    }
  }
  return [...groups.values()].sort((a, b) => compare(a.datacenter, b.datacenter) || compare(a.name, b.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export async function priceUsage(records: UsageRecord[], invoice: Pick<Invoice, 'cost' | 'prices'>, options: PricingOptions): Promise<Priced> {
  const { bill } = options;
  const lines: InvoiceLine[] = [];
  const unpriced: string[] = [];
  const parts = bill ? partUsage(bill.usageIn, records, groupUsage) : undefined;
  const peaks = peaksOf(records);
  const tenantList = bill ? tenantPrices(bill.prices, bill.tenant) : {};
  for (const group of groupUsage(records)) {
    const query = bill && { tenant: bill.tenant, ...(tenantList.group ? { group: tenantList.group } : {}), period: bill.window };
    const stretches = await stretchesOf(invoice, group.datacenter, group.name, group.unit, query);
    const quantities = stretches.length === 1 ? [group.quantity] : await splitQuantities(group, stretches, peaks.get(groupKey(group)), parts!);
    const groupLines = linesOf(group, stretches, quantities, options.digits);
    // A stretch without a price matters only when it has usage (it has a line, without a basis).
    if (groupLines.some((line) => !line.basis)) unpriced.push(`${group.datacenter}/${group.name}`);
    lines.push(...groupLines);
  }
  if (unpriced.length && !options.allowUnpriced) {
    throw new PricingError(
      `no price for ${unpriced.join(', ')} (datacenter/service); add them to the rates, or set [main] allow_unpriced = true`,
    );
  }
  if (bill) lines.push(...adjustmentLines(lines, tenantList, { window: bill.window, currency: bill.currency, digits: options.digits }));
  const total = lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
  return { lines, total, unpriced };
}

/**
 * The lines of one (datacenter, service): one per price stretch and tier. A stretch without
 * quantity gets no line unless no stretch has any (a line of 0 still shows what was measured).
 */
function linesOf(group: Group, stretches: Stretch[], quantities: Decimal[], digits: number): InvoiceLine[] {
  const split = stretches.length > 1;
  const anyUsed = quantities.some((q) => !q.isZero());
  let before = new Decimal(0);
  const lines: InvoiceLine[] = [];
  stretches.forEach((stretch, i) => {
    const quantity = quantities[i]!;
    if (anyUsed && quantity.isZero()) return;
    const base = { datacenter: group.datacenter, name: group.name, unit: group.unit, ...(split ? { period: stretch.period } : {}) };
    const price = stretch.price;
    if (!price) {
      lines.push({ ...base, quantity, rate: new Decimal(0), amount: new Decimal(0) });
    } else {
      const tierParts = price.mode === 'volume'
        ? [{ tier: volumeTier(price.tiers, group.quantity), quantity }]
        : graduated(price.tiers, before, quantity);
      for (const part of tierParts) {
        lines.push({ ...base, quantity: part.quantity, rate: part.tier.rate, amount: lineAmount(part.quantity, part.tier.rate, digits), basis: basisOf(price, part.tier) });
      }
    }
    before = before.plus(quantity);
  });
  return lines;
}
