/**
 * The one decimal setup: quantities divide microseconds by 3.6e9 and bytes by 2^30, so the
 * default 20 significant digits are not enough to keep quantities exact before the single
 * rounding per line (docs/architecture.md, "Prices and rounding"). Import Decimal from here, or import this module once.
 */
import { Decimal } from 'decimal.js';

Decimal.set({ precision: 60, rounding: Decimal.ROUND_HALF_UP });

export { Decimal };

/**
 * Significant digits of a product kept before it is rounded to money. Quantities in hours are
 * µs / 3.6e9, which has no finite decimal form (62000 s = 17.2222… h): at 60 digits it is a hair
 * short, so an amount that is exactly half a cent (17.2222… h × 0.045 = 0.775) would round down.
 * Dropping the last digits, far below any rational amount's distance from a half cent, gives the
 * exact tie back, and so the rounding of the exact value.
 */
const AMOUNT_SIGNIFICANT_DIGITS = 50;

/** amount = quantity × rate, rounded half away from zero to the currency's digits. */
export function lineAmount(quantity: Decimal, rate: Decimal, digits: number): Decimal {
  return quantity
    .times(rate)
    .toSignificantDigits(AMOUNT_SIGNIFICANT_DIGITS, Decimal.ROUND_HALF_UP)
    .toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
}

/**
 * A quantity for output: at most `places` decimals, no trailing zeros, never exponent
 * notation (Decimal#toString writes 1e-8). The ledger keeps the exact value.
 */
export function formatQuantity(value: Decimal, places = 6): string {
  return value.toDecimalPlaces(places, Decimal.ROUND_HALF_UP).toFixed();
}

/** A rate as configured, in plain notation. */
export function formatRate(value: Decimal): string {
  return value.toFixed();
}

/** Money with exactly the currency's digits. */
export function formatMoney(value: Decimal, digits: number): string {
  return value.toFixed(digits, Decimal.ROUND_HALF_UP);
}

/**
 * Plain decimal notation only: decimal.js would also read `0x19` (25), `0b1` or `0o7`, and
 * `1e100000000`, whose digits exhaust memory once multiplied or printed. A number must be
 * finite; a Decimal (even another copy of decimal.js) is read back from its string.
 */
const PLAIN_DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/;

/** `value` as a Decimal when it is a decimal in plain notation, else undefined. */
export function plainDecimal(value: unknown): Decimal | undefined {
  let text: string;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number') text = Number.isFinite(value) ? String(value) : '';
  else if (Decimal.isDecimal(value)) text = value.toString();
  else return undefined;
  return PLAIN_DECIMAL.test(text) ? new Decimal(text) : undefined;
}
