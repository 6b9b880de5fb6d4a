/**
 * Units in a price list (the optional `priceList()` of the adapter contract): a rate per another
 * unit than the quantity's (per GB-month for GB-hours) would be wrong money. The file adapters
 * refuse such a line at addLine; price coverage reports the pair as not priced, in the same words.
 */
import type { PriceList } from './contract.js';

/** Why a rate per `priced` cannot price a quantity in `unit`, or undefined (no unit given: not checked). */
export function unitMismatch(where: string, datacenter: string, service: string, priced: string | undefined, unit: string): string | undefined {
  if (!priced || priced === unit) return undefined;
  return `${where}: ${datacenter}/${service} is priced per ${priced}, but its quantity is in ${unit} ` +
    '(config/meters.ini unit); fix the unit column or the rate';
}

/** The same for the list's row of (datacenter, service), else its `*` row. */
export function priceListUnitProblem(list: PriceList | undefined, datacenter: string, service: string, unit: string): string | undefined {
  if (!list) return undefined;
  const find = (dc: string) => list.rows.find((row) => row.datacenter === dc && row.service === service);
  return unitMismatch(list.where, datacenter, service, (find(datacenter) ?? find('*'))?.unit, unit);
}
