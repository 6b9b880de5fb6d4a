/**
 * A quantity across tiers (docs/prices.md, "Tiers"). Graduated: each tier prices the part of the
 * quantity between its `from` and the next tier's; the window's usage so far (`before`, from the
 * earlier price periods of the window) fills the tiers first. Volume: all of the quantity at the
 * rate of the tier the window's whole quantity reaches (a quantity of exactly `from` is in it).
 */
import { Decimal } from '../model/decimal.js';

/** A tier: a lower bound of quantity, and whatever prices it. */
interface Tier {
  from: Decimal;
}

export interface TierPart<T extends Tier> {
  tier: T;
  quantity: Decimal;
}

export function graduated<T extends Tier>(tiers: readonly T[], before: Decimal, quantity: Decimal): TierPart<T>[] {
  const start = before;
  const end = before.plus(quantity);
  const parts: TierPart<T>[] = [];
  tiers.forEach((tier, i) => {
    const next = tiers[i + 1]?.from;
    const low = Decimal.max(start, tier.from);
    const high = next === undefined ? end : Decimal.min(end, next);
    if (high.gt(low)) parts.push({ tier, quantity: high.minus(low) });
  });
  // No quantity at all: still one line (of 0), in the tier the window had reached.
  if (parts.length === 0) parts.push({ tier: volumeTier(tiers, before), quantity: new Decimal(0) });
  return parts;
}

/** The tier a whole quantity reaches: the last whose `from` it is at or above. */
export function volumeTier<T extends Tier>(tiers: readonly T[], whole: Decimal): T {
  return [...tiers].reverse().find((tier) => whole.gte(tier.from)) ?? tiers[0]!;
}
