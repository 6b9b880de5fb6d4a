/**
 * What the built-in file adapters (csv, json) share: prices from a rates file, sections and
 * lines collected in memory, and `commit()` writing one deterministic file per bill atomically
 * and durably (temp file + fsync + rename + fsync of the directory: `writeFileAtomicAsync`), so a
 * resumed bill rewrites the same file instead of adding a second, and a power cut never leaves a
 * committed bill with an empty invoice file.
 */
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  AdapterError, Decimal, directoryProblem, errorMessage, formatMoney, invoiceFileExists, unitMismatch, writeFileAtomicAsync,
  type Invoice, type InvoiceConfig, type InvoiceContext, type InvoiceLine, type InvoiceSetup, type InvoiceTenant, type PriceList,
  type PricePeriod, type PriceQuery,
} from '../src/invoice/adapter.js';
import { invoiceFileName, removeStaleTemps, tempFileName } from './output-file.js';
import type { ReadOptions } from './rate-rows.js';
import { RateTable, ratesFileOf } from './rate-table.js';
import { Sections } from './sections.js';

export interface Section {
  datacenter: string;
  lines: InvoiceLine[];
  subtotal: Decimal;
}

export interface InvoiceDocument {
  tenant: InvoiceTenant;
  context: InvoiceContext;
  sections: Section[];
  total: Decimal;
}

/** The keys of `[invoice:object]` the csv and json adapters read. */
const FILE_KEYS = ['output_dir', 'rates'];

function outputDirOf(config: InvoiceConfig, configDir: string): string {
  return path.resolve(configDir, config.output_dir ?? 'output');
}

/**
 * Refuses an output_dir that commit() could never create or write in, without creating it (a
 * dry run writes nothing): its nearest existing ancestor must be a directory we may write in.
 */
function checkOutputDir(dir: string): void {
  const { existing, problem } = directoryProblem(dir);
  const where = `[invoice:object] output_dir: ${dir}`;
  if (problem === 'not a directory') {
    throw new AdapterError(existing === dir
      ? `${where} is a file, not a directory; name a directory for the invoices`
      : `${where} cannot be created: ${existing} is not a directory; name a directory for the invoices`);
  }
  if (problem) {
    throw new AdapterError(`${where}${existing === dir ? '' : ` (its nearest existing directory ${existing})`} is not writable by this user; fix its permissions or name another directory`);
  }
}

const rateTables = new Map<string, Promise<RateTable>>();

/** How a rates file is read: dates in [main] timezone, group names from [price_groups]. */
function readOptions(setup: { timezone?: string; priceGroups?: string[] }): ReadOptions {
  return { timezone: setup.timezone ?? 'UTC', ...(setup.priceGroups ? { groups: setup.priceGroups } : {}) };
}

/**
 * One parse per rates file (and time zone and groups) per process: a batch of hundreds of
 * tenants shares it. The file's size and modification time are part of the key, so a process
 * that runs several commands (tests, a long-lived caller) never prices with an edited file's old rows.
 */
function rateTable(file: string, options: ReadOptions): Promise<RateTable> {
  let version = '';
  try {
    const stats = statSync(file);
    version = `${stats.size}:${stats.mtimeMs}`;
  } catch {
    // Not readable: load() says why.
  }
  const key = [file, version, options.timezone, ...(options.groups ?? ['\u0000'])].join('\u0000');
  let table = rateTables.get(key);
  if (!table) {
    table = RateTable.load(file, options);
    rateTables.set(key, table);
    table.catch(() => rateTables.delete(key));
  }
  return table;
}

const cleaned = new Set<string>();

/** The first commit of a run into a directory removes the temp files killed runs left there. */
async function cleanOnce(dir: string): Promise<void> {
  if (cleaned.has(dir)) return;
  cleaned.add(dir);
  await removeStaleTemps(dir);
}

export abstract class FileInvoice implements Invoice {
  protected abstract readonly extension: string;
  protected abstract render(document: InvoiceDocument): string;

  private readonly sections = new Sections((message) => new AdapterError(message));
  private readonly outputDir: string;
  private readonly ratesFile: string;
  /** The rates as last read by cost(), which the core calls for every line before addLine. */
  private rates?: RateTable;

  constructor(
    protected readonly tenant: InvoiceTenant,
    config: InvoiceConfig,
    protected readonly context: InvoiceContext,
  ) {
    this.outputDir = outputDirOf(config, context.configDir);
    this.ratesFile = ratesFileOf(config, context.configDir);
  }

  /** Before any bill: the rates file parses, and output_dir can be created and written. */
  static async validate(config: InvoiceConfig, setup: InvoiceSetup): Promise<void> {
    const unknown = Object.keys(config).filter((key) => !FILE_KEYS.includes(key));
    if (unknown.length) {
      throw new AdapterError(`[invoice:object] ${unknown[0]}: not a key of the file adapters; their keys: ${FILE_KEYS.join(', ')}`);
    }
    await rateTable(ratesFileOf(config, setup.configDir), readOptions(setup));
    checkOutputDir(outputDirOf(config, setup.configDir));
  }

  /** The rates file's rows, for price coverage: its flavors, and its units compared with the meters file's. */
  static async priceList(config: InvoiceConfig, setup: InvoiceSetup): Promise<PriceList> {
    const file = ratesFileOf(config, setup.configDir);
    return {
      name: config.rates ? path.relative(setup.configDir, file) || file : 'the packaged config/rates.csv',
      where: `rates file ${file}`,
      rows: (await rateTable(file, readOptions(setup))).rows(),
    };
  }

  /** For `status` and `check`: the invoice file a commit returned is still there, and not empty. */
  static invoiceExists(reference: string, _config: InvoiceConfig, setup: InvoiceSetup): boolean {
    return invoiceFileExists(reference, setup.configDir);
  }

  /** The first tier's rate in force at the start of the period asked for (default: the bill's window). */
  async cost(datacenter: string, name: string, query?: PriceQuery): Promise<Decimal | undefined> {
    this.rates = await rateTable(this.ratesFile, readOptions(this.context));
    return this.rates.lookup(datacenter, name, { ...query, at: query?.period.start ?? Date.parse(this.context.start) * 1000 })?.rate;
  }

  /** The rich price list (docs/prices.md): dated rows, tenant and group rows, tiers. */
  async prices(datacenter: string, name: string, query: PriceQuery): Promise<PricePeriod[]> {
    this.rates = await rateTable(this.ratesFile, readOptions(this.context));
    return this.rates.schedule(datacenter, name, query);
  }

  addSection(datacenter: string): void {
    this.sections.add(datacenter);
  }

  /** A rate per another unit than the line's (per GB-month for GB-hours) would be wrong money: refuse it. */
  addLine(line: InvoiceLine): void {
    const basis = line.basis;
    // A discount or a minimum is money, not a quantity of a rates file's unit.
    const problem = basis?.kind === 'discount' || basis?.kind === 'minimum' ? undefined
      : basis?.kind === 'rate' ? unitMismatch(`rates file ${this.ratesFile}`, line.datacenter, line.name, this.rates?.unitOfRow(basis.row), line.unit)
        : this.unitProblem(line.datacenter, line.name, line.unit);
    if (problem) throw new AdapterError(problem);
    this.sections.addLine(line);
  }

  /**
   * Why the rate cost() found for (datacenter, name) cannot price a quantity in `unit`, or
   * undefined (a row with an empty unit is not checked).
   */
  unitProblem(datacenter: string, name: string, unit: string): string | undefined {
    return unitMismatch(`rates file ${this.ratesFile}`, datacenter, name, this.rates?.lookup(datacenter, name, { tenant: this.tenant, at: Date.parse(this.context.start) * 1000 })?.unit, unit);
  }

  /** The file this bill is written to: the same for every attempt at one bill. */
  fileName(): string {
    const compact = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
    const revision = this.context.revision > 1 ? `_r${this.context.revision}` : '';
    return invoiceFileName(this.tenant.id, `${compact(this.context.start)}_${compact(this.context.end)}${revision}.${this.extension}`);
  }

  document(): InvoiceDocument {
    const sections = [...this.sections].map(([datacenter, lines]) => ({
      datacenter,
      lines,
      subtotal: lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0)),
    }));
    const total = sections.reduce((sum, section) => sum.plus(section.subtotal), new Decimal(0));
    return { tenant: this.tenant, context: this.context, sections, total };
  }

  async commit(): Promise<string> {
    const file = path.join(this.outputDir, this.fileName());
    if (this.context.dryRun) return file;
    try {
      await mkdir(this.outputDir, { recursive: true });
      await cleanOnce(this.outputDir);
      // It removes its temp file when it fails: only whole invoices ever sit in output_dir. Its
      // fsyncs wait off the event loop, which meanwhile reads the other tenants' answers.
      await writeFileAtomicAsync(file, this.render(this.document()), { temp: tempFileName(file) });
    } catch (error) {
      throw new AdapterError(`cannot write invoice ${file}: ${errorMessage(error)}; check [invoice:object] output_dir`, { cause: error });
    }
    return file;
  }

  protected money(value: Decimal): string {
    return formatMoney(value, this.context.digits);
  }
}
