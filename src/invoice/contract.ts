/**
 * The Invoice adapter contract (descends from the original Artifice's INVOICES.md).
 * Life cycle, once per bill: `new Adapter(tenant, config, context)`, `cost()` for every
 * (datacenter, service) priced, `addSection()` per datacenter, `addLine()` per line, `commit()`.
 */
import type { Decimal } from 'decimal.js';
import type { InvoiceLine, InvoiceTenant, LineBasis, Window } from '../model/types.js';

/** The data types of the contract live with the other shared types; adapters import them from here. */
export type { InvoiceLine, InvoiceTenant, LineBasis, Window };

export interface InvoiceContext {
  /** The ledger's bill id: stable across a resumed run, so `commit()` can be idempotent. */
  billId: string;
  /** Half-open window, ISO-8601 UTC. */
  start: string;
  end: string;
  currency: string;
  /** Digits the currency is rounded to. */
  digits: number;
  dryRun: boolean;
  /** 1 for the first bill of this tenant and window, 2 after one was voided, … */
  revision: number;
  /** Directory of the ini file: relative paths in `config` resolve against it. */
  configDir: string;
  /** `[main] timezone`: how dates without an offset (a rates file's `from`, `until`) are read. Always set by artifice. */
  timezone?: string;
}

/**
 * What `cost()` is also told, and `prices()` is asked with (INVOICES.md, "Price lists"): whose
 * price, and for which part of the bill's window. An adapter may ignore it.
 */
export interface PriceQuery {
  tenant: InvoiceTenant;
  /** The tenant's group in `[price_groups]`, when it is in one. */
  group?: string;
  /** The part of the window priced: half-open, epoch microseconds UTC. */
  period: Window;
}

/** A tier: from `from` units of quantity on (the first tier from 0), `rate` per unit. */
export interface PriceTier {
  from: Decimal;
  rate: Decimal;
  /** The row of the price list that gives it (its line in the rates file), for the line's basis. */
  row: number;
}

/** One stretch of a query's period with one set of prices. */
export interface PricePeriod {
  /** Inside the query's period. */
  period: Window;
  /** What the rates are per; empty: not checked. */
  unit: string;
  /** graduated: each tier prices its part of the quantity; volume: the tier the quantity reaches prices all of it. */
  mode: 'graduated' | 'volume';
  /** Ascending `from`, the first from 0; one tier for a flat rate. */
  tiers: PriceTier[];
  /** Whose prices they are, for the reader: `*`, `tenant acme`, `group partners`. */
  scope: string;
}

/** What `cost()` returns: a reference the ledger stores (file path, ERP invoice number). */
export type InvoiceReference = string;

export interface Invoice {
  addSection(datacenter: string): void | Promise<void>;
  addLine(line: InvoiceLine): void | Promise<void>;
  /**
   * Unit rate for a service in a datacenter, or undefined/null when it has no price. `query`
   * (always given by artifice) says whose price and for which period; an adapter may ignore it.
   */
  cost(datacenter: string, name: string, query?: PriceQuery): Decimal | number | string | undefined | null | Promise<Decimal | number | string | undefined | null>;
  /**
   * Optional: the rich price list (dated rows, tenant and group rows, tiers). When present it is
   * asked instead of `cost()`: the stretches of `query.period` that have a price, in time order
   * (a stretch left out has no price). A price change inside the window splits the line.
   */
  prices?(datacenter: string, name: string, query: PriceQuery): PricePeriod[] | Promise<PricePeriod[]>;
  /** Saves the invoice. Must be idempotent for one `context.billId`. */
  commit(): InvoiceReference | Promise<InvoiceReference>;
}

export type InvoiceConfig = Record<string, string>;

/** What an adapter's static `validate()` is given besides its config. */
export interface InvoiceSetup {
  /** Directory of the ini file: relative paths in `config` resolve against it. */
  configDir: string;
  currency: string;
  /** `[main] timezone`: how dates without an offset are read. Always set by artifice. */
  timezone?: string;
  /** The group names of `[price_groups]`: a price list row naming another group is an error. Always set by artifice. */
  priceGroups?: string[];
}

export interface InvoiceClass {
  new (tenant: InvoiceTenant, config: InvoiceConfig, context: InvoiceContext): Invoice;
  /**
   * Optional: checks `[invoice:object]` once per command, before any bill (a rates file that does
   * not parse, a missing key). Throwing refuses the configuration: the run stops with exit 2
   * before the ledger is opened, instead of failing every tenant one by one.
   */
  validate?(config: InvoiceConfig, setup: InvoiceSetup): void | Promise<void>;
  /**
   * Optional: the prices the adapter knows, for price coverage (`artifice adapters`, `artifice
   * check`): its services name the flavors to check, and its units are compared with the meters
   * file's. Without it, coverage asks `cost()` only, for the flavors of `[flavors]`.
   */
  priceList?(config: InvoiceConfig, setup: InvoiceSetup): PriceList | Promise<PriceList>;
  /**
   * Optional: whether the invoice that `commit()` returned `reference` for still exists (a file
   * not deleted, an ERP invoice not removed). `artifice status` and `artifice check` ask it once
   * per committed bill, so it must be read-only and cheap (a stat, a search). Throwing means it
   * cannot tell (the ERP is down); it is not asked for the other bills then. Without it, the
   * invoices are reported as not checked.
   */
  invoiceExists?(reference: InvoiceReference, config: InvoiceConfig, setup: InvoiceSetup): boolean | Promise<boolean>;
}

/** One row of a price list: the rate of a service in a datacenter, per unit. */
export interface PriceRow {
  /** `*`: every datacenter that has no row of its own for the service. */
  datacenter: string;
  service: string;
  /** What the rate is per (`hour`, `gigabyte-hour`); empty: not checked. */
  unit: string;
  /** For the reader: what is billed is still what `cost()` answers. */
  rate: Decimal | number | string;
  /** A dated row: in force from `from` (inclusive) until `until` (exclusive), ISO-8601 UTC. */
  from?: string;
  until?: string;
  /** A row of one tenant (`tenant acme`) or group (`group partners`); absent: everyone's. */
  scope?: string;
  /** A tier's lower bound, when the row is a tier. */
  tierFrom?: string;
}

export interface PriceList {
  /** What the report calls the list, e.g. `rates.csv` (“flavors from [flavors] and rates.csv”). */
  name: string;
  /** Where to fix a row, the start of a problem found in it, e.g. `rates file /etc/artifice/rates.csv`. */
  where: string;
  rows: PriceRow[];
}

export const INVOICE_METHODS = ['addSection', 'addLine', 'cost', 'commit'] as const;

/** Which contract methods a class's prototype lacks (empty when it is a usable adapter). */
export function missingInvoiceMethods(value: unknown): string[] {
  if (typeof value !== 'function') return [...INVOICE_METHODS];
  const proto = (value as { prototype?: Record<string, unknown> }).prototype;
  return INVOICE_METHODS.filter((method) => typeof proto?.[method] !== 'function');
}

export function isInvoiceClass(value: unknown): value is InvoiceClass {
  return missingInvoiceMethods(value).length === 0;
}
