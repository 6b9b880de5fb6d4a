// An example artifice invoice adapter, in plain JavaScript with no dependencies: one Markdown
// file per bill, priced from a rates CSV. Copy this directory to start your own (INVOICES.md).
//
//   [main]
//   invoice:object = ./adapters/example-markdown/index.mjs:MarkdownInvoice   ; a path, or
//   invoice:object = artifice-example-markdown:MarkdownInvoice               ; an npm package
//
//   [invoice:object]
//   rates = rates.csv              ; datacenter,service,unit,rate (`*` = any datacenter); required
//   output_dir = invoices          ; default: invoices-md
//   title = ACME Cloud             ; optional heading
//
// Relative paths are relative to the ini file (context.configDir).

import { createHash, randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** One parse per rates file per process: a batch of many tenants shares it. */
const rateFiles = new Map();

/** @returns {Promise<Map<string, {rate: string, unit: string}>>} `datacenter\0service` → its rate (a decimal string) and unit. */
function loadRates(file) {
  let rates = rateFiles.get(file);
  if (!rates) {
    rates = readFile(file, 'utf8').then(
      (text) => {
        const table = new Map();
        const rows = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
        rows.slice(1).forEach((row, index) => {
          const [datacenter, service, unit, rate, ...more] = row.split(',').map((cell) => cell.trim());
          // Rates stay strings: artifice reads them as exact decimals (never as floats).
          if (!datacenter || !service || !/^\d+(\.\d+)?$/.test(rate ?? '')) {
            throw new Error(`[invoice:object] rates ${file} row ${index + 2}: expected datacenter,service,unit,rate with a decimal rate`);
          }
          // A price list's dates, tenants or tiers would be priced wrong by one rate per service:
          // refuse them rather than bill the last row's rate for the whole window.
          if (more.some((cell) => cell !== '')) {
            throw new Error(
              `[invoice:object] rates ${file} row ${index + 2}: this adapter reads one rate per datacenter and service ` +
                '(from, until, tenant and tier columns are not supported); use the built-in csv adapter for price lists',
            );
          }
          table.set(`${datacenter}\0${service}`, { rate, unit: unit ?? '' });
        });
        return table;
      },
      (error) => {
        throw new Error(`[invoice:object] rates: cannot read ${file} (${error.code ?? error.message})`);
      },
    );
    rateFiles.set(file, rates);
    rates.catch(() => rateFiles.delete(file));
  }
  return rates;
}

export class MarkdownInvoice {
  /**
   * Called once per command before any bill: refusing the configuration here stops the run with
   * exit 2 before anything is written, instead of failing every tenant.
   * @param {Record<string, string>} config   the [invoice:object] section
   * @param {{configDir: string, currency: string}} setup
   */
  static async validate(config, setup) {
    const unknown = Object.keys(config).filter((key) => !['rates', 'output_dir', 'title'].includes(key));
    if (unknown.length) throw new Error(`[invoice:object] ${unknown[0]}: not a key of the example-markdown adapter (rates, output_dir, title)`);
    if (!config.rates) throw new Error('[invoice:object] rates is required by the example-markdown adapter (a datacenter,service,unit,rate CSV)');
    await loadRates(path.resolve(setup.configDir, config.rates));
  }

  /**
   * Optional: the prices this adapter knows, for `artifice adapters` and `artifice check`. They
   * take the flavors to check from its services, and report a rate whose unit is not the one
   * config/meters.ini measures the service in. Called after validate().
   * @param {Record<string, string>} config   the [invoice:object] section
   * @param {{configDir: string, currency: string}} setup
   */
  static async priceList(config, setup) {
    const file = path.resolve(setup.configDir, config.rates);
    const rows = [...(await loadRates(file))].map(([key, { rate, unit }]) => {
      const [datacenter, service] = key.split('\0');
      return { datacenter, service, unit, rate };
    });
    return { name: config.rates, where: `[invoice:object] rates ${file}`, rows };
  }

  /**
   * Optional: whether the invoice commit() returned `reference` for (its file's path) is still
   * there. `artifice status` and `artifice check` ask it for every committed bill, so it is
   * read-only and cheap: one stat. Throwing means "cannot tell".
   * @param {string} reference   what commit() returned
   * @param {Record<string, string>} config   the [invoice:object] section
   * @param {{configDir: string, currency: string}} setup
   */
  static invoiceExists(reference, config, setup) {
    const stats = statSync(path.resolve(setup.configDir, reference), { throwIfNoEntry: false });
    return stats !== undefined && stats.isFile() && stats.size > 0;
  }

  /**
   * @param {{id: string, name?: string}} tenant
   * @param {Record<string, string>} config   the [invoice:object] section, as given
   * @param {{billId: string, start: string, end: string, currency: string, digits: number,
   *          dryRun: boolean, revision: number, configDir: string}} context
   */
  constructor(tenant, config, context) {
    // Check the configuration here: a mistake fails before anything is written.
    if (!config.rates) throw new Error('[invoice:object] rates is required by the example-markdown adapter (a datacenter,service,unit,rate CSV)');
    this.tenant = tenant;
    this.context = context;
    this.title = config.title ?? 'Cloud usage';
    this.ratesFile = path.resolve(context.configDir, config.rates);
    this.outputDir = path.resolve(context.configDir, config.output_dir ?? 'invoices-md');
    /** @type {Map<string, object[]>} datacenter → its lines, in the order they were added */
    this.sections = new Map();
  }

  /** The unit rate of a service in a datacenter: its own row, else the `*` row, else undefined (no price). */
  async cost(datacenter, service) {
    const rates = await loadRates(this.ratesFile);
    return (rates.get(`${datacenter}\0${service}`) ?? rates.get(`*\0${service}`))?.rate;
  }

  addSection(datacenter) {
    if (!this.sections.has(datacenter)) this.sections.set(datacenter, []);
  }

  /** `line`: {datacenter, name, quantity, unit, rate, amount}; the numbers are decimal.js Decimals. */
  addLine(line) {
    const lines = this.sections.get(line.datacenter);
    if (!lines) throw new Error(`line ${line.name}: no section ${line.datacenter} (addSection comes first)`);
    lines.push(line);
  }

  /** The same file for every attempt at one bill: a resumed bill rewrites it, never adds a second. */
  fileName() {
    // Every UTF-8 byte outside [A-Za-z0-9._-] (`%` and `/` too) becomes %XX: two tenant ids never
    // share a file (`acme/eu` is acme%2Feu, `acme_eu` stays), and hex ids are unchanged.
    const safe = (text) =>
      [...Buffer.from(text, 'utf8')]
        .map((byte) => (/[A-Za-z0-9._-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
        .join('');
    const compact = (iso) => iso.replace(/[-:]/g, '').replace(/\.\d+/, '');
    const revision = this.context.revision > 1 ? `_r${this.context.revision}` : '';
    const rest = `_${compact(this.context.start)}_${compact(this.context.end)}${revision}.md`;
    let id = safe(this.tenant.id);
    // File systems refuse names over 255 bytes (and the temp name adds ~30): a long id keeps its
    // start and gets `~` + a hash of the whole id, which no escaped id contains, so names stay distinct.
    const room = 200 - rest.length;
    if (id.length > room) {
      const hash = createHash('sha256').update(this.tenant.id, 'utf8').digest('hex').slice(0, 32);
      id = `${id.slice(0, room - hash.length - 1).replace(/%[0-9A-F]?$/, '')}~${hash}`;
    }
    return `${id}${rest}`;
  }

  render() {
    const { currency, digits, start, end, billId } = this.context;
    const money = (decimal) => decimal.toFixed(digits);
    const out = [
      `# ${this.title}: ${this.tenant.name ?? this.tenant.id}`,
      '',
      `Tenant \`${this.tenant.id}\`, from ${start} to ${end} (bill \`${billId}\`).`,
      '',
    ];
    let total = null;
    for (const [datacenter, lines] of this.sections) {
      let subtotal = null;
      out.push(`## ${datacenter}`, '', '| service | quantity | unit | rate | amount |', '|---|--:|---|--:|--:|');
      for (const line of lines) {
        // Amounts are already rounded once per line by artifice: add them, never re-multiply.
        subtotal = subtotal ? subtotal.plus(line.amount) : line.amount;
        out.push(`| ${line.name} | ${line.quantity.toDecimalPlaces(4).toFixed()} | ${line.unit} | ${line.rate.toFixed()} | ${money(line.amount)} |`);
      }
      if (subtotal) {
        out.push(`| **subtotal** | | | | **${money(subtotal)}** |`, '');
        total = total ? total.plus(subtotal) : subtotal;
      }
    }
    out.push(`**Total: ${total ? money(total) : (0).toFixed(digits)} ${currency}**`, '');
    return out.join('\n');
  }

  /**
   * Writes the file atomically (temp file + rename) and returns its path: the ledger keeps it.
   * Without fsyncs a power cut may still leave an empty file under the name: an adapter that
   * imports `artifice/adapter` gets them from `await writeFileAtomicAsync(file, text)` (INVOICES.md).
   */
  async commit() {
    const file = path.join(this.outputDir, this.fileName());
    if (this.context.dryRun) return file;
    // Unique per write: two commits of one name at once must not share a temp file.
    const temp = `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    try {
      await mkdir(this.outputDir, { recursive: true });
      await writeFile(temp, this.render());
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new Error(`cannot write ${file}: ${error.code ?? error.message}; check [invoice:object] output_dir`);
    }
    return file;
  }
}

export default MarkdownInvoice;
