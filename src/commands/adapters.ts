/**
 * `artifice adapters`: the built-in invoice adapters, whether the configured one loads and has
 * the contract's methods, and whether it prices every service of the meters file in every
 * datacenter (a services × datacenters table). Exit 0 when all is priced, 2 otherwise.
 * Only `cost()` is called, as for a dry run: nothing is committed.
 */
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import { EXIT, oneLine } from '../model/errors.js';
import { INVOICE_METHODS } from '../invoice/contract.js';
import { periodText, priceCoverage, type Coverage } from '../invoice/coverage.js';
import { BUILT_IN, loadAdapter } from '../invoice/load.js';
import { renderTable } from '../view/table.js';
import { readConfig, type CommonOptions } from './common.js';

export interface AdaptersOptions extends CommonOptions {
  json?: boolean;
  /** Flavors to price (repeatable); default: [flavors] and the rates file's flavors. */
  flavor?: string[];
}

export async function adapters(options: AdaptersOptions, deps: Deps): Promise<number> {
  const builtIns = Object.entries(BUILT_IN).map(([name, { describe }]) => ({ name, describe }));
  let config: Config | undefined;
  let loadError: string | undefined;
  let coverage: Coverage | undefined;
  try {
    config = await readConfig(options, deps);
    const { Adapter } = await loadAdapter(config);
    coverage = await priceCoverage(config, Adapter, { flavors: options.flavor, now: deps.now() });
  } catch (error) {
    loadError = oneLine(error);
  }
  const ok = !loadError && Boolean(coverage?.ok);

  if (options.json) {
    deps.stdout(`${JSON.stringify({
      ok,
      builtIns,
      configured: config ? { spec: config.main.invoiceObject, loads: !loadError, ...(loadError ? { error: loadError } : {}) } : { error: loadError },
      coverage: coverage ?? null,
    }, null, 2)}\n`);
    return ok ? EXIT.ok : EXIT.usage;
  }

  const configured = config?.main.invoiceObject;
  deps.stdout('built-in adapters ([main] invoice:object = NAME)\n');
  deps.stdout(renderTable([{ header: 'name' }, { header: 'writes' }, { header: '' }], builtIns.map((b) => [b.name, b.describe, b.name === configured ? '(configured)' : ''])));
  deps.stdout('\nyour own: a path (./my-invoice.mjs:MyInvoice) or a package (my-erp-invoice:ErpInvoice); see INVOICES.md\n\n');
  if (loadError || !config || !coverage) {
    deps.stdout(`configured adapter: FAIL: ${loadError}\n`);
    return EXIT.usage;
  }
  deps.stdout(`configured adapter: ${configured}: loads, has ${INVOICE_METHODS.join(', ')}\n`);
  if (coverage.error) {
    deps.stdout(`price coverage: FAIL: ${coverage.error}\n`);
    return EXIT.usage;
  }
  deps.stdout(`price coverage in ${coverage.datacenters.join(', ')} (the values of [datacenters] and the telemetry region)\n`);
  deps.stdout(`uptime services are flavor names; flavors priced: ${coverage.flavors.join(', ') || 'none'} (from ${coverage.flavorSource}; --flavor NAME for others)\n\n`);
  const services = [...new Set(coverage.rows.map((row) => row.service))];
  const cell = (datacenter: string, service: string) => {
    const row = coverage!.rows.find((r) => r.datacenter === datacenter && r.service === service)!;
    return row.rate ?? 'MISSING';
  };
  deps.stdout(renderTable(
    [{ header: 'service' }, ...coverage.datacenters.map((d) => ({ header: d, align: 'right' as const }))],
    services.map((service) => [service, ...coverage!.datacenters.map((d) => cell(d, service))]),
  ));
  const changes = coverage.rows.filter((row) => row.changes).map((row) => `  ${row.datacenter}/${row.service}: ${row.changes}`);
  if (coverage.periods) {
    deps.stdout(`\nprices checked for ${coverage.periods.scopes.join(', ')} over ${periodText(coverage.periods.period)} (the rate shown is the first)\n`);
  }
  if (changes.length) deps.stdout(`price changes in that period:\n${changes.join('\n')}\n`);
  const problems = [...new Set(coverage.rows.filter((row) => row.rate === null).map((row) => `${row.datacenter}/${row.service}: ${row.problem ?? 'no price'}`))];
  if (problems.length) {
    deps.stdout(`\n${problems.length} missing:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  }
  deps.stdout(ok ? '\nevery service is priced in every datacenter\n' : '\nsome services have no price: bills that use them will fail\n');
  return ok ? EXIT.ok : EXIT.usage;
}
