/**
 * The tenant price lists of artifice.ini (docs/prices.md): `[price_groups]` (group = tenants, by
 * id or name), and per tenant or group a `[discounts]` percentage and a `[minimums]` monthly
 * amount. A key of `[discounts]`/`[minimums]` is `group:NAME` for a group, else a tenant id or name.
 */
import { Decimal } from '../model/decimal.js';
import type { Reader } from './reader.js';

export interface PricesConfig {
  /** Group name → its tenants (ids or names). A tenant is in one group at most. */
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** `group:NAME` or a tenant id or name → percent off, 0 to 100. */
  readonly discounts: Readonly<Record<string, Decimal>>;
  /** `group:NAME` or a tenant id or name → the least a monthly bill comes to, in [main] currency. */
  readonly minimums: Readonly<Record<string, Decimal>>;
}

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** Digits, and a fraction after a point: no sign, exponent or bare point, as a price list is read. */
const PLAIN = /^\d+(\.\d+)?$/;

/** `digits`: [main] currency_digits, which a minimum must not exceed (it would bill more than it says). */
export function parsePrices(at: Reader, digits: number): PricesConfig {
  const groups = parseGroups(at);
  const discounts = keyed(at, 'discounts', groups, (key, value) => {
    const percent = PLAIN.test(value.replace(/%$/, '')) ? new Decimal(value.replace(/%$/, '')) : undefined;
    if (!percent || percent.gt(100)) throw at.bad('discounts', key, value, 'use a percentage from 0 to 100, such as 10 or 12.5%');
    return percent;
  });
  const minimums = keyed(at, 'minimums', groups, (key, value) => {
    const amount = PLAIN.test(value) ? new Decimal(value) : undefined;
    if (!amount || amount.decimalPlaces() > digits) {
      throw at.bad('minimums', key, value, `use an amount ≥ 0 in [main] currency with at most ${digits} decimals ([main] currency_digits), such as 25 or ${(9.9).toFixed(digits)}`);
    }
    return amount;
  });
  return { groups, discounts, minimums };
}

function parseGroups(at: Reader): Record<string, string[]> {
  const groups: Record<string, string[]> = {};
  const memberOf = new Map<string, string>();
  for (const name of Object.keys(at.sections.get('price_groups') ?? {})) {
    if (!GROUP_NAME.test(name)) throw at.error('price_groups', name, 'is not a group name: use letters, digits, _ . and -');
    const tenants = at.list('price_groups', name, 'tenant id or name') ?? [];
    for (const tenant of tenants) {
      const other = memberOf.get(tenant);
      if (other !== undefined) {
        throw at.error('price_groups', name, `lists ${tenant}, which group ${other} lists too; a tenant is in one price group at most`);
      }
      memberOf.set(tenant, name);
    }
    groups[name] = tenants;
  }
  return groups;
}

/** A section keyed by tenant or `group:NAME`, its values read by `read`; a group must be in [price_groups]. */
function keyed(
  at: Reader, section: string, groups: Record<string, string[]>, read: (key: string, value: string) => Decimal,
): Record<string, Decimal> {
  const result: Record<string, Decimal> = {};
  for (const key of Object.keys(at.sections.get(section) ?? {})) {
    const group = /^group:(.*)$/.exec(key)?.[1];
    if (group !== undefined && !Object.hasOwn(groups, group)) {
      const known = Object.keys(groups);
      throw at.error(section, key, `names group ${group}, which [price_groups] does not define` +
        (known.length ? ` (its groups: ${known.join(', ')})` : '; define it there as `' + group + ' = tenant, tenant…`'));
    }
    const value = at.string(section, key);
    if (value === undefined) throw at.error(section, key, 'has no value');
    result[key] = read(key, value.trim());
  }
  return result;
}
