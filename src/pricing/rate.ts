/** An adapter's answer read as a rate, as `bill`, `verify` and price coverage read it. */
import { Decimal, plainDecimal } from '../model/decimal.js';
import { PricingError } from '../model/errors.js';

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
