/**
 * `artifice check`: config, telemetry (endpoints, auth, meters), adapter, ledger, the invoices
 * of committed bills, status file and price coverage in one report with PASS/FAIL per item, then one line saying how many
 * failed. Exit 0 when every item passes, 2 when any fails (2: the configuration or what it
 * points at needs fixing; nothing was billed or written).
 */
import fs from 'node:fs';
import path from 'node:path';
import { assessInvoices, type InvoicesHealth } from '../billing/invoices.js';
import type { Config } from '../config.js';
import { credentialItems } from '../config/check.js';
import type { Deps } from '../deps.js';
import { ArtificeError, EXIT, errorMessage } from '../model/errors.js';
import { coverageItems, priceCoverage } from '../invoice/coverage.js';
import { loadAdapter, loadInvoiceClass } from '../invoice/load.js';
import { SCHEMA_VERSION, checkLedger, isLedgerUrl } from '../ledger.js';
import { directoryProblem } from '../model/paths.js';
import { networkFileSystem } from '../ledger/file-system.js';
import { Output } from '../view/output.js';
import { paintStatus } from '../view/report.js';
import { renderTable } from '../view/table.js';
import { ledgerMayExist, ledgerName, openLedger, readConfig, type CommonOptions } from './common.js';
import type { CheckItem } from '../model/types.js';

export interface CheckOptions extends CommonOptions {
  json?: boolean;
}

/** Each part of the check, in order; a part that throws becomes one failed item. */
type Part = (config: Config, deps: Deps) => Promise<CheckItem[]>;

const telemetryPart: Part = async (config, deps) => {
  const collector = await deps.openCollector(config, deps.secrets);
  try {
    // A collector with its own check reports auth, endpoints and meters item by item (it never
    // throws); prepare() would stop at the first problem.
    if (collector.check) {
      const items = await collector.check(config.meterSpecs);
      return [{ name: 'telemetry', ok: items.every((i) => i.ok), detail: collector.description }, ...items];
    }
    await collector.prepare?.();
    return [{ name: 'telemetry', ok: true, detail: collector.description }];
  } finally {
    await collector.close();
  }
};

const adapterPart: Part = async (config) => {
  const { Adapter } = await loadAdapter(config);
  const validated = typeof Adapter.validate === 'function' ? '; it accepts [invoice:object]' : '';
  return [{ name: 'adapter', ok: true, detail: `${config.main.invoiceObject} loads and has addSection, addLine, cost, commit${validated}` }];
};

/** The nearest directory of `file` that exists, and whether this process may write in it. */
function writableDir(file: string): { dir: string; ok: boolean } {
  const { existing, problem } = directoryProblem(path.dirname(path.resolve(file)));
  return { dir: existing, ok: !problem };
}

/**
 * The ledger opens, its schema is current and its overlap rule is in place (SQLite: the triggers;
 * PostgreSQL: the exclusion constraint); or an SQLite file does not exist yet and can be created.
 */
const ledgerPart: Part = async (config, deps) => {
  const file = config.main.database;
  const url = isLedgerUrl(file);
  const network = url ? undefined : networkFileSystem(file);
  if (network && config.main.ledgerJournal === 'wal') {
    return [{ name: 'ledger', ok: false, detail: `${file} is on a network file system (${network}), where SQLite's WAL journal is unsafe: set [main] ledger_journal = delete, or use a local disk` }];
  }
  if (!ledgerMayExist(config)) {
    const { dir, ok } = writableDir(file);
    return [{ name: 'ledger', ok, detail: ok ? `${file} does not exist yet; the first bill creates it (${dir} is writable)` : `${file} does not exist and ${dir} is not writable; fix [main] database or the permissions` }];
  }
  const ledger = await openLedger(config, deps);
  try {
    const info = await ledger.info();
    const pending = (await ledger.pendingBills()).length;
    const last = await ledger.lastRun();
    const tenants = (await ledger.tenants()).length;
    const where = url ? `PostgreSQL ${info.version}` : `SQLite ${info.version}, journal ${config.main.ledgerJournal}${network ? ` (on ${network})` : ''}`;
    const rule = info.overlapRule ? `overlaps refused by ${info.overlapRule}` : 'THE OVERLAP RULE IS MISSING: windows could be billed twice; restore the schema';
    return [{
      name: 'ledger', ok: info.schema === SCHEMA_VERSION && info.overlapRule !== null,
      detail: `${ledgerName(config)}: ${where}, schema ${info.schema} of ${SCHEMA_VERSION}, ${rule}, ${tenants} tenants, ${pending} pending claim${pending === 1 ? '' : 's'}` +
        (last ? `, last run ${last.startedAt} (${last.status})` : ', no run yet'),
    }];
  } finally {
    await ledger.close();
  }
};

/** The full `PRAGMA integrity_check` of the ledger, when there is one (docs/ledger.md, "Integrity"). */
const integrityPart: Part = async (config) => {
  const file = config.main.database;
  if (isLedgerUrl(file)) return [{ name: 'ledger integrity', ok: true, detail: `${ledgerName(config)}: PostgreSQL checks its own pages; back it up with pg_dump` }];
  if (!fs.existsSync(file)) return [{ name: 'ledger integrity', ok: true, detail: `${file} does not exist yet: nothing to check` }];
  const checked = checkLedger(file);
  return [{ name: 'ledger integrity', ok: checked.ok, detail: checked.ok ? `${file}: PRAGMA integrity_check ok` : checked.message }];
};

/** Every committed bill's invoice still exists, as far as the adapter can tell (src/billing/invoices.ts). */
const invoicesPart: Part = async (config, deps) => {
  if (!ledgerMayExist(config)) return [{ name: 'invoices', ok: true, detail: `${config.main.database} does not exist yet: no committed bill to check` }];
  const ledger = await openLedger(config, deps);
  try {
    return [invoicesItem(await assessInvoices(ledger, config))];
  } finally {
    await ledger.close();
  }
};

/** How many of the first missing invoices the item names. */
const NAMED = 3;

function invoicesItem(invoices: InvoicesHealth): CheckItem {
  if (!invoices.checked) return { name: 'invoices', ok: !invoices.error, detail: `${invoices.error ? 'cannot check' : 'not checked'}: ${invoices.reason}` };
  const { bills, missing } = invoices;
  if (missing.length === 0) {
    return { name: 'invoices', ok: true, detail: bills === 0 ? 'no committed bill with an invoice yet' : `the invoices of all ${bills} committed bills exist` };
  }
  const named = missing.slice(0, NAMED).map((m) => `${m.tenant} ${m.window} ${m.invoice}`).join('; ');
  const more = missing.length > NAMED ? ` and ${missing.length - NAMED} more (artifice status --json lists them all)` : '';
  return {
    name: 'invoices', ok: false,
    detail: `${missing.length} of ${bills} committed bills' invoices are missing: ${named}${more}; restore them, or void the bills and bill them again`,
  };
}

/** Every bill run writes the status file: its directory must be writable. */
const statusFilePart: Part = async (config) => {
  const file = config.main.statusFile;
  const { dir, ok } = fs.existsSync(file) ? { dir: path.dirname(file), ok: isWritable(file) } : writableDir(file);
  return [{ name: 'status file', ok, detail: ok ? `${file} (${fs.existsSync(file) ? 'exists' : 'written by the first bill run'})` : `${file}: ${dir} is not writable; fix [main] status_file or the permissions` }];
};

function isWritable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.W_OK);
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Price coverage (src/invoice/coverage.ts, shared with `artifice adapters`): every metered
 * service and flavor in every datacenter, plus every datacenter/service on the tenants'
 * latest committed bills in the ledger.
 */
const pricesPart: Part = async (config, deps) => {
  const { Adapter } = await loadInvoiceClass(config.main.invoiceObject, config.dir);
  return coverageItems(await priceCoverage(config, Adapter, { extra: await latestBilledPairs(config, deps), now: deps.now() }));
};

type BilledPair = { datacenter: string; service: string; unit: string; window: { start: number; end: number } };

/** The (datacenter, service, unit, window) of each tenant's latest committed bill's lines; none without a ledger. */
async function latestBilledPairs(config: Config, deps: Deps): Promise<BilledPair[]> {
  if (!ledgerMayExist(config)) return [];
  const ledger = await openLedger(config, deps);
  try {
    const pairs: BilledPair[] = [];
    for (const tenant of await ledger.tenants()) {
      const window = await ledger.lastBilledWindow(tenant.id);
      if (!window) continue;
      for (const bill of await ledger.bills({ tenant: tenant.id, start: window.start, end: window.end, status: ['committed'] })) {
        // A discount or minimum line is no service: nothing prices it.
        const services = (await ledger.lines(bill.id)).filter((line) => line.basis?.kind !== 'discount' && line.basis?.kind !== 'minimum');
        pairs.push(...services.map((line) => ({ datacenter: line.datacenter, service: line.name, unit: line.unit, window: { start: bill.start, end: bill.end } })));
      }
    }
    return pairs;
  } finally {
    await ledger.close();
  }
}

/** Parts run in this order; other parts (telemetry details, adapters) are added here. */
export const CHECK_PARTS: { name: string; run: Part }[] = [
  { name: 'telemetry', run: telemetryPart },
  { name: 'adapter', run: adapterPart },
  { name: 'prices', run: pricesPart },
  { name: 'ledger', run: ledgerPart },
  { name: 'ledger integrity', run: integrityPart },
  { name: 'invoices', run: invoicesPart },
  { name: 'status file', run: statusFilePart },
];

export async function check(options: CheckOptions, deps: Deps): Promise<number> {
  const items: CheckItem[] = [];
  let config: Config | undefined;
  try {
    config = await readConfig(options, deps);
    items.push({ name: 'config', ok: true, detail: `${config.file} (${config.meterSpecs.length} meters from ${config.main.meters})` }, ...credentialItems(config));
  } catch (error) {
    items.push({ name: 'config', ok: false, detail: errorMessage(error) });
  }
  if (config) {
    for (const part of CHECK_PARTS) {
      try {
        items.push(...(await part.run(config, deps)));
      } catch (error) {
        items.push({ name: part.name, ok: false, detail: error instanceof ArtificeError ? error.message : errorMessage(error) });
      }
    }
  }
  const failed = items.filter((i) => !i.ok);
  if (options.json) {
    deps.stdout(`${JSON.stringify({ ok: failed.length === 0, failed: failed.length, items }, null, 2)}\n`);
  } else {
    const out = new Output(deps);
    const paint = (padded: string, raw: string) => paintStatus(out.out, raw, padded);
    out.stdout(renderTable([{ header: 'check' }, { header: 'result', paint }, { header: 'detail' }], items.map((i) => [i.name, i.ok ? 'PASS' : 'FAIL', i.detail])));
    out.stdout(failed.length === 0
      ? `\nall ${items.length} checks passed\n`
      : `\n${failed.length} of ${items.length} checks failed: ${[...new Set(failed.map((i) => i.name))].join(', ')} (exit ${EXIT.usage})\n`);
  }
  return failed.length === 0 ? EXIT.ok : EXIT.usage;
}
