/**
 * A fake Odoo server speaking the documented external JSON-RPC API (`POST /jsonrpc`), on
 * 127.0.0.1 and a free port, holding its records in memory. Enough of Odoo for the odoo adapter
 * and for tests to see what it did:
 *
 * - `common`: `version`, `login(db, login, password)`, `authenticate(db, login, password, env)`
 *   (uid, or false when refused);
 * - `object.execute_kw(db, uid, password, model, method, args, kwargs)` with `search`,
 *   `search_read`, `search_count`, `read`, `create` (one dict or a list) and `write` on
 *   res.partner, product.product, product.category, account.account, account.journal,
 *   account.tax, res.currency, decimal.precision, and account.move (+ lines) from 13.0 or
 *   account.invoice (+ lines) before; fields that the version does not have are refused, as Odoo
 *   refuses them (`move_type` on 13.0, `customer_rank` on 12.0 …);
 * - errors in Odoo's envelope, HTTP 200:
 *   `{"jsonrpc": "2.0", "id": …, "error": {"code": 200, "message": "Odoo Server Error",
 *   "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied", "debug": "…"}}}`;
 * - Odoo's arithmetic on invoice lines: quantity rounded to "Product Unit of Measure" digits,
 *   price_unit to "Product Price" digits, price_subtotal = round(quantity × price_unit) to the
 *   currency's rounding, taxes (percent) rounded per line;
 * - `failCreate(model, mode)`: the next create(s) of `model` are stored and then answered late
 *   (`hang`), or their connection is dropped (`drop`): a client that retries must find the
 *   record by its reference instead of creating a second one; or they are still running when
 *   the client gives up (`slow`: stored only when answered, invisible to a search meanwhile), or
 *   they are refused (`refuse`: a ValidationError);
 * - `quoteRequests`: an error's message quotes the request it answers (the JSON-RPC body, the
 *   password in it), as a server in debug mode or a proxy may.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Decimal } from '../../src/model/decimal.js';

export type Rec = Record<string, unknown> & { id: number };

export interface FakeOdooUser {
  login: string;
  password: string;
  apiKey?: string;
}

export interface FakeOdooOptions {
  /** Server version, e.g. '16.0' (default), '13.0', '12.0'. */
  version?: string;
  database?: string;
  users?: FakeOdooUser[];
  /** decimal.precision digits (default: quantities 3, prices 6). */
  quantityDigits?: number;
  priceDigits?: number;
  /** Currencies present (active), default USD and EUR. */
  currencies?: string[];
}

export interface Call {
  service: string;
  method: string;
  model?: string;
  modelMethod?: string;
  args: unknown[];
  kwargs?: Record<string, unknown>;
}

/** How `failCreate` makes a create fail: see there. */
type CreateFault = 'hang' | 'drop' | 'slow' | 'refuse';

type FieldKind = 'char' | 'number' | 'bool' | 'm2o' | 'o2m' | 'm2m' | 'sel';
interface Field {
  kind: FieldKind;
  /** Target model of relational fields. */
  to?: string;
  /** Name of the field pointing back (o2m). */
  back?: string;
}

class OdooFault extends Error {
  constructor(readonly odooName: string, message: string) {
    super(message);
  }
}

const f = (kind: FieldKind, to?: string, back?: string): Field => ({ kind, to, back });

function schemas(major: number): Record<string, Record<string, Field>> {
  const move = major >= 13;
  const partner: Record<string, Field> = {
    id: f('number'), name: f('char'), display_name: f('char'), ref: f('char'), is_company: f('bool'), active: f('bool'),
    email: f('char'),
    ...(move ? { customer_rank: f('number') } : { customer: f('bool') }),
  };
  const product: Record<string, Field> = {
    id: f('number'), name: f('char'), display_name: f('char'), default_code: f('char'), lst_price: f('number'), active: f('bool'),
    categ_id: f('m2o', 'product.category'), property_account_income_id: f('m2o', 'account.account'), taxes_id: f('m2m', 'account.tax'),
  };
  const common: Record<string, Record<string, Field>> = {
    'res.partner': partner,
    'product.product': product,
    'product.category': { id: f('number'), name: f('char'), display_name: f('char'), property_account_income_categ_id: f('m2o', 'account.account') },
    'account.account': { id: f('number'), name: f('char'), display_name: f('char'), code: f('char') },
    'account.journal': { id: f('number'), name: f('char'), display_name: f('char'), code: f('char'), type: f('sel') },
    'account.tax': { id: f('number'), name: f('char'), display_name: f('char'), amount: f('number'), amount_type: f('sel'), type_tax_use: f('sel'), active: f('bool') },
    'res.currency': { id: f('number'), name: f('char'), display_name: f('char'), rounding: f('number'), active: f('bool') },
    'decimal.precision': { id: f('number'), name: f('char'), display_name: f('char'), digits: f('number') },
  };
  const totals = { amount_untaxed: f('number'), amount_tax: f('number'), amount_total: f('number') };
  if (move) {
    common['account.move'] = {
      id: f('number'), name: f('char'), display_name: f('char'), [major >= 14 ? 'move_type' : 'type']: f('sel'), state: f('sel'),
      partner_id: f('m2o', 'res.partner'), ref: f('char'), invoice_origin: f('char'), [major >= 14 ? 'payment_reference' : 'invoice_payment_ref']: f('char'),
      currency_id: f('m2o', 'res.currency'), journal_id: f('m2o', 'account.journal'), invoice_date: f('char'), narration: f('char'),
      invoice_line_ids: f('o2m', 'account.move.line', 'move_id'), ...totals,
    };
    common['account.move.line'] = {
      id: f('number'), move_id: f('m2o', 'account.move'), display_type: f('sel'), product_id: f('m2o', 'product.product'), name: f('char'),
      quantity: f('number'), price_unit: f('number'), discount: f('number'), tax_ids: f('m2m', 'account.tax'), account_id: f('m2o', 'account.account'),
      price_subtotal: f('number'), price_total: f('number'),
    };
  } else {
    common['account.invoice'] = {
      id: f('number'), number: f('char'), display_name: f('char'), type: f('sel'), state: f('sel'), partner_id: f('m2o', 'res.partner'),
      name: f('char'), reference: f('char'), origin: f('char'), currency_id: f('m2o', 'res.currency'), journal_id: f('m2o', 'account.journal'),
      account_id: f('m2o', 'account.account'), date_invoice: f('char'), invoice_line_ids: f('o2m', 'account.invoice.line', 'invoice_id'), ...totals,
    };
    common['account.invoice.line'] = {
      id: f('number'), invoice_id: f('m2o', 'account.invoice'), ...(major >= 12 ? { display_type: f('sel') } : {}),
      product_id: f('m2o', 'product.product'), name: f('char'), quantity: f('number'), price_unit: f('number'), discount: f('number'),
      invoice_line_tax_ids: f('m2m', 'account.tax'), account_id: f('m2o', 'account.account'), price_subtotal: f('number'), price_total: f('number'),
    };
  }
  return common;
}

const DEFAULTS: Record<string, Record<string, unknown>> = {
  'res.partner': { active: true, is_company: false, ref: false },
  'product.product': { active: true, default_code: false, lst_price: 0, categ_id: false, property_account_income_id: false, taxes_id: [] },
  'account.tax': { active: true, amount_type: 'percent', type_tax_use: 'sale' },
  'res.currency': { active: true, rounding: 0.01 },
  'account.move': { state: 'draft', name: '/', ref: false, invoice_origin: false, journal_id: false },
  'account.invoice': { state: 'draft', number: false, name: false, reference: false, origin: false, journal_id: false },
};

export class FakeOdoo {
  readonly major: number;
  readonly database: string;
  readonly users: (FakeOdooUser & { uid: number })[];
  url = '';
  readonly calls: Call[] = [];
  /** Called with each JSON-RPC call as it arrives, before it is served (e.g. to kill the client then). */
  onCall?: (call: Call) => void;
  /** Errors quote the request they answer (see the module comment). */
  quoteRequests = false;
  private readonly schema: Record<string, Record<string, Field>>;
  private readonly tables = new Map<string, Rec[]>();
  private nextId = 1;
  private readonly server: http.Server;
  private createFaults: { model: string; mode: CreateFault; ms: number; times: number }[] = [];
  private readonly held = new Set<() => void>();

  private constructor(readonly options: FakeOdooOptions) {
    this.major = Number(/^(\d+)/.exec(options.version ?? '16.0')![1]);
    this.database = options.database ?? 'artifice';
    this.users = (options.users ?? [{ login: 'billing', password: 's3cret-pw', apiKey: 'key-0123456789abcdef' }]).map((u, i) => ({ ...u, uid: i + 2 }));
    this.schema = schemas(this.major);
    for (const model of Object.keys(this.schema)) this.tables.set(model, []);
    this.insert('decimal.precision', { name: 'Product Unit of Measure', digits: options.quantityDigits ?? 3 });
    this.insert('decimal.precision', { name: 'Product Price', digits: options.priceDigits ?? 6 });
    for (const code of options.currencies ?? ['USD', 'EUR']) this.insert('res.currency', { name: code, rounding: 0.01 });
    this.insert('res.currency', { name: 'JPY', rounding: 1, active: false });
    this.insert('account.journal', { name: 'Customer Invoices', code: 'INV', type: 'sale' });
    this.insert('account.journal', { name: 'Vendor Bills', code: 'BILL', type: 'purchase' });
    this.insert('account.account', { name: 'Product Sales', code: '400000' });
    this.insert('product.category', { name: 'All', property_account_income_categ_id: this.byName('account.account', 'Product Sales') });
    this.server = http.createServer((req, res) => void this.handle(req, res));
  }

  static async start(options: FakeOdooOptions = {}): Promise<FakeOdoo> {
    const fake = new FakeOdoo(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    for (const release of this.held) release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get user(): FakeOdooUser & { uid: number } {
    return this.users[0]!;
  }

  // ---- data, for tests ----------------------------------------------------------------------

  /** Inserts a record as Odoo's own code would (no access checks, defaults applied). */
  insert(model: string, values: Record<string, unknown>): number {
    const table = this.table(model);
    const id = this.nextId++;
    const record: Rec = { ...(DEFAULTS[model] ?? {}), ...values, id };
    if (record.name !== undefined && this.schema[model]!.display_name) record.display_name = record.name;
    table.push(record);
    return id;
  }

  records(model: string): Rec[] {
    return this.table(model);
  }

  /** Invoices (account.move out_invoice, or account.invoice), with their lines. */
  invoices(): (Rec & { lines: Rec[] })[] {
    const model = this.major >= 13 ? 'account.move' : 'account.invoice';
    const lineModel = `${model}.line`;
    const back = model === 'account.move' ? 'move_id' : 'invoice_id';
    return this.table(model).map((inv) => ({ ...inv, lines: this.table(lineModel).filter((line) => line[back] === inv.id) }));
  }

  addProduct(code: string, price: number | string, name = code): number {
    return this.insert('product.product', { default_code: code, name, lst_price: Number(price), categ_id: this.byName('product.category', 'All') });
  }

  addTax(name: string, percent: number): number {
    return this.insert('account.tax', { name, amount: percent, type_tax_use: 'sale' });
  }

  /**
   * The next `times` creates of `model` are stored, then answered after `ms` (hang) or cut off
   * (drop); or (slow) take `ms` to run and are stored only then, as Odoo commits a request's
   * transaction when it answers: a search meanwhile does not see the record; or (refuse) are
   * answered with a ValidationError and not stored.
   */
  failCreate(model: string, mode: CreateFault, options: { ms?: number; times?: number } = {}): void {
    this.createFaults.push({ model, mode, ms: options.ms ?? 5000, times: options.times ?? 1 });
  }

  /** Calls of one execute_kw method on one model. */
  callsOf(model: string, method?: string): Call[] {
    return this.calls.filter((c) => c.model === model && (method === undefined || c.modelMethod === method));
  }

  private byName(model: string, name: string): number {
    return this.table(model).find((r) => r.name === name)!.id;
  }

  private table(model: string): Rec[] {
    const table = this.tables.get(model);
    if (!table) throw new OdooFault('builtins.KeyError', `'${model}'`);
    return table;
  }

  // ---- the protocol -------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.url !== '/jsonrpc' || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not Found</h1>');
      return;
    }
    let request: { jsonrpc?: string; method?: string; params?: { service?: string; method?: string; args?: unknown[] }; id?: unknown };
    const text = Buffer.concat(chunks).toString('utf8');
    const quoted = (message: string) => (this.quoteRequests ? `${message} (request: ${text})` : message);
    try {
      request = JSON.parse(text);
    } catch {
      this.reply(res, null, { error: this.envelope('werkzeug.exceptions.BadRequest', 'Invalid JSON data') });
      return;
    }
    const id = request.id ?? null;
    const { service = '', method = '', args = [] } = request.params ?? {};
    let fault: { model: string; mode: CreateFault; ms: number } | undefined;
    if (this.onCall) {
      const [, , , model, modelMethod] = (method === 'execute_kw' ? args : []) as unknown[];
      this.onCall({ service, method, args, ...(typeof model === 'string' ? { model, modelMethod: String(modelMethod) } : {}) });
    }
    try {
      if (request.jsonrpc !== '2.0' || request.method !== 'call') throw new OdooFault('werkzeug.exceptions.BadRequest', 'not a JSON-RPC 2.0 call');
      let result: unknown;
      if (service === 'common') {
        this.calls.push({ service, method, args });
        result = this.common(method, args);
      }
      else if (service === 'object' && method === 'execute_kw') {
        const [db, uid, password, model, modelMethod, modelArgs = [], kwargs = {}] = args as [string, number, string, string, string, unknown[]?, Record<string, unknown>?];
        this.calls.push({ service, method, model, modelMethod, args: modelArgs, kwargs });
        this.checkDb(db);
        if (!this.users.some((u) => u.uid === uid && (u.password === password || (u.apiKey && u.apiKey === password)))) {
          throw new OdooFault('odoo.exceptions.AccessDenied', 'Access Denied');
        }
        if (modelMethod === 'create') {
          const index = this.createFaults.findIndex((x) => x.model === model);
          if (index >= 0) {
            const chosen = this.createFaults[index]!;
            fault = chosen;
            if (--chosen.times <= 0) this.createFaults.splice(index, 1);
          }
        }
        // `slow`: Odoo is still working on the create; its transaction (the record) becomes
        // visible to other requests only when it answers, whether the client still waits or not.
        if (fault?.mode === 'slow') await this.hold(fault.ms);
        if (fault?.mode === 'refuse') throw new OdooFault('odoo.exceptions.ValidationError', `${model}: the operation cannot be completed`);
        result = this.execute(model, modelMethod, modelArgs, kwargs);
      } else {
        this.calls.push({ service, method, args });
        throw new OdooFault('builtins.KeyError', `'${service}.${method}'`);
      }
      if (fault?.mode === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault?.mode === 'hang') await this.hold(fault.ms);
      this.reply(res, id, { result });
    } catch (error) {
      if (error instanceof OdooFault) this.reply(res, id, { error: this.envelope(error.odooName, quoted(error.message)) });
      else this.reply(res, id, { error: this.envelope('builtins.Exception', quoted(String(error))) });
    }
  }

  private hold(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.held.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.held.add(release);
    });
  }

  private envelope(name: string, message: string) {
    return { code: 200, message: 'Odoo Server Error', data: { name, debug: `Traceback (most recent call last):\n  ...\n${name}: ${message}\n`, message, arguments: [message], context: {} } };
  }

  private reply(res: http.ServerResponse, id: unknown, body: Record<string, unknown>): void {
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, ...body }));
  }

  private checkDb(db: unknown): void {
    if (db !== this.database) throw new OdooFault('psycopg2.OperationalError', `FATAL:  database "${String(db)}" does not exist`);
  }

  private common(method: string, args: unknown[]): unknown {
    if (method === 'version') {
      const v = this.options.version ?? '16.0';
      return { server_version: v, server_version_info: [this.major, 0, 0, 'final', 0, ''], server_serie: v, protocol_version: 1 };
    }
    if (method === 'login' || method === 'authenticate') {
      const [db, login, password] = args as [string, string, string];
      this.checkDb(db);
      const user = this.users.find((u) => u.login === login && (u.password === password || (u.apiKey && u.apiKey === password)));
      return user ? user.uid : false;
    }
    throw new OdooFault('builtins.AttributeError', `'common' service has no method '${method}'`);
  }

  private execute(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown {
    const fields = this.schema[model];
    if (!fields) throw new OdooFault('builtins.KeyError', `'${model}'`);
    switch (method) {
      case 'search':
        return this.search(model, (args[0] ?? kwargs.domain ?? []) as unknown[], kwargs).map((r) => r.id);
      case 'search_count':
        return this.search(model, (args[0] ?? kwargs.domain ?? []) as unknown[], {}).length;
      case 'search_read': {
        const found = this.search(model, (args[0] ?? kwargs.domain ?? []) as unknown[], kwargs);
        return found.map((r) => this.view(model, r, (args[1] ?? kwargs.fields) as string[] | undefined));
      }
      case 'read': {
        const ids = (Array.isArray(args[0]) ? args[0] : [args[0]]) as number[];
        const wanted = (args[1] ?? kwargs.fields) as string[] | undefined;
        return ids.map((id) => {
          const record = this.table(model).find((r) => r.id === id);
          if (!record) throw new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${model}(${id},))`);
          return this.view(model, record, wanted);
        });
      }
      case 'create': {
        const list = Array.isArray(args[0]);
        const all = (list ? args[0] : [args[0]]) as Record<string, unknown>[];
        // Odoo creates in one transaction: validate everything before storing anything.
        const prepared = all.map((values) => this.prepare(model, values));
        const ids = prepared.map((p) => p());
        return list ? ids : ids[0];
      }
      case 'write': {
        const [ids, values] = args as [number[], Record<string, unknown>];
        for (const key of Object.keys(values)) this.field(model, key);
        for (const record of this.table(model).filter((r) => ids.includes(r.id))) Object.assign(record, values);
        return true;
      }
      default:
        throw new OdooFault('builtins.AttributeError', `The method '${method}' does not exist on the model '${model}'`);
    }
  }

  private field(model: string, name: string): Field {
    const field = this.schema[model]![name];
    if (!field) throw new OdooFault('builtins.ValueError', `Invalid field '${name}' on model '${model}'`);
    return field;
  }

  private view(model: string, record: Rec, wanted?: string[]): Record<string, unknown> {
    const names = wanted && wanted.length ? wanted : Object.keys(this.schema[model]!);
    const out: Record<string, unknown> = { id: record.id };
    for (const name of names) {
      const field = this.field(model, name);
      const value = record[name];
      if (field.kind === 'm2o') {
        const target = typeof value === 'number' ? this.table(field.to!).find((r) => r.id === value) : undefined;
        out[name] = target ? [target.id, String(target.display_name ?? target.name ?? target.id)] : false;
      } else if (field.kind === 'o2m') {
        out[name] = this.table(field.to!).filter((r) => r[field.back!] === record.id).map((r) => r.id);
      } else {
        out[name] = value ?? (field.kind === 'm2m' ? [] : false);
      }
    }
    return out;
  }

  // ---- domains ------------------------------------------------------------------------------

  private search(model: string, domain: unknown[], kwargs: Record<string, unknown>): Rec[] {
    if (!Array.isArray(domain)) throw new OdooFault('builtins.ValueError', `Invalid domain ${JSON.stringify(domain)}`);
    const mentionsActive = JSON.stringify(domain).includes('"active"');
    const hasActive = Boolean(this.schema[model]!.active);
    let found = this.table(model).filter((r) => (!hasActive || mentionsActive || r.active !== false) && this.matches(model, r, domain));
    const order = String(kwargs.order ?? 'id asc');
    found = [...found].sort((a, b) => a.id - b.id);
    if (/desc/i.test(order)) found.reverse();
    const offset = Number(kwargs.offset ?? 0);
    const limit = kwargs.limit === undefined || kwargs.limit === false || kwargs.limit === null ? undefined : Number(kwargs.limit);
    return found.slice(offset, limit === undefined ? undefined : offset + limit);
  }

  private matches(model: string, record: Rec, domain: unknown[]): boolean {
    // Prefix notation: '&' (implicit), '|', '!' before their operands.
    let position = 0;
    const term = (): boolean => {
      const item = domain[position++];
      if (item === '&') return term() && term();
      if (item === '|') {
        const a = term();
        const b = term();
        return a || b;
      }
      if (item === '!') return !term();
      if (!Array.isArray(item) || item.length !== 3) throw new OdooFault('builtins.ValueError', `Invalid leaf ${JSON.stringify(item)}`);
      return this.leaf(model, record, item as [string, string, unknown]);
    };
    let ok = true;
    while (position < domain.length) ok = term() && ok;
    return ok;
  }

  private leaf(model: string, record: Rec, [name, op, value]: [string, string, unknown]): boolean {
    const field = this.field(model, name);
    let actual = name === 'id' ? record.id : record[name];
    if (actual === undefined) actual = false;
    if (field.kind === 'm2m' && Array.isArray(actual)) {
      return op === 'in' ? (value as unknown[]).some((v) => (actual as unknown[]).includes(v)) : (actual as unknown[]).includes(value);
    }
    const text = (v: unknown) => String(v).toLowerCase();
    switch (op) {
      case '=': return actual === value || (value === false && (actual === null || actual === ''));
      case '!=': return !(actual === value || (value === false && (actual === null || actual === '')));
      case 'in': return (value as unknown[]).includes(actual);
      case 'not in': return !(value as unknown[]).includes(actual);
      case 'ilike': return actual !== false && text(actual).includes(text(value));
      case 'like': return actual !== false && String(actual).includes(String(value));
      case '=ilike': return actual !== false && text(actual) === text(value);
      case '<': return (actual as number) < (value as number);
      case '>': return (actual as number) > (value as number);
      case '<=': return (actual as number) <= (value as number);
      case '>=': return (actual as number) >= (value as number);
      default: throw new OdooFault('builtins.ValueError', `Invalid operator '${op}' in leaf ${JSON.stringify([name, op, value])}`);
    }
  }

  // ---- create -------------------------------------------------------------------------------

  /** Validates `values` for `model`; returns the function that stores them. */
  private prepare(model: string, values: Record<string, unknown>): () => number {
    if (!values || typeof values !== 'object' || Array.isArray(values)) throw new OdooFault('builtins.TypeError', `create expects a dict, got ${JSON.stringify(values)}`);
    const record: Record<string, unknown> = {};
    const children: { model: string; back: string; values: Record<string, unknown> }[] = [];
    for (const [name, value] of Object.entries(values)) {
      const field = this.field(model, name);
      if (name === 'id') throw new OdooFault('builtins.ValueError', 'cannot set id');
      if (field.kind === 'm2o') {
        if (value !== false && !this.table(field.to!).some((r) => r.id === value)) {
          throw new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${field.to}(${String(value)},))`);
        }
        record[name] = value;
      } else if (field.kind === 'o2m') {
        for (const command of value as unknown[]) {
          if (!Array.isArray(command) || command[0] !== 0) throw new OdooFault('builtins.ValueError', `unsupported one2many command ${JSON.stringify(command)}`);
          children.push({ model: field.to!, back: field.back!, values: command[2] as Record<string, unknown> });
        }
      } else if (field.kind === 'm2m') {
        const ids: number[] = [];
        for (const command of value as unknown[]) {
          if (!Array.isArray(command) || command[0] !== 6) throw new OdooFault('builtins.ValueError', `unsupported many2many command ${JSON.stringify(command)}`);
          for (const id of command[2] as number[]) {
            if (!this.table(field.to!).some((r) => r.id === id)) throw new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${field.to}(${id},))`);
            ids.push(id);
          }
        }
        record[name] = ids;
      } else {
        record[name] = value;
      }
    }
    if (model === 'account.invoice' && !record.partner_id) throw new OdooFault('odoo.exceptions.ValidationError', 'The following fields are invalid: Partner');
    if (model === 'account.move' || model === 'account.invoice') {
      const typeField = model === 'account.invoice' || this.major === 13 ? 'type' : 'move_type';
      const allowed = ['entry', 'out_invoice', 'out_refund', 'in_invoice', 'in_refund', 'out_receipt', 'in_receipt'];
      if (record[typeField] !== undefined && !allowed.includes(String(record[typeField]))) {
        throw new OdooFault('builtins.ValueError', `Wrong value for ${model}.${typeField}: '${String(record[typeField])}'`);
      }
    }
    const lines = children.map((child) => this.prepareLine(child.model, child.values));
    return () => {
      const id = this.insert(model, record);
      const stored = this.table(model).find((r) => r.id === id)!;
      const back = children[0]?.back;
      for (const line of lines) this.insert(children[0]!.model, { ...line, [back!]: id });
      if (back) this.total(stored, children[0]!.model, back);
      return id;
    };
  }

  private digits(name: string): number {
    return this.table('decimal.precision').find((r) => r.name === name)!.digits as number;
  }

  /** A line as Odoo stores it: rounded quantity and price, computed subtotal. */
  private prepareLine(model: string, values: Record<string, unknown>): Record<string, unknown> {
    const line: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(values)) {
      const field = this.field(model, name);
      if (field.kind === 'm2o' && value !== false && !this.table(field.to!).some((r) => r.id === value)) {
        throw new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${field.to}(${String(value)},))`);
      }
      if (field.kind === 'm2m') {
        const ids = (value as unknown[][]).flatMap((command) => {
          if (command[0] !== 6) throw new OdooFault('builtins.ValueError', `unsupported many2many command ${JSON.stringify(command)}`);
          return command[2] as number[];
        });
        for (const id of ids) if (!this.table(field.to!).some((r) => r.id === id)) throw new OdooFault('odoo.exceptions.MissingError', `Record does not exist or has been deleted.\n(Record: ${field.to}(${id},))`);
        line[name] = ids;
      } else {
        line[name] = value;
      }
    }
    const display = line.display_type;
    if (display !== undefined && display !== false && display !== 'line_section' && display !== 'line_note' && display !== 'product') {
      throw new OdooFault('builtins.ValueError', `Wrong value for ${model}.display_type: '${String(display)}'`);
    }
    if (display === 'line_section' || display === 'line_note') {
      if (line.product_id || line.account_id || Number(line.quantity ?? 0) !== 0 || Number(line.price_unit ?? 0) !== 0) {
        throw new OdooFault('odoo.exceptions.ValidationError', 'Forbidden unit price, account and quantity on non-accountable invoice line');
      }
      if (!line.name) throw new OdooFault('odoo.exceptions.ValidationError', 'A section line needs a label');
      return { ...line, quantity: 0, price_unit: 0, price_subtotal: 0, price_total: 0 };
    }
    if (model === 'account.invoice.line') {
      if (!line.name) throw new OdooFault('odoo.exceptions.ValidationError', 'The following fields are invalid: Description');
      if (!line.account_id) throw new OdooFault('odoo.exceptions.ValidationError', 'The following fields are invalid: Account');
    }
    if (this.major >= 16 && model === 'account.move.line') line.display_type = 'product';
    const quantity = new Decimal(String(line.quantity ?? 1)).toDecimalPlaces(this.digits('Product Unit of Measure'), Decimal.ROUND_HALF_UP);
    let priceUnit = line.price_unit;
    if (priceUnit === undefined && line.product_id) priceUnit = this.table('product.product').find((p) => p.id === line.product_id)!.lst_price;
    const price = new Decimal(String(priceUnit ?? 0)).toDecimalPlaces(this.digits('Product Price'), Decimal.ROUND_HALF_UP);
    return { ...line, quantity: quantity.toNumber(), price_unit: price.toNumber() };
  }

  /** Subtotals and totals, with the invoice currency's rounding (Odoo's Monetary fields). */
  private total(invoice: Rec, lineModel: string, back: string): void {
    const currency = this.table('res.currency').find((c) => c.id === invoice.currency_id) ?? this.table('res.currency')[0]!;
    const digits = Math.max(0, Math.round(-Math.log10(currency.rounding as number)));
    const taxField = lineModel === 'account.move.line' ? 'tax_ids' : 'invoice_line_tax_ids';
    let untaxed = new Decimal(0);
    let tax = new Decimal(0);
    for (const line of this.table(lineModel).filter((l) => l[back] === invoice.id)) {
      if (line.display_type === 'line_section' || line.display_type === 'line_note') continue;
      const subtotal = new Decimal(String(line.quantity)).times(String(line.price_unit)).toDecimalPlaces(digits, Decimal.ROUND_HALF_UP);
      let lineTax = new Decimal(0);
      for (const taxId of (line[taxField] as number[] | undefined) ?? []) {
        const rate = this.table('account.tax').find((t) => t.id === taxId)!.amount as number;
        lineTax = lineTax.plus(subtotal.times(rate).dividedBy(100).toDecimalPlaces(digits, Decimal.ROUND_HALF_UP));
      }
      line.price_subtotal = subtotal.toNumber();
      line.price_total = subtotal.plus(lineTax).toNumber();
      untaxed = untaxed.plus(subtotal);
      tax = tax.plus(lineTax);
    }
    invoice.amount_untaxed = untaxed.toNumber();
    invoice.amount_tax = tax.toNumber();
    invoice.amount_total = untaxed.plus(tax).toNumber();
  }
}
