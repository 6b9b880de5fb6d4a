/**
 * Price coverage: can the configured adapter price every service of the meters file in every
 * datacenter? Shared by `artifice adapters` and the `price coverage` part of `artifice check`.
 *
 * - Datacenters: the values of `[datacenters]`, then the telemetry region (`[telemetry] region`
 *   and any `[region:NAME]` section): unmapped resources are billed in their region's section.
 * - Services: each meter's service; for the uptime meter the service is the flavor name, and no
 *   file lists every flavor of a cloud: the flavors checked are `--flavor` when given, else the
 *   names of `[flavors]` and the uptime services of the adapter's price list (its optional static
 *   `priceList()`: the rates file of csv and json) — those that are no other meter's service.
 *   The report says which.
 * - Units: a rate the price list gives per another unit than the meters file's is no price (the
 *   file adapters refuse it at addLine: bill would fail every tenant that uses it).
 *
 * - Periods and price lists (an adapter with `prices()`, such as csv and json): each pair is
 *   priced over the previous and the current month (a pair of the latest bills: over its bill's
 *   window), for everyone and for each `[price_groups]` group; a stretch that no row prices is a
 *   problem naming it, and a price change inside the period is shown.
 *
 * The adapter is constructed as for a dry run (billId `coverage-check`, dryRun true) and only
 * `cost()` and `prices()` are called: nothing is committed.
 */
import type { Config } from '../config.js';
import { isFlavorService, templateServices } from '../config/meters-template.js';
import { formatRate } from '../model/decimal.js';
import { firstLine, oneLine } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import type { Window } from '../model/types.js';
import { adapterRate } from '../pricing/index.js';
import type { Invoice, InvoiceClass, PriceList } from './contract.js';
import { invoiceSetup, newInvoice } from './context.js';
import { priceListUnitProblem } from './price-list.js';

export interface CoverageRow {
  datacenter: string;
  service: string;
  /** The meter the service comes from (`instance` for flavors). */
  meter: string;
  /** The unit rate, or null when there is none. */
  rate: string | null;
  /** Why there is no rate: the adapter's error, `no price`, a rate per another unit, a stretch with no price. */
  problem?: string;
  /** The prices over the period checked, when they change in it: `0.005 until 2024-05-15T00:00:00Z, then 0.004`. */
  changes?: string;
}

export interface Coverage {
  datacenters: string[];
  flavors: string[];
  /** Where the flavors came from, for the report. */
  flavorSource: string;
  /** How many pairs came from `extra` beyond the meters file's. */
  extra: number;
  rows: CoverageRow[];
  /** The adapter could not even be constructed. */
  error?: string;
  ok: boolean;
  /** With an adapter that has `prices()`: the price lists and the period checked. */
  periods?: { scopes: string[]; period: Window };
}

export function coverageDatacenters(config: Config): string[] {
  const regions = [config.telemetry.region, ...config.regions];
  return [...new Set([...Object.values(config.datacenters), ...regions].map((name) => name.trim()).filter(Boolean))];
}

/** The adapter's price list, or undefined when it has none or cannot give it (cost() then says why). */
export async function priceListOf(Adapter: InvoiceClass, config: Pick<Config, 'main' | 'dir' | 'invoice'>): Promise<PriceList | undefined> {
  if (typeof Adapter.priceList !== 'function') return undefined;
  try {
    return await Adapter.priceList({ ...config.invoice }, invoiceSetup(config));
  } catch {
    return undefined;
  }
}

export function coverageFlavors(config: Config, given: string[] = [], list?: PriceList): { flavors: string[]; source: string } {
  if (given.length) return { flavors: [...new Set(given)], source: '--flavor' };
  const listed = (list?.rows ?? []).map((row) => row.service);
  // A row named after a meter (`volume.size`, its service before templates) or under it
  // (`volume.size.ssd`, for a template not turned on in this meters file) is no flavor either.
  const underMeter = (spec: { meter: string }) => listed.filter((service) => service.startsWith(`${spec.meter}.`));
  const otherServices = new Set(config.meterSpecs.filter((spec) => !isFlavorService(spec))
    .flatMap((spec) => [spec.meter, ...underMeter(spec), ...templateServices(spec, listed)]));
  const fromSection = Object.values(config.flavors);
  const fromList = [...new Set((list?.rows ?? []).map((row) => row.service))].filter((service) => !otherServices.has(service));
  const flavors = [...new Set([...fromSection, ...fromList])].sort();
  const sources = [fromSection.length ? '[flavors]' : '', fromList.length ? list!.name : ''].filter(Boolean);
  return { flavors, source: sources.join(' and ') || 'nowhere (no [flavors], and no flavor in the adapter\'s price list): pass --flavor NAME' };
}

export interface CoverageOptions {
  flavors?: string[];
  now?: Date;
  /**
   * More (datacenter, service) pairs to price, e.g. the lines of the latest bills (`check`);
   * with a unit, the price list's rate must be per that unit.
   */
  extra?: { datacenter: string; service: string; unit?: string; window?: Window }[];
}

interface Pair {
  datacenter: string;
  service: string;
  meter: string;
  unit?: string;
}

export async function priceCoverage(config: Config, Adapter: InvoiceClass, options: CoverageOptions = {}): Promise<Coverage> {
  const extra = options.extra ?? [];
  const datacenters = [...new Set([...coverageDatacenters(config), ...extra.map((pair) => pair.datacenter)])];
  const list = await priceListOf(Adapter, config);
  const { flavors, source } = coverageFlavors(config, options.flavors, list);
  const base = { datacenters, flavors, flavorSource: source, extra: 0 };

  let adapter: Invoice;
  const now = options.now ?? new Date();
  const lastMonth = { start: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) * 1000, end: Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) * 1000 };
  const period = { start: lastMonth.start, end: Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) * 1000 };
  try {
    adapter = newInvoice(Adapter, config, { id: 'coverage-check', name: 'artifice coverage check' }, lastMonth, { billId: 'coverage-check', dryRun: true, revision: 1 });
  } catch (error) {
    return { ...base, rows: [], error: `${config.main.invoiceObject}: cannot construct the adapter: ${firstLine(error)}`, ok: false };
  }

  const pairs: (Pair & { windows: Window[] })[] = meterPairs(config, datacenters, flavors, (list?.rows ?? []).map((row) => row.service))
    .map((pair) => ({ ...pair, windows: [period] }));
  const known = new Map(pairs.map((pair) => [`${pair.datacenter}\u0000${pair.service}`, pair]));
  for (const { window, ...pair } of extra) {
    const key = `${pair.datacenter}\u0000${pair.service}`;
    const seen = known.get(key);
    // A pair of a latest bill is checked over that bill's window too.
    if (seen) {
      if (window && !seen.windows.some((w) => w.start <= window.start && window.end <= w.end)) seen.windows.push(window);
      continue;
    }
    const added = { ...pair, meter: 'latest bill', windows: window ? [window] : [period] };
    known.set(key, added);
    pairs.push(added);
    base.extra++;
  }
  const rows: CoverageRow[] = [];
  const groups = Object.keys(config.prices?.groups ?? {});
  for (const { windows, ...pair } of pairs) rows.push(await periodRow(adapter, await coverageRow(adapter, list, pair), windows, groups));
  return {
    ...base, rows, ok: rows.length > 0 && rows.every((row) => row.rate !== null),
    ...(typeof adapter.prices === 'function' ? { periods: { scopes: ['everyone', ...groups.map((g) => `group ${g}`)], period } } : {}),
  };
}

/**
 * A priced row checked over `period` with `prices()`, for everyone and each group: a stretch
 * without a price makes it a problem (a tenant billed then would fail); changes are noted.
 */
async function periodRow(adapter: Invoice, row: CoverageRow, periods: Window[], groups: string[]): Promise<CoverageRow> {
  if (typeof adapter.prices !== 'function') return row;
  const ask = async (group?: string, only?: Window) => {
    const answers = [];
    for (const period of only ? [only] : periods) {
      answers.push(...await adapter.prices!(row.datacenter, row.service, { tenant: { id: 'coverage-check' }, ...(group ? { group } : {}), period }));
    }
    return answers;
  };
  if (row.rate === null) return row.problem === 'no price' ? groupsOnly(row, groups, ask) : row;
  const gaps = async (group?: string) => (await Promise.all(periods.map(async (p) => gapsOf(await ask(group, p), p)))).flat();
  try {
    const everyone = await ask(undefined, periods[0]);
    const missing = [{ who: 'everyone', gaps: await gaps() }];
    for (const group of groups) missing.push({ who: `group ${group}`, gaps: await gaps(group) });
    const uncovered = missing.filter((m) => m.gaps.length);
    const changes = everyone.length > 1 ? everyone.map((p, i) => (i === 0 ? `${formatRate(p.tiers[0]!.rate)} until ${formatTimestamp(p.period.end)}` : `then ${formatRate(p.tiers[0]!.rate)}`)).join(', ') : undefined;
    if (!uncovered.length) return { ...row, ...(changes ? { changes } : {}) };
    const problem = uncovered.map((m) => `no price for ${m.who} ${m.gaps.map((g) => `from ${formatTimestamp(g.start)} until ${formatTimestamp(g.end)}`).join(', ')}`).join('; ');
    return { ...row, rate: null, problem };
  } catch (error) {
    return { ...row, rate: null, problem: oneLine(error) };
  }
}

/** A service no row prices for everyone: say which groups have a price for it. */
async function groupsOnly(row: CoverageRow, groups: string[], ask: (group: string) => Promise<unknown[]> | unknown[]): Promise<CoverageRow> {
  const priced: string[] = [];
  for (const group of groups) if ((await ask(group)).length) priced.push(group);
  return priced.length ? { ...row, problem: `no price for everyone (priced for group ${priced.join(', ')} only)` } : row;
}

function gapsOf(periods: { period: Window }[], whole: Window): Window[] {
  const gaps: Window[] = [];
  let at = whole.start;
  for (const { period } of periods) {
    if (period.start > at) gaps.push({ start: at, end: period.start });
    at = Math.max(at, period.end);
  }
  if (at < whole.end) gaps.push({ start: at, end: whole.end });
  return gaps;
}

/** Every service of the meters file (a flavor for each of the uptime meter's, a template's from the price list) in every datacenter. */
function meterPairs(config: Config, datacenters: string[], flavors: string[], listed: string[]): Pair[] {
  const services: { service: string; meter: string; unit?: string }[] = [];
  for (const spec of config.meterSpecs) {
    const { meter, unit } = spec;
    const names = isFlavorService(spec) ? flavors : templateServices(spec, listed);
    services.push(...names.map((service) => ({ service, meter, unit })));
  }
  const unique = services.filter((s, i) => services.findIndex((o) => o.service === s.service) === i);
  return datacenters.flatMap((datacenter) => unique.map((service) => ({ datacenter, ...service })));
}

async function coverageRow(adapter: Invoice, list: PriceList | undefined, { datacenter, service, meter, unit }: Pair): Promise<CoverageRow> {
  let rate: string | null = null;
  let problem: string | undefined;
  try {
    const decimal = adapterRate(await adapter.cost(datacenter, service), datacenter, service);
    const wrongUnit = unit === undefined ? undefined : priceListUnitProblem(list, datacenter, service, unit);
    if (decimal === undefined) problem = 'no price';
    else if (wrongUnit) problem = wrongUnit;
    else rate = formatRate(decimal);
  } catch (error) {
    problem = oneLine(error);
  }
  return { datacenter, service, meter, rate, ...(problem ? { problem } : {}) };
}

/** One line per datacenter, for `artifice check`. */
export function coverageItems(coverage: Coverage): { name: string; ok: boolean; detail: string }[] {
  if (coverage.error) return [{ name: 'price coverage', ok: false, detail: coverage.error }];
  if (coverage.rows.length === 0) return [{ name: 'price coverage', ok: false, detail: 'no datacenter or no service to price' }];
  const flavors = `uptime services are flavor names: ${coverage.flavors.length ? coverage.flavors.join(', ') : 'none'} (from ${coverage.flavorSource})` +
    (coverage.extra ? `; ${coverage.extra} more datacenter/service pairs from the latest bills` : '') +
    (coverage.periods ? `; priced for ${coverage.periods.scopes.join(', ')} over ${periodText(coverage.periods.period)}` +
      (coverage.extra ? ' (the latest bills\' pairs over their windows)' : '') : '');
  const items = coverage.datacenters.map((datacenter) => {
    const rows = coverage.rows.filter((row) => row.datacenter === datacenter);
    const missing = rows.filter((row) => row.rate === null);
    if (!missing.length) return { name: 'price coverage', ok: true, detail: `${datacenter}: all ${rows.length} services priced` };
    const problems = [...new Set(missing.map((row) => row.problem ?? 'no price'))];
    return {
      name: 'price coverage',
      ok: false,
      detail: `${datacenter}: no price for ${missing.map((row) => row.service).join(', ')}` +
        (problems.length === 1 && problems[0] !== 'no price' ? `: ${problems[0]}` : problems.some((p) => p !== 'no price') ? ` (first: ${problems.find((p) => p !== 'no price')})` : ''),
    };
  });
  return [...items, { name: 'price coverage', ok: true, detail: flavors }];
}

export function periodText(period: Window): string {
  return `${formatTimestamp(period.start)}..${formatTimestamp(period.end)}`;
}
