/**
 * `[invoice:object]` for the odoo adapter: every key, validated once, with errors that name the
 * key (and never show the password or API key). INVOICES.md and artifice.ini.example list them.
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { AdapterError } from '../../src/invoice/adapter.js';

export interface OdooSettings {
  /** Base URL, without /jsonrpc and without a trailing slash. */
  url: string;
  database: string;
  user: string;
  /** The password or the API key (Odoo takes an API key in place of the password). */
  secret: string;
  secretKey: 'password' | 'api_key';
  /** Major version (16 for 16.0), or undefined: ask the server (common.version). */
  version?: number;
  productPattern: string;
  productFallback?: string;
  /** The products (internal references) of discount and monthly-minimum lines. */
  adjustmentProducts: { discount: string; minimum: string };
  /** Datacenter → what `{datacenter}` becomes in product codes. */
  datacenterMap: Map<string, string>;
  /** Journal code or id; undefined: Odoo's default sales journal. */
  journal?: string | number;
  /** Tax names or ids for every line; [] = explicitly none; undefined: the products' own taxes. */
  taxes?: (string | number)[];
  partnerCreate: boolean;
  /** ISO code of the invoice currency; undefined: [main] currency. */
  currency?: string;
  timeoutMs: number;
  retries: number;
  /** Odoo < 13 only: the income account of invoice lines (code or id); default the product's. */
  incomeAccount?: string | number;
  quantityDigits?: number;
  priceDigits?: number;
  /** PEM file of the CA certificates to trust for https (absolute). */
  caFile?: string;
  /** Skip TLS certificate verification. */
  insecure: boolean;
}

export const ODOO_KEYS = [
  'url', 'database', 'user', 'password', 'api_key', 'version', 'product_pattern', 'product_fallback', 'datacenter_map',
  'discount_product', 'minimum_product',
  'journal', 'taxes', 'partner_create', 'currency', 'timeout', 'retries', 'income_account', 'quantity_digits', 'price_digits',
  'ca_file', 'insecure',
] as const;

export const DEFAULT_PRODUCT_PATTERN = '{datacenter}.{service}';
export const DEFAULT_DISCOUNT_PRODUCT = 'artifice.discount';
export const DEFAULT_MINIMUM_PRODUCT = 'artifice.minimum';

const where = (key: string) => `[invoice:object] ${key}`;

/** A key's value, trimmed; an empty value counts as not set. */
type Get = (key: string) => string | undefined;

/** `configDir`: relative paths (ca_file) resolve against the ini file's directory. */
export function parseOdooSettings(config: Record<string, string>, configDir = '.'): OdooSettings {
  const unknown = Object.keys(config).filter((key) => !(ODOO_KEYS as readonly string[]).includes(key));
  if (unknown.length) {
    throw new AdapterError(`${where(unknown[0]!)}: not a key of the odoo adapter; its keys: ${ODOO_KEYS.join(', ')} (INVOICES.md)`);
  }
  const get: Get = (key) => {
    const value = config[key];
    if (value === undefined) return undefined;
    const trimmed = String(value).trim();
    return trimmed === '' ? undefined : trimmed;
  };
  const optional = <T>(key: string, parse: (text: string) => T): T | undefined => {
    const text = get(key);
    return text === undefined ? undefined : parse(text);
  };
  // In the order of the keys: with several mistakes, the first one is named.
  return {
    ...connection(get),
    version: optional('version', parseVersion),
    ...products(get),
    journal: optional('journal', idOrName),
    taxes: optional('taxes', (text) => (text.toLowerCase() === 'none' ? [] : text.split(',').map((s) => s.trim()).filter(Boolean).map(idOrName))),
    partnerCreate: boolean(get('partner_create'), 'partner_create', true),
    currency: optional('currency', parseCurrency),
    timeoutMs: seconds(get('timeout'), 'timeout', 30) * 1000,
    retries: whole(get('retries'), 'retries', 2, 0, 10),
    incomeAccount: optional('income_account', idOrName),
    quantityDigits: optional('quantity_digits', (text) => whole(text, 'quantity_digits', 0, 0, 12)),
    priceDigits: optional('price_digits', (text) => whole(text, 'price_digits', 0, 0, 12)),
    caFile: readable(get('ca_file'), configDir),
    insecure: boolean(get('insecure'), 'insecure', false),
  };
}

function required(get: Get, key: string, what: string): string {
  const value = get(key);
  if (value === undefined) throw new AdapterError(`${where(key)} is required by the odoo adapter: ${what}`);
  return value;
}

/** Where and as whom: url, database, user, and the password or API key. */
function connection(get: Get): Pick<OdooSettings, 'url' | 'database' | 'user' | 'secret' | 'secretKey'> {
  const urlText = required(get, 'url', 'the Odoo server, e.g. https://erp.example.com');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw new AdapterError(`${where('url')} = '${urlText.replace(/\/\/.*@/, '//(hidden)@')}' is not a URL; use http(s)://host[:port]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new AdapterError(`${where('url')} must be an http:// or https:// URL`);
  if (url.username || url.password) throw new AdapterError(`${where('url')} must not carry credentials; use user and password or api_key`);

  const database = required(get, 'database', 'the Odoo database name');
  const user = required(get, 'user', 'the login of the Odoo user artifice acts as');
  const password = get('password');
  const apiKey = get('api_key');
  if (password && apiKey) throw new AdapterError(`[invoice:object] password and api_key are both set; keep one (an API key is used in place of the password)`);
  if (!password && !apiKey) throw new AdapterError(`[invoice:object] password or api_key is required by the odoo adapter`);
  return {
    url: urlText.replace(/\/+$/, '').replace(/\/jsonrpc$/, ''),
    database,
    user,
    secret: (apiKey ?? password)!,
    secretKey: apiKey ? 'api_key' : 'password',
  };
}

function parseVersion(text: string): number {
  const match = /^(?:saas~)?(\d+)(?:\.\d+)*$/i.exec(text);
  if (!match) throw new AdapterError(`${where('version')} = '${text}' is not an Odoo version; use e.g. 16.0 or 12.0, or leave it out to ask the server`);
  const version = Number(match[1]);
  if (version < 8) throw new AdapterError(`${where('version')} = ${text}: Odoo before 8.0 has no JSON-RPC external API`);
  return version;
}

/** Which product prices a service in a datacenter: the patterns and the datacenter map. */
function products(get: Get): Pick<OdooSettings, 'productPattern' | 'productFallback' | 'datacenterMap' | 'adjustmentProducts'> {
  const productPattern = get('product_pattern') ?? DEFAULT_PRODUCT_PATTERN;
  checkPattern('product_pattern', productPattern);
  const productFallback = get('product_fallback');
  if (productFallback !== undefined) checkPattern('product_fallback', productFallback);

  const datacenterMap = new Map<string, string>();
  for (const item of (get('datacenter_map') ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const colon = item.indexOf(':');
    const from = item.slice(0, colon).trim();
    const to = item.slice(colon + 1).trim();
    if (colon < 0 || !from || !to) {
      throw new AdapterError(`${where('datacenter_map')}: '${item}' is not datacenter:prefix; use e.g. north:NZ-WLG-1, south:NZ-AKL-1`);
    }
    datacenterMap.set(from, to);
  }
  const adjustmentProducts = {
    discount: get('discount_product') ?? DEFAULT_DISCOUNT_PRODUCT,
    minimum: get('minimum_product') ?? DEFAULT_MINIMUM_PRODUCT,
  };
  return { productPattern, productFallback, datacenterMap, adjustmentProducts };
}

function parseCurrency(text: string): string {
  if (!/^[A-Z]{3}$/.test(text)) throw new AdapterError(`${where('currency')} = '${text}': use an ISO 4217 code such as USD, EUR or NZD`);
  return text;
}

function readable(file: string | undefined, configDir: string): string | undefined {
  if (file === undefined) return undefined;
  const absolute = path.resolve(configDir, file);
  try {
    accessSync(absolute, constants.R_OK);
  } catch {
    throw new AdapterError(`${where('ca_file')}: cannot read ${absolute} (a PEM file of CA certificates; relative to the ini file)`);
  }
  return absolute;
}

function boolean(text: string | undefined, key: string, fallback: boolean): boolean {
  if (text === undefined) return fallback;
  const value = text.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(value)) return true;
  if (['false', 'no', 'off', '0'].includes(value)) return false;
  throw new AdapterError(`${where(key)} = '${text}': use true or false`);
}

function checkPattern(key: string, pattern: string): void {
  if (!pattern.includes('{service}')) throw new AdapterError(`${where(key)} = '${pattern}' must contain {service} (and may contain {datacenter})`);
  const unknown = /\{(?!service\}|datacenter\})[^}]*\}/.exec(pattern);
  if (unknown) throw new AdapterError(`${where(key)} = '${pattern}': unknown placeholder ${unknown[0]}; use {datacenter} and {service}`);
}

/** A whole number is an id; anything else a name or code. */
function idOrName(text: string): string | number {
  return /^\d+$/.test(text) ? Number(text) : text;
}

function seconds(text: string | undefined, key: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  // At most an hour: Node's timers overflow (and fire at once) past 2^31 ms.
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new AdapterError(`${where(key)} = '${text}': use a number of seconds > 0 and at most 3600`);
  return n;
}

function whole(text: string | undefined, key: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new AdapterError(`${where(key)} = '${text}': use a whole number from ${min} to ${max}`);
  return n;
}

/** The product code for a service in a datacenter, by a pattern. */
export function productCode(pattern: string, datacenter: string, service: string, map: Map<string, string>): string {
  const prefix = map.get(datacenter) ?? datacenter;
  return pattern.replaceAll('{datacenter}', prefix).replaceAll('{service}', service);
}
