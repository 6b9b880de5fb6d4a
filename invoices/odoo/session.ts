/**
 * One logged-in connection to one Odoo database, shared by every bill of a run: one login, one
 * version query, and each product, journal, tax and currency looked up once (a batch of hundreds
 * of tenants asks Odoo for each product once, not once per tenant).
 */
import { Decimal } from '../../src/invoice/adapter.js';
import { JsonRpc, OdooError, OdooTransportError, type Fetch } from './jsonrpc.js';
import type { OdooSettings } from './settings.js';

/** What differs between Odoo versions, for the models artifice writes. */
export interface Dialect {
  major: number;
  /** account.move since 13.0; account.invoice before. */
  model: 'account.move' | 'account.invoice';
  /** move_type since 14.0; type before. */
  typeField: 'move_type' | 'type';
  /** The field that holds the bill id: ref (account.move), name (account.invoice). */
  refField: 'ref' | 'name';
  originField: 'invoice_origin' | 'origin';
  lineTaxField: 'tax_ids' | 'invoice_line_tax_ids';
  /** Section lines (display_type = line_section) exist since 12.0. */
  sections: boolean;
  /** account.invoice lines need an income account. */
  lineAccount: boolean;
  /** How a new partner is marked as a customer. */
  customerFlag: Record<string, unknown>;
}

export function dialectFor(major: number): Dialect {
  const move = major >= 13;
  return {
    major,
    model: move ? 'account.move' : 'account.invoice',
    typeField: major >= 14 ? 'move_type' : 'type',
    refField: move ? 'ref' : 'name',
    originField: move ? 'invoice_origin' : 'origin',
    lineTaxField: move ? 'tax_ids' : 'invoice_line_tax_ids',
    sections: major >= 12,
    lineAccount: !move,
    customerFlag: move ? { customer_rank: 1 } : { customer: true },
  };
}

export interface Product {
  id: number;
  code: string;
  name: string;
  price: Decimal;
  /** Odoo < 13: the income account of its lines (the product's, else its category's). */
  incomeAccount?: number;
}

type Domain = unknown[];

/** A many2one as read: [id, display name] or false. */
function m2oId(value: unknown): number | undefined {
  return Array.isArray(value) && typeof value[0] === 'number' ? value[0] : undefined;
}

export class OdooSession {
  readonly rpc: JsonRpc;
  private uidPromise?: Promise<number>;
  private dialectPromise?: Promise<Dialect>;
  private readonly cache = new Map<string, Promise<unknown>>();

  constructor(readonly settings: OdooSettings, fetch?: Fetch) {
    this.rpc = new JsonRpc({
      url: settings.url,
      fetch,
      timeoutMs: settings.timeoutMs,
      retries: settings.retries,
      caFile: settings.caFile,
      insecure: settings.insecure,
      secrets: [settings.secret],
    });
  }

  /** `db 'x' as user 'y' at URL`, for messages (no secret). */
  describe(): string {
    return `database '${this.settings.database}' as user '${this.settings.user}' at ${this.settings.url}`;
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    let value = this.cache.get(key) as Promise<T> | undefined;
    if (!value) {
      value = load();
      this.cache.set(key, value);
      // A failure is not cached: the next bill tries again.
      value.catch(() => this.cache.delete(key));
    }
    return value;
  }

  uid(): Promise<number> {
    if (!this.uidPromise) {
      const { database, user, secret } = this.settings;
      this.uidPromise = this.rpc
        .call('common', 'authenticate', [database, user, secret, {}], `login to ${this.describe()}`, true)
        .then((uid) => {
          if (typeof uid !== 'number' || uid <= 0) {
            throw new OdooError(
              `Odoo ${this.rpc.endpoint}: login refused for user '${user}' on database '${database}'; ` +
                `check [invoice:object] user and ${this.settings.secretKey}`,
            );
          }
          return uid;
        });
      this.uidPromise.catch(() => (this.uidPromise = undefined));
    }
    return this.uidPromise;
  }

  dialect(): Promise<Dialect> {
    if (!this.dialectPromise) {
      const configured = this.settings.version;
      this.dialectPromise = configured !== undefined
        ? Promise.resolve(dialectFor(configured))
        : this.rpc.call('common', 'version', [], 'common.version', true).then((info) => dialectFor(this.majorOf(info)));
      this.dialectPromise.catch(() => (this.dialectPromise = undefined));
    }
    return this.dialectPromise;
  }

  private majorOf(info: unknown): number {
    const record = (info ?? {}) as { server_version_info?: unknown[]; server_version?: string };
    const first = record.server_version_info?.[0];
    if (typeof first === 'number') return first;
    const match = /(\d+)/.exec(String(record.server_version ?? first ?? ''));
    if (!match) {
      throw new OdooError(`Odoo ${this.rpc.endpoint}: common.version gave no version; set [invoice:object] version (e.g. 16.0)`);
    }
    return Number(match[1]);
  }

  /** `object.execute_kw`; reads are retried on transport errors, writes never. */
  async execute(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, retry = true): Promise<unknown> {
    const uid = await this.uid();
    const { database, secret } = this.settings;
    return this.rpc.call('object', 'execute_kw', [database, uid, secret, model, method, args, kwargs], `${model}.${method}`, retry);
  }

  async searchRead(model: string, domain: Domain, fields: string[], options: { limit?: number; order?: string } = {}): Promise<Record<string, unknown>[]> {
    const result = await this.execute(model, 'search_read', [domain], { fields, ...options });
    if (!Array.isArray(result)) throw new OdooError(`Odoo ${this.rpc.endpoint}: ${model}.search_read did not answer a list`);
    return result as Record<string, unknown>[];
  }

  /** `create`, sent once: a transport error may mean it was created (see findOrCreate). */
  async create(model: string, values: Record<string, unknown>): Promise<number> {
    const result = await this.execute(model, 'create', [values], {}, false);
    const id = Array.isArray(result) ? result[0] : result;
    if (typeof id !== 'number') throw new OdooError(`Odoo ${this.rpc.endpoint}: ${model}.create did not answer an id`);
    return id;
  }

  /**
   * Idempotent create: the record `find` finds, else a new one. When the create gets no answer
   * (timeout, dropped connection) Odoo may have created it anyway: look again and use it if it
   * is there. If it is not, it is not created again now: Odoo commits a request's transaction
   * only when it answers, so a create still running (the usual cause of a timeout) is invisible
   * to the search, and a second create would make a second record. The error leaves the bill
   * pending; the next run (same bill id) looks for it again before creating it.
   */
  async findOrCreate(model: string, find: () => Promise<number | undefined>, values: () => Promise<Record<string, unknown>>): Promise<{ id: number; created: boolean }> {
    const existing = await find();
    if (existing !== undefined) return { id: existing, created: false };
    const record = await values();
    try {
      return { id: await this.create(model, record), created: true };
    } catch (error) {
      if (!(error instanceof OdooTransportError) || !error.ambiguous) throw error;
      const after = await find();
      if (after !== undefined) return { id: after, created: false };
      throw new OdooError(`${error.message}; Odoo may still create the ${model}: the next run looks for it before creating another`, { cause: error });
    }
  }

  /** The product with this internal reference (default_code), or undefined; cached per run. */
  product(code: string): Promise<Product | undefined> {
    return this.once(`product\u0000${code}`, async () => {
      const dialect = await this.dialect();
      const fields = ['id', 'default_code', 'name', 'lst_price', ...(dialect.lineAccount ? ['property_account_income_id', 'categ_id'] : [])];
      const found = await this.searchRead('product.product', [['default_code', '=', code]], fields, { limit: 2 });
      if (found.length === 0) return undefined;
      if (found.length > 1) {
        throw new OdooError(`Odoo ${this.rpc.endpoint}: more than one product has internal reference '${code}'; make it unique`);
      }
      const row = found[0]!;
      const price = row.lst_price;
      if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
        throw new OdooError(`Odoo product '${code}' has sales price ${String(price)}, not a number ≥ 0`);
      }
      const product: Product = { id: row.id as number, code, name: String(row.name ?? code), price: new Decimal(String(price)) };
      if (dialect.lineAccount) product.incomeAccount = m2oId(row.property_account_income_id) ?? (await this.categoryAccount(m2oId(row.categ_id)));
      return product;
    });
  }

  private categoryAccount(categoryId: number | undefined): Promise<number | undefined> {
    if (categoryId === undefined) return Promise.resolve(undefined);
    return this.once(`category\u0000${categoryId}`, async () => {
      const rows = await this.searchRead('product.category', [['id', '=', categoryId]], ['property_account_income_categ_id']);
      return m2oId(rows[0]?.property_account_income_categ_id);
    });
  }

  /** A journal id from `journal` (id, or the code of a sales journal). */
  journal(journal: string | number): Promise<number> {
    return this.once(`journal\u0000${journal}`, async () => {
      const domain = typeof journal === 'number' ? [['id', '=', journal]] : [['code', '=', journal], ['type', '=', 'sale']];
      const rows = await this.searchRead('account.journal', domain, ['id', 'code', 'type'], { limit: 1 });
      if (!rows[0]) {
        throw new OdooError(`[invoice:object] journal = ${journal}: Odoo (${this.describe()}) has no sales journal with that ${typeof journal === 'number' ? 'id' : 'code'}`);
      }
      return rows[0].id as number;
    });
  }

  /** Tax ids from `taxes` (ids, or names of sales taxes). */
  taxes(taxes: (string | number)[]): Promise<number[]> {
    return this.once(`taxes\u0000${taxes.join('\u0000')}`, async () => {
      const ids: number[] = [];
      for (const tax of taxes) {
        const domain = typeof tax === 'number' ? [['id', '=', tax]] : [['name', '=', tax], ['type_tax_use', '=', 'sale']];
        const rows = await this.searchRead('account.tax', domain, ['id', 'name'], { limit: 2 });
        if (rows.length !== 1) {
          throw new OdooError(
            `[invoice:object] taxes: Odoo (${this.describe()}) has ${rows.length === 0 ? 'no' : 'more than one'} sales tax ${typeof tax === 'number' ? `with id ${tax}` : `named '${tax}'`}`,
          );
        }
        ids.push(rows[0]!.id as number);
      }
      return ids;
    });
  }

  /** The currency's id and how many digits Odoo rounds it to. */
  currency(code: string): Promise<{ id: number; digits: number }> {
    return this.once(`currency\u0000${code}`, async () => {
      const rows = await this.searchRead('res.currency', [['name', '=', code]], ['id', 'name', 'rounding'], { limit: 1 });
      const row = rows[0];
      if (!row) throw new OdooError(`Odoo (${this.describe()}) has no active currency ${code}; activate it in Odoo or set [invoice:object] currency`);
      const rounding = typeof row.rounding === 'number' && row.rounding > 0 ? row.rounding : 0.01;
      return { id: row.id as number, digits: Math.max(0, Math.round(-Math.log10(rounding))) };
    });
  }

  /** Digits Odoo keeps of quantities and unit prices (decimal.precision), unless configured. */
  precision(): Promise<{ quantityDigits: number; priceDigits: number }> {
    return this.once('precision', async () => {
      const { quantityDigits, priceDigits } = this.settings;
      if (quantityDigits !== undefined && priceDigits !== undefined) return { quantityDigits, priceDigits };
      const names = ['Product Unit of Measure', 'Product Unit', 'Product Price'];
      const rows = await this.searchRead('decimal.precision', [['name', 'in', names]], ['name', 'digits']);
      const digits = (name: string) => rows.find((row) => row.name === name)?.digits as number | undefined;
      return {
        // Odoo's defaults when a record is missing: 3 for quantities, 2 for prices.
        quantityDigits: quantityDigits ?? digits('Product Unit of Measure') ?? digits('Product Unit') ?? 3,
        priceDigits: priceDigits ?? digits('Product Price') ?? 2,
      };
    });
  }

  /** An account id from `income_account` (id, or code). */
  account(account: string | number): Promise<number> {
    return this.once(`account\u0000${account}`, async () => {
      const domain = typeof account === 'number' ? [['id', '=', account]] : [['code', '=', account]];
      const rows = await this.searchRead('account.account', domain, ['id', 'code'], { limit: 1 });
      if (!rows[0]) throw new OdooError(`[invoice:object] income_account = ${account}: Odoo (${this.describe()}) has no such account`);
      return rows[0].id as number;
    });
  }
}

const sessions = new WeakMap<object, Map<string, OdooSession>>();
const GLOBAL = {};

/** The session for these settings, shared by the adapters of one process (one run). */
export function sessionFor(settings: OdooSettings, fetch?: Fetch): OdooSession {
  const owner = (fetch as object | undefined) ?? GLOBAL;
  let byKey = sessions.get(owner);
  if (!byKey) sessions.set(owner, (byKey = new Map()));
  const key = JSON.stringify([settings.url, settings.database, settings.user, settings.secret, settings.version, settings.timeoutMs,
    settings.retries, settings.quantityDigits, settings.priceDigits, settings.caFile, settings.insecure]);
  let session = byKey.get(key);
  if (!session) byKey.set(key, (session = new OdooSession(settings, fetch)));
  return session;
}

/** Forgets every cached session (tests that change Odoo's data between runs). */
export function resetOdooSessions(): void {
  sessions.delete(GLOBAL);
}
