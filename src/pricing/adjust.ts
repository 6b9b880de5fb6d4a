/**
 * The lines a tenant's price list adds after its usage lines (docs/prices.md): a percentage
 * discount, one line per datacenter section (its subtotal × −percent, rounded once), then a
 * monthly minimum (one line, in the last section, bringing the total up to it, never down).
 * The minimum applies to a bill of one calendar month only.
 */
import { Decimal, formatMoney, lineAmount } from '../model/decimal.js';
import type { BillingWindow, InvoiceLine } from '../model/types.js';
import type { TenantPrices } from './tenant.js';

const MONTH_LABEL = /^\d{4}-\d{2}$/;

export function adjustmentLines(
  lines: readonly InvoiceLine[], prices: TenantPrices, bill: { window: BillingWindow; currency: string; digits: number },
): InvoiceLine[] {
  if (lines.length === 0) return [];
  const added = prices.discount ? discountLines(lines, prices.discount, bill) : [];
  const total = [...lines, ...added].reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
  const minimum = prices.minimum;
  if (minimum && MONTH_LABEL.test(bill.window.label) && total.lt(minimum.amount)) {
    const rate = minimum.amount.minus(total);
    added.push({
      datacenter: lines[lines.length - 1]!.datacenter,
      name: `Monthly minimum ${formatMoney(minimum.amount, bill.digits)} ${bill.currency} (price list ${minimum.label})`,
      quantity: new Decimal(1), unit: 'month', rate, amount: lineAmount(new Decimal(1), rate, bill.digits),
      basis: { kind: 'minimum', minimum: minimum.amount.toFixed(), scope: minimum.key },
    });
  }
  return added;
}

function discountLines(
  lines: readonly InvoiceLine[], discount: NonNullable<TenantPrices['discount']>, bill: { currency: string; digits: number },
): InvoiceLine[] {
  if (discount.percent.isZero()) return [];
  const subtotals = new Map<string, Decimal>();
  for (const line of lines) subtotals.set(line.datacenter, (subtotals.get(line.datacenter) ?? new Decimal(0)).plus(line.amount));
  const rate = discount.percent.div(100).negated();
  return [...subtotals].filter(([, subtotal]) => !subtotal.isZero()).map(([datacenter, subtotal]) => ({
    datacenter,
    name: `Discount ${discount.percent.toFixed()}% (price list ${discount.label})`,
    quantity: subtotal, unit: bill.currency, rate, amount: lineAmount(subtotal, rate, bill.digits),
    basis: { kind: 'discount' as const, percent: discount.percent.toFixed(), scope: discount.key },
  }));
}
