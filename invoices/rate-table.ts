/**
 * config/rates.csv for the built-in file adapters: `datacenter,service,unit,rate`, where a
 * datacenter of `*` prices a service everywhere that has no row of its own.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { AdapterError, errorMessage, packageFile, plainDecimal, type Decimal, type InvoiceConfig, type PriceRow } from '../src/invoice/adapter.js';

const HEADER = ['datacenter', 'service', 'unit', 'rate'];

/** The rates file of the built-in file adapters: `[invoice:object] rates` (relative to the ini), else the packaged one. */
export function ratesFileOf(config: InvoiceConfig, configDir: string): string {
  return config.rates ? path.resolve(configDir, config.rates) : packageFile('config', 'rates.csv');
}

export interface Rate {
  rate: Decimal;
  unit: string;
}

export class RateTable {
  private constructor(readonly file: string, private readonly rates: Map<string, Rate>) {}

  static async load(file: string): Promise<RateTable> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AdapterError(`rates file ${file}: cannot read it (${errorMessage(error)}); set [invoice:object] rates`, { cause: error });
    }
    return RateTable.parse(text, file);
  }

  static parse(text: string, file: string): RateTable {
    let rows: string[][];
    try {
      // bom: a rates file saved as "CSV UTF-8" by a spreadsheet starts with a byte-order mark.
      rows = parse(text, { bom: true, comment: '#', skip_empty_lines: true, trim: true, relax_column_count: true });
    } catch (error) {
      throw new AdapterError(`rates file ${file}: not valid CSV: ${errorMessage(error)}`, { cause: error });
    }
    const header = rows.shift()?.map((cell) => cell.toLowerCase());
    if (!header || HEADER.some((name, i) => header[i] !== name)) {
      throw new AdapterError(`rates file ${file}: the first line must be the header ${HEADER.join(',')}`);
    }
    const rates = new Map<string, Rate>();
    rows.forEach((row, index) => {
      const where = `rates file ${file} row ${index + 2}`;
      if (row.length !== HEADER.length) throw new AdapterError(`${where}: expected ${HEADER.length} columns (${HEADER.join(',')}), got ${row.length}`);
      const [datacenter, service, unit, rateText] = row as [string, string, string, string];
      if (!datacenter || !service) throw new AdapterError(`${where}: datacenter and service must not be empty`);
      const rate = plainDecimal(rateText);
      if (!rate) throw new AdapterError(`${where}: rate '${rateText}' is not a decimal number; write it plainly, such as 0.025 or 2.5e-4`);
      if (rate.isNegative()) throw new AdapterError(`${where}: rate must be ≥ 0, got ${rateText}`);
      const key = RateTable.key(datacenter, service);
      if (rates.has(key)) throw new AdapterError(`${where}: a second rate for ${datacenter}/${service}`);
      rates.set(key, { rate, unit });
    });
    return new RateTable(file, rates);
  }

  private static key(datacenter: string, service: string): string {
    return `${datacenter}\u0000${service}`;
  }

  /** Every row, in file order: the file adapters' price list. */
  rows(): PriceRow[] {
    return [...this.rates].map(([key, { rate, unit }]) => {
      const [datacenter, service] = key.split('\u0000') as [string, string];
      return { datacenter, service, unit, rate };
    });
  }

  /** The datacenter's own rate, else the `*` rate, else undefined. */
  lookup(datacenter: string, service: string): Rate | undefined {
    return this.rates.get(RateTable.key(datacenter, service)) ?? this.rates.get(RateTable.key('*', service));
  }
}
