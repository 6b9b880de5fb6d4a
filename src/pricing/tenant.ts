/**
 * A tenant's own price list in artifice.ini (docs/prices.md): its `[price_groups]` group, and the
 * discount and monthly minimum that apply to it, its own (by id, then name) before its group's.
 */
import type { PricesConfig } from '../config/prices.js';
import type { Decimal } from '../model/decimal.js';
import { PricingError } from '../model/errors.js';
import type { Tenant } from '../model/types.js';

export interface TenantPrices {
  group?: string;
  discount?: { percent: Decimal; key: string; label: string };
  minimum?: { amount: Decimal; key: string; label: string };
}

/**
 * The tenant's `[price_groups]` group. The config refuses one entry in two groups, but not the
 * tenant's id in one and its name in another: that leaves no rule to choose, so it is refused here.
 */
export function tenantGroup(prices: PricesConfig | undefined, tenant: Tenant): string | undefined {
  if (!prices) return undefined;
  const names = [tenant.id, ...(tenant.name !== undefined ? [tenant.name] : [])];
  const groups = Object.keys(prices.groups).filter((group) => prices.groups[group]!.some((member) => names.includes(member)));
  if (groups.length > 1) {
    const entry = (group: string) => `${group} (as ${prices.groups[group]!.filter((m) => names.includes(m)).join(', ')})`;
    throw new PricingError(
      `[price_groups] ${entry(groups[0]!)} and ${entry(groups[1]!)} both list tenant ${tenant.id}` +
        `${tenant.name !== undefined ? ` (${tenant.name})` : ''}, by its id and by its name; a tenant is in one price group at most`,
    );
  }
  return groups[0];
}

export function tenantPrices(prices: PricesConfig | undefined, tenant: Tenant): TenantPrices {
  const group = tenantGroup(prices, tenant);
  const keys = [tenant.id, ...(tenant.name !== undefined ? [tenant.name] : []), ...(group !== undefined ? [`group:${group}`] : [])];
  const pick = (table: Readonly<Record<string, Decimal>> | undefined) => {
    const key = keys.find((k) => table !== undefined && Object.hasOwn(table, k));
    // What the customer reads: the group's name, else the tenant's name.
    return key === undefined ? undefined : { value: table![key]!, key, label: key.startsWith('group:') ? group! : tenant.name ?? tenant.id };
  };
  const discount = pick(prices?.discounts);
  const minimum = pick(prices?.minimums);
  return {
    ...(group !== undefined ? { group } : {}),
    ...(discount ? { discount: { percent: discount.value, key: discount.key, label: discount.label } } : {}),
    ...(minimum ? { minimum: { amount: minimum.value, key: minimum.key, label: minimum.label } } : {}),
  };
}
