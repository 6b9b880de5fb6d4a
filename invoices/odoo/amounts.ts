/**
 * How an artifice line becomes an Odoo invoice line whose amount is artifice's amount.
 *
 * Odoo does not take a line amount: it stores `quantity` rounded to the "Product Unit of
 * Measure" precision and `price_unit` rounded to the "Product Price" precision, then computes
 * `price_subtotal = round(quantity × price_unit)` to the currency's rounding (half away from
 * zero, like artifice). Artifice's amount is `round(exact quantity × rate)`. The two usually
 * agree, but not always (2.004 h × 5.00 is 10.02 for artifice, 2.00 × 5.00 = 10.00 for Odoo).
 *
 * The choice, per line:
 * 1. `price_unit` = the rate (the product's list price) and `quantity` = the quantity at Odoo's
 *    precision, when Odoo's product gives artifice's amount (the usual case);
 * 2. else the same rate with the quantity moved by the fewest steps of Odoo's precision that
 *    make Odoo's product equal artifice's amount (1.016 h × 0.30: 1.02 would give 0.31, 1.01
 *    gives 0.30 = artifice's 0.3048 rounded), so the invoice still reads quantity × unit price
 *    = amount and a customer re-doing the multiplication gets the billed amount;
 * 3. else (a quantity step is worth more than a cent: a rate larger than 10^(quantity digits −
 *    currency digits)) one unit at `price_unit` = the amount, the exact quantity and rate in the
 *    line's label.
 * The exact quantity is always in the label and in the ledger. Amounts are never changed:
 * the invoice total is artifice's total.
 */
import { Decimal } from '../../src/invoice/adapter.js';

export interface Precision {
  quantityDigits: number;
  priceDigits: number;
  currencyDigits: number;
}

export type LineShape = 'exact' | 'quantity-adjusted' | 'lump';

export interface OdooAmount {
  quantity: Decimal;
  priceUnit: Decimal;
  shape: LineShape;
}

/** What Odoo stores as the line's subtotal for this quantity and price. */
export function odooSubtotal(quantity: Decimal, priceUnit: Decimal, p: Precision): Decimal {
  const q = quantity.toDecimalPlaces(p.quantityDigits, Decimal.ROUND_HALF_UP);
  const price = priceUnit.toDecimalPlaces(p.priceDigits, Decimal.ROUND_HALF_UP);
  return q.times(price).toDecimalPlaces(p.currencyDigits, Decimal.ROUND_HALF_UP);
}

/** How many quantity steps either way step 2 tries. */
const MAX_STEPS = 3;

export function odooAmount(line: { quantity: Decimal; rate: Decimal; amount: Decimal }, p: Precision): OdooAmount | undefined {
  const rateFits = line.rate.decimalPlaces() <= p.priceDigits;
  if (rateFits) {
    const q0 = line.quantity.toDecimalPlaces(p.quantityDigits, Decimal.ROUND_HALF_UP);
    if (odooSubtotal(q0, line.rate, p).eq(line.amount)) return { quantity: q0, priceUnit: line.rate, shape: 'exact' };
    const step = new Decimal(1).dividedBy(new Decimal(10).pow(p.quantityDigits));
    for (let k = 1; k <= MAX_STEPS; k++) {
      // The nearer side first: towards the exact quantity.
      const sides = line.quantity.gt(q0) ? [1, -1] : [-1, 1];
      for (const side of sides) {
        const q = q0.plus(step.times(k * side));
        if (q.isNegative()) continue;
        if (odooSubtotal(q, line.rate, p).eq(line.amount)) return { quantity: q, priceUnit: line.rate, shape: 'quantity-adjusted' };
      }
    }
  }
  if (line.amount.decimalPlaces() > Math.min(p.priceDigits, p.currencyDigits)) return undefined;
  return { quantity: new Decimal(1), priceUnit: line.amount, shape: 'lump' };
}
