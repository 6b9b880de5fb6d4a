/**
 * The `InvoiceContext` an adapter is constructed with, built in one place for every command that
 * constructs one: `bill` (the ledger's bill), a preview (`usage`, `--dry-run`), price coverage
 * (`adapters`, `check`) and `verify`; and the setup its static methods are given.
 */
import type { Config } from '../config.js';
import { formatTimestamp } from '../model/time.js';
import type { InvoiceTenant, Window } from '../model/types.js';
import type { Invoice, InvoiceClass, InvoiceContext, InvoiceSetup } from './contract.js';

/** What differs between the constructions: the bill (or a name such as `preview`) and whether it may write. */
export interface ContextBill {
  billId: string;
  dryRun: boolean;
  revision: number;
  /** The bill's own currency (verify: as it was billed); default `[main] currency`. */
  currency?: string;
}

export function invoiceContext(config: Pick<Config, 'main' | 'dir'>, window: Window, bill: ContextBill): InvoiceContext {
  return {
    billId: bill.billId,
    start: formatTimestamp(window.start),
    end: formatTimestamp(window.end),
    currency: bill.currency ?? config.main.currency,
    digits: config.main.currencyDigits,
    dryRun: bill.dryRun,
    revision: bill.revision,
    configDir: config.dir,
    timezone: config.main.timezone,
  };
}

/** `new Adapter(tenant, config, context)`, with a fresh copy of `[invoice:object]` for each bill. */
export function newInvoice(
  Adapter: InvoiceClass, config: Pick<Config, 'main' | 'dir' | 'invoice'>, tenant: InvoiceTenant, window: Window, bill: ContextBill,
): Invoice {
  return new Adapter(tenant, { ...config.invoice }, invoiceContext(config, window, bill));
}

/** What an adapter's static `validate()` and `priceList()` are given besides its config. */
export function invoiceSetup(config: Pick<Config, 'main' | 'dir'> & Partial<Pick<Config, 'prices'>>): InvoiceSetup {
  return { configDir: config.dir, currency: config.main.currency, timezone: config.main.timezone, priceGroups: Object.keys(config.prices?.groups ?? {}) };
}
