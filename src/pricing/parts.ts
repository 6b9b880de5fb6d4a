/**
 * A price change inside a bill's window splits a (datacenter, service) line at that instant
 * (docs/prices.md, "Prices that change"): each part of the window is measured on its own, from
 * the same samples. The parts group exactly as the whole window does, and their quantities must
 * add up to the whole's: anything else fails the tenant rather than bill a wrong amount. A peak
 * (a `max` meter's record) does not add up over parts: it is not measured per part, but billed
 * whole at the price in force at the end of the window.
 */
import { Decimal } from '../model/decimal.js';
import { PricingError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import type { UsageRecord, Window } from '../model/types.js';

/** A line's (datacenter, service) and its quantity, in its unit. */
export interface Group {
  datacenter: string;
  name: string;
  unit: string;
  quantity: Decimal;
}

export const groupKey = (g: { datacenter: string; name?: string; service?: string }) => `${g.datacenter}\u0000${g.name ?? g.service}`;
const resourceKey = (r: UsageRecord) => `${r.meter}\u0000${r.resourceId}`;

/**
 * The quantity of a (datacenter, service) in a part of the window; each part measured once.
 * A resource's datacenter is decided by its last sample, so a resource that moved would land in
 * another datacenter in a part than in the whole window: a part's record takes the datacenter of
 * the whole window's record of the same resource, so the parts split the whole's lines and no
 * hour falls between them. (Its service needs no such care: each sample bills its own service,
 * the same in a part as in the whole.)
 */
export function partUsage(
  usageIn: (part: Window) => UsageRecord[] | Promise<UsageRecord[]>, whole: readonly UsageRecord[],
  groupUsage: (records: UsageRecord[]) => Group[],
): (part: Window, group: Group) => Promise<Decimal> {
  const datacenterOf = new Map(whole.map((r) => [resourceKey(r), r.datacenter]));
  const measured = new Map<string, Promise<Map<string, Group>>>();
  const asWhole = (r: UsageRecord): UsageRecord => {
    const datacenter = datacenterOf.get(resourceKey(r));
    return datacenter === undefined || datacenter === r.datacenter ? r : { ...r, datacenter };
  };
  const additive = (records: UsageRecord[]) => records.filter((r) => !r.peak).map(asWhole);
  return async (part, group) => {
    const key = `${part.start}-${part.end}`;
    let groups = measured.get(key);
    if (!groups) {
      groups = Promise.resolve(usageIn(part)).then((records) => new Map(groupUsage(additive(records)).map((g) => [groupKey(g), g])));
      measured.set(key, groups);
    }
    return (await groups).get(groupKey(group))?.quantity ?? new Decimal(0);
  };
}

/** Per (datacenter, service): the sum of its peak (`max`) records' quantities, which parts do not measure. */
export function peaksOf(records: readonly UsageRecord[]): Map<string, Decimal> {
  const peaks = new Map<string, Decimal>();
  for (const r of records) if (r.peak) peaks.set(groupKey(r), (peaks.get(groupKey(r)) ?? new Decimal(0)).plus(r.quantity));
  return peaks;
}

/**
 * The quantity of each stretch of a split group: its additive usage measured in each part (which
 * must add up to the whole window's), and its peak, a whole window's figure, all in the last
 * stretch with a price (the price in force at the end of the window), else in the last stretch.
 */
export async function splitQuantities(
  group: Group, stretches: readonly { period: Window; price?: unknown }[], peak: Decimal | undefined,
  measureIn: (part: Window, group: Group) => Promise<Decimal>,
): Promise<Decimal[]> {
  const periods = stretches.map((s) => s.period);
  const quantities = await Promise.all(periods.map((p) => measureIn(p, group)));
  if (!peak) {
    checkParts(group, group.quantity, periods, quantities);
    return quantities;
  }
  checkParts(group, group.quantity.minus(peak), periods, quantities);
  const priced = stretches.map((s) => s.price !== undefined).lastIndexOf(true);
  const last = priced >= 0 ? priced : stretches.length - 1;
  quantities[last] = quantities[last]!.plus(peak);
  return quantities;
}

/** The parts' quantities of a group must add up to the whole window's, exactly. */
function checkParts(group: Group, whole: Decimal, parts: readonly Window[], quantities: readonly Decimal[]): void {
  const sum = quantities.reduce((total, q) => total.plus(q), new Decimal(0));
  if (sum.eq(whole)) return;
  const each = parts.map((p, i) => `${formatTimestamp(p.start)}..${formatTimestamp(p.end)}: ${quantities[i]!.toFixed()}`).join(', ');
  throw new PricingError(
    `${group.datacenter}/${group.name}: the parts of the window a price change splits it into measure ${sum.toFixed()} ${group.unit} ` +
      `(${each}), not the window's ${whole.toFixed()}; the tenant is not billed rather than billed wrong: ` +
      'report it with the tenant\'s samples (artifice usage --explain shows them)',
  );
}
