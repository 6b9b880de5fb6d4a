/**
 * Usage records → invoice lines: one line per (datacenter, service) summing its resources'
 * quantities, priced by the adapter's `cost()` and rounded once per line (docs/architecture.md, "Prices and rounding").
 */
import { Decimal, lineAmount, plainDecimal } from './model/decimal.js';
import { PricingError } from './model/errors.js';
import type { Invoice } from './invoice/contract.js';
import type { InvoiceLine, UsageRecord } from './model/types.js';

export interface Priced {
  lines: InvoiceLine[];
  total: Decimal;
  /** (datacenter, service) pairs that had no price (only when unpriced services are allowed). */
  unpriced: string[];
}

interface Group {
  datacenter: string;
  name: string;
  unit: string;
  quantity: Decimal;
}

/** Sums records per (datacenter, service), in a stable order. */
export function groupUsage(records: UsageRecord[]): Group[] {
  const groups = new Map<string, Group>();
  for (const record of records) {
    const key = `${record.datacenter}\u0000${record.service}`;
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

export async function priceUsage(
  records: UsageRecord[],
  invoice: Pick<Invoice, 'cost'>,
  options: { digits: number; allowUnpriced: boolean },
): Promise<Priced> {
  const lines: InvoiceLine[] = [];
  const unpriced: string[] = [];
  for (const group of groupUsage(records)) {
    const rate = adapterRate(await invoice.cost(group.datacenter, group.name), group.datacenter, group.name);
    if (rate === undefined) unpriced.push(`${group.datacenter}/${group.name}`);
    const effective = rate ?? new Decimal(0);
    lines.push({ ...group, rate: effective, amount: lineAmount(group.quantity, effective, options.digits) });
  }
  if (unpriced.length && !options.allowUnpriced) {
    throw new PricingError(
      `no price for ${unpriced.join(', ')} (datacenter/service); add them to the rates, or set [main] allow_unpriced = true`,
    );
  }
  const total = lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
  return { lines, total, unpriced };
}

/**
 * What an adapter's cost() answered, as a rate: undefined for no price, else a plain decimal
 * ≥ 0, or a PricingError naming the datacenter/service and the value.
 */
export function adapterRate(value: unknown, datacenter: string, service: string): Decimal | undefined {
  if (value === undefined || value === null) return undefined;
  const rate = plainDecimal(value);
  if (rate && !rate.isNegative()) return rate;
  throw new PricingError(
    `the invoice adapter's cost(${datacenter}, ${service}) returned ${shown(value)}, not a rate ≥ 0 in plain decimal notation (such as '0.025')`,
  );
}

/** A value for a one-line message: strings quoted (a space or an empty string shows), long ones cut. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : Decimal.isDecimal(value) ? value.toString() : String(value);
  const line = text.replace(/\s+/g, ' ');
  return line.length > 40 ? `${line.slice(0, 40)}…` : line;
}
