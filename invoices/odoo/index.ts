/**
 * Built-in `odoo` adapter: one draft customer invoice per bill in Odoo, over Odoo's external
 * JSON-RPC API. Prices are the products' sales prices (`lst_price`); the product of a service in
 * a datacenter is the one whose internal reference (`default_code`) is `product_pattern`
 * (default `{datacenter}.{service}`), else `product_fallback` when set.
 *
 * `commit()`: finds or creates the customer (res.partner with `ref` = tenant id), then looks for
 * the customer invoice whose reference is the bill id and returns it if there is one; only
 * otherwise it creates one (account.move for Odoo ≥ 13, account.invoice before), with one
 * section line per datacenter and one line per service. A resumed bill, or a retry after Odoo
 * created the invoice but its answer was lost, finds the first invoice instead of adding a second.
 * Amounts: see amounts.ts. Keys: settings.ts and INVOICES.md. The password or API key is never
 * logged nor put in a message.
 */
import {
  Decimal, formatQuantity, formatRate, type Invoice, type InvoiceConfig, type InvoiceContext, type InvoiceLine, type InvoiceSetup, type InvoiceTenant,
} from '../../src/invoice/adapter.js';
import { odooAmount } from './amounts.js';
import { OdooError, type Fetch } from './jsonrpc.js';
import { sessionFor, type Dialect, type OdooSession, type Product } from './session.js';
import { parseOdooSettings, productCode, type OdooSettings } from './settings.js';
import { Sections } from '../sections.js';

export { resetOdooSessions } from './session.js';
export { odooAmount, odooSubtotal } from './amounts.js';
export type { Fetch } from './jsonrpc.js';

export interface OdooDeps {
  /** The fetch to reach Odoo with (tests); default the global fetch. */
  fetch?: Fetch;
}

/** `odoo:account.move:42` → model and id. */
export function parseOdooReference(reference: string): { model: string; id: number } | undefined {
  const match = /^odoo:([a-z.]+):(\d+)$/.exec(reference);
  return match ? { model: match[1]!, id: Number(match[2]) } : undefined;
}

export class OdooInvoice implements Invoice {
  readonly settings: OdooSettings;
  private readonly session: OdooSession;
  private readonly sections = new Sections((message) => new OdooError(message));
  /** The product cost() found for each (datacenter, service): the lines use the same one. */
  private readonly products = new Map<string, Product>();

  constructor(
    private readonly tenant: InvoiceTenant,
    config: InvoiceConfig,
    private readonly context: InvoiceContext,
    deps: OdooDeps = {},
  ) {
    this.settings = parseOdooSettings(config, context.configDir);
    this.session = sessionFor(this.settings, deps.fetch);
  }

  /** Before any bill: every key is one the adapter knows and has a valid value (no request to Odoo). */
  static validate(config: InvoiceConfig, setup: InvoiceSetup): void {
    parseOdooSettings(config, setup.configDir);
  }

  /**
   * Whether the invoice a committed bill made is still in Odoo, not cancelled (`artifice status`,
   * `check`): one search by id. A reference this adapter did not write cannot be told.
   */
  static async invoiceExists(reference: string, config: InvoiceConfig, setup: InvoiceSetup): Promise<boolean> {
    const target = parseOdooReference(reference);
    if (!target) throw new OdooError(`reference '${reference}' is not one the odoo adapter writes (odoo:<model>:<id>)`);
    const session = sessionFor(parseOdooSettings(config, setup.configDir));
    const rows = await session.searchRead(target.model, [['id', '=', target.id]], ['id', 'state'], { limit: 1 });
    return rows.length === 1 && rows[0]!.state !== 'cancel';
  }

  /** The product codes tried for a service in a datacenter, in order. */
  productCodes(datacenter: string, service: string): string[] {
    const { productPattern, productFallback, datacenterMap } = this.settings;
    const codes = [productCode(productPattern, datacenter, service, datacenterMap)];
    if (productFallback) {
      const fallback = productCode(productFallback, datacenter, service, datacenterMap);
      if (!codes.includes(fallback)) codes.push(fallback);
    }
    return codes;
  }

  private async productOf(datacenter: string, service: string): Promise<Product> {
    const key = `${datacenter}\u0000${service}`;
    const known = this.products.get(key);
    if (known) return known;
    const codes = this.productCodes(datacenter, service);
    for (const code of codes) {
      const product = await this.session.product(code);
      if (product) {
        this.products.set(key, product);
        return product;
      }
    }
    throw new OdooError(
      `no Odoo product for ${service} in ${datacenter}: none has internal reference ${codes.map((c) => `'${c}'`).join(' or ')} ` +
        `(${this.session.describe()}); create it, or set [invoice:object] product_pattern / product_fallback / datacenter_map`,
    );
  }

  /** The product's sales price: a service without a product is an error naming the codes tried. */
  async cost(datacenter: string, service: string): Promise<Decimal> {
    return (await this.productOf(datacenter, service)).price;
  }

  addSection(datacenter: string): void {
    this.sections.add(datacenter);
  }

  addLine(line: InvoiceLine): void {
    this.sections.addLine(line);
  }

  /** What the invoice's source document says: tenant, window, revision (one per bill of a window). */
  origin(): string {
    const revision = this.context.revision > 1 ? ` r${this.context.revision}` : '';
    return `artifice ${this.tenant.id} ${this.context.start}/${this.context.end}${revision}`;
  }

  async commit(): Promise<string> {
    // The core never commits a dry run; an adapter asked to anyway writes nothing.
    if (this.context.dryRun) return 'odoo:dry-run';
    const session = this.session;
    const dialect = await session.dialect();
    const partner = await this.partner(dialect);
    const { id } = await session.findOrCreate(
      dialect.model,
      () => this.findInvoice(dialect),
      async () => {
        await this.refuseOrphan(dialect);
        return this.invoiceValues(dialect, partner);
      },
    );
    return `odoo:${dialect.model}:${id}`;
  }

  private typeDomain(dialect: Dialect): unknown[] {
    return [dialect.typeField, '=', 'out_invoice'];
  }

  private async findInvoice(dialect: Dialect): Promise<number | undefined> {
    const rows = await this.session.searchRead(dialect.model, [[dialect.refField, '=', this.context.billId], this.typeDomain(dialect)], ['id'], {
      order: 'id asc',
      limit: 1,
    });
    return rows[0]?.id as number | undefined;
  }

  /**
   * An invoice for the same tenant, window and revision made by another bill id is one an earlier
   * run created before it failed (the ledger then freed the window). Refuse to add a second:
   * a person decides which one stands.
   */
  private async refuseOrphan(dialect: Dialect): Promise<void> {
    const rows = await this.session.searchRead(
      dialect.model,
      [[dialect.originField, '=', this.origin()], this.typeDomain(dialect), ['state', '!=', 'cancel']],
      ['id', dialect.refField, 'state'],
      { order: 'id asc', limit: 1 },
    );
    const other = rows[0];
    if (other) {
      throw new OdooError(
        `Odoo already has ${dialect.model} ${other.id} (${other.state}) for tenant ${this.tenant.id} ${this.context.start}/${this.context.end}, ` +
          `made by bill ${String(other[dialect.refField])}, which did not finish; cancel or delete it in Odoo, then bill again`,
      );
    }
  }

  private async partner(dialect: Dialect): Promise<number> {
    const session = this.session;
    const find = async () => (await session.searchRead('res.partner', [['ref', '=', this.tenant.id]], ['id'], { order: 'id asc', limit: 1 }))[0]?.id as number | undefined;
    if (!this.settings.partnerCreate) {
      const id = await find();
      if (id === undefined) {
        throw new OdooError(`no Odoo customer with reference (ref) '${this.tenant.id}' (${session.describe()}); create it, or set [invoice:object] partner_create = true`);
      }
      return id;
    }
    const { id } = await session.findOrCreate('res.partner', find, async () => ({
      name: this.tenant.name || this.tenant.id,
      ref: this.tenant.id,
      is_company: true,
      ...dialect.customerFlag,
    }));
    return id;
  }

  private async invoiceValues(dialect: Dialect, partner: number): Promise<Record<string, unknown>> {
    const session = this.session;
    const { settings } = this;
    const currency = await session.currency(settings.currency ?? this.context.currency);
    const precision = { ...(await session.precision()), currencyDigits: currency.digits };
    const taxes = settings.taxes === undefined ? undefined : await session.taxes(settings.taxes);
    const fixedAccount = dialect.lineAccount && settings.incomeAccount !== undefined ? await session.account(settings.incomeAccount) : undefined;

    const lines: unknown[] = [];
    for (const [datacenter, sectionLines] of this.sections) {
      if (sectionLines.length === 0) continue;
      if (dialect.sections) lines.push([0, 0, { display_type: 'line_section', name: datacenter }]);
      for (const line of sectionLines) {
        const adjustment = adjustmentOf(line);
        const product = adjustment ? await this.adjustmentProduct(adjustment, line) : await this.productOf(line.datacenter, line.name);
        const amount = odooAmount(line, precision);
        if (!amount) {
          throw new OdooError(
            `line ${line.datacenter}/${line.name}: amount ${line.amount.toFixed()} has more digits than Odoo keeps ` +
              `(unit price ${precision.priceDigits}, ${this.context.currency} ${precision.currencyDigits}); raise Odoo's precision or [main] currency_digits`,
          );
        }
        const values: Record<string, unknown> = {
          product_id: product.id,
          name: adjustment ? `${dialect.sections ? '' : `${line.datacenter} `}${line.name}` : this.label(line, dialect, amount.shape === 'lump'),
          quantity: amount.quantity.toNumber(),
          price_unit: amount.priceUnit.toNumber(),
        };
        if (taxes) values[dialect.lineTaxField] = [[6, 0, taxes]];
        if (dialect.lineAccount) {
          const account = fixedAccount ?? product.incomeAccount;
          if (account === undefined) {
            throw new OdooError(`Odoo product '${product.code}' has no income account (nor has its category); set one, or [invoice:object] income_account`);
          }
          values.account_id = account;
        }
        lines.push([0, 0, values]);
      }
    }

    const values: Record<string, unknown> = {
      [dialect.typeField]: 'out_invoice',
      partner_id: partner,
      [dialect.refField]: this.context.billId,
      [dialect.originField]: this.origin(),
      currency_id: currency.id,
      invoice_line_ids: lines,
    };
    if (settings.journal !== undefined) values.journal_id = await session.journal(settings.journal);
    return values;
  }

  /**
   * The product of a discount or monthly-minimum line (lines artifice adds for every adapter,
   * docs/prices.md): its name is for the customer, not a service with a product of its own.
   */
  private async adjustmentProduct(kind: 'discount' | 'minimum', line: InvoiceLine): Promise<Product> {
    const code = this.settings.adjustmentProducts[kind];
    const product = await this.session.product(code);
    if (product) return product;
    throw new OdooError(
      `no Odoo product with internal reference '${code}' for the line '${line.name}' (${this.session.describe()}); ` +
        `create it (its price is not used), or set [invoice:object] ${kind}_product`,
    );
  }

  /** `m1.small: 565.833333 hour` — the exact quantity, whatever Odoo's quantity precision. */
  private label(line: InvoiceLine, dialect: Dialect, lump: boolean): string {
    const where = dialect.sections ? '' : `${line.datacenter} `;
    const rate = lump ? ` × ${formatRate(line.rate)}` : '';
    return `${where}${line.name}: ${formatQuantity(line.quantity)} ${line.unit}${rate}`;
  }
}

/** A discount or monthly-minimum line, by what priced it; undefined for a usage line. */
function adjustmentOf(line: InvoiceLine): 'discount' | 'minimum' | undefined {
  const kind = line.basis?.kind;
  return kind === 'discount' || kind === 'minimum' ? kind : undefined;
}

export default OdooInvoice;
