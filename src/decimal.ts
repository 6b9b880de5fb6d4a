/**
 * The one decimal setup: quantities divide microseconds by 3.6e9 and bytes by 2^30, so the
 * default 20 significant digits are not enough to keep quantities exact before the single
 * rounding per line (DESIGN §7). Import Decimal from here, or import this module once.
 */
import { Decimal } from 'decimal.js';

Decimal.set({ precision: 60, rounding: Decimal.ROUND_HALF_UP });

export { Decimal };

/** amount = quantity × rate, rounded half away from zero to the currency's digits. */
export function lineAmount(quantity: Decimal, rate: Decimal, digits: number): Decimal {
  return quantity.times(rate).toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
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
