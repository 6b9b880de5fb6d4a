/** Rates for tests of adapters that price one rate per service (Odoo products, the example adapter). */
import { readFileSync } from 'node:fs';
import { packageFile } from '../../src/model/paths.js';

/**
 * config/rates.csv with one price per (datacenter, service) in its first four columns: a price
 * change's later rows (a `from`) are left out, and the first row's `until` with them.
 */
export function onePriceRates(): string {
  const rows = readFileSync(packageFile('config', 'rates.csv'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const [header, ...data] = rows;
  return `${[header!.split(',').slice(0, 4).join(','), ...data.filter((row) => !row.split(',')[4]).map((row) => row.split(',').slice(0, 4).join(','))].join('\n')}\n`;
}
