/**
 * config/rates.csv for the built-in file adapters (docs/prices.md): rows of
 * `datacenter,service,unit,rate[,from,until,tenant,tier_from,tier_mode]` (invoices/rate-rows.ts).
 * Rows of one (datacenter, service, tenant scope) and one `from`/`until` are one price: a flat
 * rate, or a tier list. Prices of one (datacenter, service, scope) must not overlap in time.
 * The price for a tenant at an instant: its own rows, else its group's, else everyone's; each
 * in the datacenter's rows, else the `*` rows.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import {
  AdapterError, Decimal, PricingError, errorMessage, formatTimestamp, packageFile,
  type InvoiceConfig, type Micros, type PricePeriod, type PriceQuery, type PriceRow, type PriceTier,
} from '../src/invoice/adapter.js';
import { readHeader, readRow, scopeText, type RateRow, type ReadOptions, type Scope, type TierMode } from './rate-rows.js';

/** The rates file of the built-in file adapters: `[invoice:object] rates` (relative to the ini), else the packaged one. */
export function ratesFileOf(config: InvoiceConfig, configDir: string): string {
  return config.rates ? path.resolve(configDir, config.rates) : packageFile('config', 'rates.csv');
}

export interface Rate {
  rate: Decimal;
  unit: string;
}

/** One price: the rows of one (datacenter, service, scope, from, until), a flat rate or tiers. */
interface Price {
  scope: Scope;
  from?: Micros;
  until?: Micros;
  unit: string;
  mode: TierMode;
  tiers: PriceTier[];
}

const DEFAULT_OPTIONS: ReadOptions = { timezone: 'UTC' };
const key = (...parts: string[]) => parts.join('\u0000');
const scopeKey = (scope: Scope) => (scope.kind === 'all' ? '*' : scope.kind === 'group' ? `g:${scope.group}` : `t:${scope.tenant}`);
const when = (us: Micros | undefined) => (us === undefined ? 'open' : formatTimestamp(us));

export class RateTable {
  private constructor(
    readonly file: string,
    private readonly all: RateRow[],
    /** (datacenter, service) → its prices. */
    private readonly prices: Map<string, Price[]>,
  ) {}

  static async load(file: string, options: ReadOptions = DEFAULT_OPTIONS): Promise<RateTable> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new AdapterError(`rates file ${file}: cannot read it (${errorMessage(error)}); set [invoice:object] rates`, { cause: error });
    }
    return RateTable.parse(text, file, options);
  }

  static parse(text: string, file: string, options: ReadOptions = DEFAULT_OPTIONS): RateTable {
    let records: { record: string[]; info: { lines: number } }[];
    try {
      // bom: a rates file saved as "CSV UTF-8" by a spreadsheet starts with a byte-order mark.
      // info: each row's line in the file, which errors and a line's basis name (comments count).
      records = parse(text, { bom: true, comment: '#', skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as typeof records;
    } catch (error) {
      throw new AdapterError(`rates file ${file}: not valid CSV: ${errorMessage(error)}`, { cause: error });
    }
    const header = readHeader(records.shift()?.record, file);
    const rows = records.map(({ record, info }) => readRow(header, record, info.lines, `rates file ${file} row ${info.lines}`, options));
    return new RateTable(file, rows, pricesOf(rows, file));
  }

  /** Every row, in file order: the file adapters' price list. */
  rows(): PriceRow[] {
    return this.all.map((row) => ({
      datacenter: row.datacenter, service: row.service, unit: row.unit, rate: row.rate,
      ...(row.from !== undefined ? { from: formatTimestamp(row.from) } : {}),
      ...(row.until !== undefined ? { until: formatTimestamp(row.until) } : {}),
      ...(row.scope.kind !== 'all' ? { scope: scopeText(row.scope) } : {}),
      ...(row.tierFrom !== undefined ? { tierFrom: row.tierFrom.toFixed() } : {}),
    }));
  }

  /** The unit of the row on `line` of the file (a line's basis), or undefined. */
  unitOfRow(line: number): string | undefined {
    return this.all.find((row) => row.line === line)?.unit;
  }

  /**
   * The stretches of `query.period` with a price for the service, in time order: the most
   * specific price in force at each instant (see the module comment). Gaps have no price.
   */
  schedule(datacenter: string, service: string, query: PriceQuery): PricePeriod[] {
    const levels = this.levels(datacenter, service, query);
    const { start, end } = query.period;
    const cuts = new Set<Micros>([start, end]);
    for (const price of levels) for (const t of [price.from, price.until]) if (t !== undefined && t > start && t < end) cuts.add(t);
    const times = [...cuts].sort((a, b) => a - b);
    const result: PricePeriod[] = [];
    let previous: Price | undefined;
    for (let i = 0; i + 1 < times.length; i++) {
      const [a, b] = [times[i]!, times[i + 1]!];
      const price = this.priceAt(levels, a, `${datacenter}/${service}`, query.tenant);
      if (price && price === previous) result[result.length - 1]!.period.end = b;
      else if (price) result.push({ period: { start: a, end: b }, unit: price.unit, mode: price.mode, tiers: price.tiers, scope: scopeText(price.scope) });
      previous = price;
    }
    return result;
  }

  /**
   * The first tier's rate in force at `at` (default: now) for the tenant of `query`, else
   * everyone's: what `cost()` answers an adapter caller that asks for one rate.
   */
  lookup(datacenter: string, service: string, query?: Partial<PriceQuery> & { at?: Micros }): (Rate & { row: number }) | undefined {
    const at = query?.at ?? query?.period?.start ?? Date.now() * 1000;
    const tenant = query?.tenant ?? { id: '' };
    const price = this.priceAt(this.levels(datacenter, service, { tenant, group: query?.group }), at, `${datacenter}/${service}`, tenant);
    const tier = price?.tiers[0];
    return price && tier ? { rate: tier.rate, unit: price.unit, row: tier.row } : undefined;
  }

  /**
   * The first of `levels` in force at `at`. Rows of a tenant's id and of its name both in force
   * leave no rule to choose between them (the first in the file would win silently): refused.
   */
  private priceAt(levels: Price[], at: Micros, what: string, tenant: PriceQuery['tenant']): Price | undefined {
    const live = levels.filter((p) => (p.from === undefined || p.from <= at) && (p.until === undefined || at < p.until));
    const own = live.filter((p) => p.scope.kind === 'tenant');
    const other = own.find((p) => scopeKey(p.scope) !== scopeKey(own[0]!.scope));
    if (other) {
      const row = (p: Price) => `row ${p.tiers[0]!.row} (${scopeText(p.scope)}, by its ${scopeKey(p.scope) === `t:${tenant.id}` ? 'id' : 'name'})`;
      throw new PricingError(
        `rates file ${this.file}: ${row(own[0]!)} and ${row(other)} both price ${what} for tenant ${tenant.id}` +
          `${tenant.name !== undefined ? ` (${tenant.name})` : ''} at ${formatTimestamp(at)}; keep the rows of one of its id or its name`,
      );
    }
    return live[0];
  }

  /** The prices that may apply, most specific first: tenant, group, everyone; each the datacenter's, then `*`. */
  private levels(datacenter: string, service: string, query: Omit<PriceQuery, 'period'>): Price[] {
    const { tenant, group } = query;
    const matches = [
      (s: Scope) => s.kind === 'tenant' && (s.tenant === tenant.id || (tenant.name !== undefined && s.tenant === tenant.name)),
      (s: Scope) => s.kind === 'group' && group !== undefined && s.group === group,
      (s: Scope) => s.kind === 'all',
    ];
    const here = this.prices.get(key(datacenter, service)) ?? [];
    const anywhere = datacenter === '*' ? [] : this.prices.get(key('*', service)) ?? [];
    return matches.flatMap((match) => [...here.filter((p) => match(p.scope)), ...anywhere.filter((p) => match(p.scope))]);
  }
}

/** Rows → prices per (datacenter, service), checking tier lists and that no two prices overlap. */
function pricesOf(rows: RateRow[], file: string): Map<string, Price[]> {
  const lists = new Map<string, RateRow[]>();
  for (const row of rows) {
    const k = key(row.datacenter, row.service, scopeKey(row.scope), String(row.from ?? ''), String(row.until ?? ''));
    lists.set(k, [...(lists.get(k) ?? []), row]);
  }
  const prices = new Map<string, Price[]>();
  for (const list of lists.values()) {
    const first = list[0]!;
    const k = key(first.datacenter, first.service);
    prices.set(k, [...(prices.get(k) ?? []), priceOf(list, file)]);
  }
  for (const [k, list] of prices) checkOverlaps(k, list, rows, file);
  return prices;
}

/** One tier list (or one flat rate): tiers ascending from 0, one unit and one mode. */
function priceOf(list: RateRow[], file: string): Price {
  const first = list[0]!;
  const what = `${first.datacenter}/${first.service}${first.scope.kind === 'all' ? '' : ` for ${scopeText(first.scope)}`}`;
  list.forEach((row, i) => {
    const where = `rates file ${file} row ${row.line}`;
    if (i === 0) return;
    const before = list[i - 1]!;
    if (row.tierFrom === undefined && before.tierFrom === undefined) throw new AdapterError(`${where}: a second rate for ${what} in force at the same time (row ${before.line}); give one of them other from/until dates`);
    if (row.tierFrom === undefined || before.tierFrom === undefined || row.tierFrom.lte(before.tierFrom)) {
      throw new AdapterError(`${where}: tier_from ${row.tierFrom?.toFixed() ?? '(empty)'} of ${what} is not above the tier_from ${before.tierFrom?.toFixed() ?? '(empty)'} of row ${before.line}; list a service's tiers by increasing tier_from`);
    }
    if (row.unit !== first.unit) throw new AdapterError(`${where}: the tiers of ${what} must have one unit: '${row.unit}' here, '${first.unit}' in row ${first.line}`);
    if (row.tierMode !== first.tierMode) throw new AdapterError(`${where}: the tiers of ${what} must have one tier_mode: ${row.tierMode} here, ${first.tierMode} in row ${first.line}`);
  });
  if (first.tierFrom !== undefined && !first.tierFrom.isZero()) {
    throw new AdapterError(`rates file ${file} row ${first.line}: the tiers of ${what} start at ${first.tierFrom.toFixed()}, leaving a gap below it; ` +
      'the first tier must have tier_from 0');
  }
  return {
    scope: first.scope, from: first.from, until: first.until, unit: first.unit, mode: first.tierMode,
    tiers: list.map((row) => ({ from: row.tierFrom ?? new Decimal(0), rate: row.rate, row: row.line })),
  };
}

/** Two prices of one (datacenter, service, scope) whose from/until overlap: the rows that say so. */
function checkOverlaps(k: string, prices: Price[], rows: RateRow[], file: string): void {
  const byScope = new Map<string, Price[]>();
  for (const price of prices) byScope.set(scopeKey(price.scope), [...(byScope.get(scopeKey(price.scope)) ?? []), price]);
  for (const list of byScope.values()) {
    const sorted = [...list].sort((a, b) => (a.from ?? -Infinity) - (b.from ?? -Infinity));
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1]!, sorted[i]!];
      if (a.until === undefined || b.from === undefined || a.until > b.from) {
        const [dc, service] = k.split('\u0000');
        const lineOf = (p: Price) => rows.find((r) => r.line === p.tiers[0]!.row)!.line;
        throw new AdapterError(`rates file ${file} row ${lineOf(b)}: ${dc}/${service}${b.scope.kind === 'all' ? '' : ` for ${scopeText(b.scope)}`} ` +
          `from ${when(b.from)} until ${when(b.until)} overlaps row ${lineOf(a)} (from ${when(a.from)} until ${when(a.until)}); ` +
          'end one where the other starts (until is exclusive)');
      }
    }
  }
}
