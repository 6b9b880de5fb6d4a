/**
 * The rows of a rates file (config/rates.csv, docs/prices.md): the columns
 * `datacenter,service,unit,rate` and, optionally and in any order after them, `from`, `until`,
 * `tenant`, `tier_from` and `tier_mode`. A file with the four columns only is read as before.
 */
import { AdapterError, plainDecimal, readLocalInstant, type Decimal, type Micros } from '../src/invoice/adapter.js';

export const REQUIRED = ['datacenter', 'service', 'unit', 'rate'] as const;
export const OPTIONAL = ['from', 'until', 'tenant', 'tier_from', 'tier_mode'] as const;

export type TierMode = 'graduated' | 'volume';

/** Whose row: everyone's, one group's (`group:NAME`) or one tenant's (id or name). */
export type Scope = { kind: 'all' } | { kind: 'group'; group: string } | { kind: 'tenant'; tenant: string };

export interface RateRow {
  /** Its line in the file (comment and empty lines count). */
  line: number;
  datacenter: string;
  service: string;
  unit: string;
  rate: Decimal;
  /** In force from (inclusive) / until (exclusive); absent: open. */
  from?: Micros;
  until?: Micros;
  scope: Scope;
  /** The tier's lower bound; undefined: not a tier (one rate for all of the quantity). */
  tierFrom?: Decimal;
  tierMode: TierMode;
}

export interface ReadOptions {
  /** `[main] timezone`: dates without an offset are read in it. */
  timezone: string;
  /** `[price_groups]` names; undefined: group names are not checked. */
  groups?: readonly string[];
}

export function scopeText(scope: Scope): string {
  return scope.kind === 'all' ? '*' : scope.kind === 'group' ? `group ${scope.group}` : `tenant ${scope.tenant}`;
}

/** The header's column names, or an error saying what the first line must be. */
export function readHeader(cells: string[] | undefined, file: string): string[] {
  const header = cells?.map((cell) => cell.toLowerCase());
  if (!header || REQUIRED.some((name, i) => header[i] !== name)) {
    throw new AdapterError(`rates file ${file}: the first line must be the header ${REQUIRED.join(',')} ` +
      `(then, optionally, any of ${OPTIONAL.join(', ')})`);
  }
  const extra = header.slice(REQUIRED.length);
  const unknown = extra.find((name) => !(OPTIONAL as readonly string[]).includes(name));
  if (unknown !== undefined) throw new AdapterError(`rates file ${file}: unknown column '${unknown}' in the header; the optional columns are ${OPTIONAL.join(', ')}`);
  const twice = extra.find((name, i) => extra.indexOf(name) !== i);
  if (twice !== undefined) throw new AdapterError(`rates file ${file}: the column ${twice} appears twice in the header`);
  return header;
}

/** One row read against the header; `where` starts every error (`rates file F row N`). */
export function readRow(header: string[], cells: string[], line: number, where: string, options: ReadOptions): RateRow {
  if (cells.length < REQUIRED.length || cells.length > header.length) {
    const expected = header.length === REQUIRED.length ? `${REQUIRED.length}` : `${REQUIRED.length} to ${header.length}`;
    throw new AdapterError(`${where}: expected ${expected} columns (${header.join(',')}), got ${cells.length}`);
  }
  const cell = (name: string) => cells[header.indexOf(name)] ?? '';
  const [datacenter, service, unit, rateText] = cells as [string, string, string, string];
  if (!datacenter || !service) throw new AdapterError(`${where}: datacenter and service must not be empty`);
  const rate = plainDecimal(rateText);
  if (!rate) throw new AdapterError(`${where}: rate '${rateText}' is not a decimal number; write it plainly, such as 0.025 or 2.5e-4`);
  if (rate.isNegative()) throw new AdapterError(`${where}: rate must be ≥ 0, got ${rateText}`);
  const from = instant(cell('from'), 'from', where, options.timezone);
  const until = instant(cell('until'), 'until', where, options.timezone);
  if (from !== undefined && until !== undefined && from >= until) {
    throw new AdapterError(`${where}: from ${cell('from')} is not before until ${cell('until')}; a row is in force from (inclusive) until (exclusive)`);
  }
  return {
    line, datacenter, service, unit, rate, from, until,
    scope: scope(cell('tenant'), where, options.groups),
    tierFrom: tierFrom(cell('tier_from'), where),
    tierMode: tierMode(cell('tier_mode'), where),
  };
}

function instant(text: string, column: string, where: string, timezone: string): Micros | undefined {
  if (text === '') return undefined;
  const value = readLocalInstant(text, timezone);
  if (typeof value === 'number') return value;
  throw new AdapterError(`${where}: ${column} '${text}' is not a date or time (such as 2024-05-15 or 2024-05-15T12:00, read in [main] timezone ${timezone}): ${value}`);
}

function scope(text: string, where: string, groups: readonly string[] | undefined): Scope {
  if (text === '' || text === '*') return { kind: 'all' };
  const group = /^group:(.*)$/.exec(text)?.[1];
  if (group === undefined) return { kind: 'tenant', tenant: text };
  if (groups && !groups.includes(group)) {
    throw new AdapterError(`${where}: tenant group:${group} names a group that [price_groups] does not define` +
      (groups.length ? ` (its groups: ${groups.join(', ')})` : '; define it in artifice.ini as `[price_groups] ' + group + ' = tenant, tenant…`'));
  }
  return { kind: 'group', group };
}

function tierFrom(text: string, where: string): Decimal | undefined {
  if (text === '') return undefined;
  const value = plainDecimal(text);
  if (!value || value.isNegative()) throw new AdapterError(`${where}: tier_from '${text}' is not a quantity ≥ 0 in decimal notation, such as 1000`);
  return value;
}

function tierMode(text: string, where: string): TierMode {
  if (text === '' || text === 'graduated') return 'graduated';
  if (text === 'volume') return 'volume';
  throw new AdapterError(`${where}: tier_mode '${text}' is not graduated or volume`);
}
