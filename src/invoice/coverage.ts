/**
 * Price coverage: can the configured adapter price every service of the meters file in every
 * datacenter? Shared by `artifice adapters` and the `price coverage` part of `artifice check`.
 *
 * - Datacenters: the values of `[datacenters]`, then the telemetry region (`[telemetry] region`
 *   and any `[region:NAME]` section): unmapped resources are billed in their region's section.
 * - Services: each meter's service; for the uptime meter the service is the flavor name, and no
 *   file lists every flavor of a cloud: the flavors checked are `--flavor` when given, else the
 *   names of `[flavors]` and the uptime services of the rates file (`[invoice:object] rates`,
 *   default config/rates.csv) — those that are no other meter's service. The report says which.
 *
 * The adapter is constructed as for a dry run (billId `coverage-check`, dryRun true) and only
 * `cost()` is called: nothing is committed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FileInvoice } from '../../invoices/file-invoice.js';
import { RateTable, ratesFileOf } from '../../invoices/rate-table.js';
import type { Config } from '../config.js';
import { formatRate } from '../model/decimal.js';
import { firstLine } from '../model/errors.js';
import { adapterRate } from '../pricing.js';
import { formatTimestamp } from '../model/time.js';
import type { Invoice, InvoiceClass } from './contract.js';

export interface CoverageRow {
  datacenter: string;
  service: string;
  /** The meter the service comes from (`instance` for flavors). */
  meter: string;
  /** The unit rate, or null when there is none. */
  rate: string | null;
  /** Why there is no rate: the adapter's error, `no price`, or a rate per another unit. */
  problem?: string;
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
}

export function coverageDatacenters(config: Config): string[] {
  const regions = [config.telemetry.region, ...[...config.sections.keys()].filter((name) => name.startsWith('region:')).map((name) => name.slice('region:'.length))];
  return [...new Set([...Object.values(config.datacenters), ...regions].map((name) => name.trim()).filter(Boolean))];
}

export async function coverageFlavors(config: Config, given: string[] = []): Promise<{ flavors: string[]; source: string }> {
  if (given.length) return { flavors: [...new Set(given)], source: '--flavor' };
  const otherServices = new Set(config.meterSpecs.filter((spec) => spec.transform !== 'uptime').map((spec) => spec.service));
  const fromSection = Object.values(config.flavors);
  let fromRates: string[] = [];
  const file = ratesFileOf(config.invoice, config.dir);
  if (existsSync(file)) {
    try {
      fromRates = (await RateTable.load(file)).services().filter((service) => !otherServices.has(service));
    } catch {
      // A broken rates file is the adapter's to report; the flavors then come from [flavors] only.
    }
  }
  const flavors = [...new Set([...fromSection, ...fromRates])].sort();
  const ratesName = config.invoice.rates ? path.relative(config.dir, file) || file : 'the packaged config/rates.csv';
  const sources = [fromSection.length ? '[flavors]' : '', fromRates.length ? ratesName : ''].filter(Boolean);
  return { flavors, source: sources.join(' and ') || 'nowhere (no [flavors], no rates file): pass --flavor NAME' };
}

export interface CoverageOptions {
  flavors?: string[];
  now?: Date;
  /**
   * More (datacenter, service) pairs to price, e.g. the lines of the latest bills (`check`);
   * with a unit, the file adapters' rate must be per that unit.
   */
  extra?: { datacenter: string; service: string; unit?: string }[];
}

export async function priceCoverage(config: Config, Adapter: InvoiceClass, options: CoverageOptions = {}): Promise<Coverage> {
  const extra = options.extra ?? [];
  const datacenters = [...new Set([...coverageDatacenters(config), ...extra.map((pair) => pair.datacenter)])];
  const { flavors, source } = await coverageFlavors(config, options.flavors);
  const services: { service: string; meter: string; unit?: string }[] = [];
  for (const { transform, meter, service, unit } of config.meterSpecs) {
    if (transform === 'uptime') services.push(...flavors.map((flavor) => ({ service: flavor, meter, unit })));
    else services.push({ service, meter, unit });
  }
  const unique = services.filter((s, i) => services.findIndex((o) => o.service === s.service) === i);
  const base = { datacenters, flavors, flavorSource: source, extra: 0 };

  let adapter: Invoice;
  try {
    const now = options.now ?? new Date();
    adapter = new Adapter({ id: 'coverage-check', name: 'artifice coverage check' }, { ...config.invoice }, {
      billId: 'coverage-check',
      start: formatTimestamp(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1) * 1000),
      end: formatTimestamp(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) * 1000),
      currency: config.main.currency,
      digits: config.main.currencyDigits,
      dryRun: true,
      revision: 1,
      configDir: config.dir,
    });
  } catch (error) {
    return { ...base, rows: [], error: `${config.main.invoiceObject}: cannot construct the adapter: ${firstLine(error)}`, ok: false };
  }

  const pairs = datacenters.flatMap((datacenter) => unique.map((service) => ({ datacenter, ...service })));
  const known = new Set(pairs.map((pair) => `${pair.datacenter}\u0000${pair.service}`));
  for (const pair of extra) {
    const key = `${pair.datacenter}\u0000${pair.service}`;
    if (known.has(key)) continue;
    known.add(key);
    pairs.push({ ...pair, meter: 'latest bill' });
    base.extra++;
  }
  const rows: CoverageRow[] = [];
  for (const { datacenter, service, meter, unit } of pairs) {
    let rate: string | null = null;
    let problem: string | undefined;
    try {
      const decimal = adapterRate(await adapter.cost(datacenter, service), datacenter, service);
      // The file adapters refuse a rate per another unit than the quantity's at addLine: bill
      // would fail every tenant that uses it, so it is no price here either.
      const wrongUnit = unit !== undefined && adapter instanceof FileInvoice ? adapter.unitProblem(datacenter, service, unit) : undefined;
      if (decimal === undefined) problem = 'no price';
      else if (wrongUnit) problem = wrongUnit;
      else rate = formatRate(decimal);
    } catch (error) {
      problem = firstLine(error);
    }
    rows.push({ datacenter, service, meter, rate, ...(problem ? { problem } : {}) });
  }
  return { ...base, rows, ok: rows.length > 0 && rows.every((row) => row.rate !== null) };
}

/** One line per datacenter, for `artifice check`. */
export function coverageItems(coverage: Coverage): { name: string; ok: boolean; detail: string }[] {
  if (coverage.error) return [{ name: 'price coverage', ok: false, detail: coverage.error }];
  if (coverage.rows.length === 0) return [{ name: 'price coverage', ok: false, detail: 'no datacenter or no service to price' }];
  const flavors = `uptime services are flavor names: ${coverage.flavors.length ? coverage.flavors.join(', ') : 'none'} (from ${coverage.flavorSource})` +
    (coverage.extra ? `; ${coverage.extra} more datacenter/service pairs from the latest bills` : '');
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
