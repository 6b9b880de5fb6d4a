/**
 * Do the invoices of committed bills still exist? `artifice status` (a problem: exit 1) and
 * `artifice check` (the `invoices` item) ask the adapter's optional `invoiceExists()` for every
 * committed bill that has an invoice (src/invoice/exists.ts): one stat per bill for the file
 * adapters. Voided bills are history, and bills recorded empty have no invoice: neither is asked.
 * An adapter without the method is "not checked", which is no failure.
 */
import type { Config } from '../config.js';
import { errorMessage } from '../model/errors.js';
import { invoiceSetup } from '../invoice/context.js';
import { findMissingInvoices, type InvoicesFound } from '../invoice/exists.js';
import { loadInvoiceClass } from '../invoice/load.js';
import type { Bill, Ledger } from '../ledger.js';
import { monthLabel, type Health } from './health.js';

/** A committed bill whose invoice the adapter says is gone. */
export interface MissingInvoice {
  tenant: string;
  tenant_name: string | null;
  window: string;
  bill: string;
  invoice: string;
  committed_at: string | null;
}

/** The invoices of the committed bills (`bills`: how many have one): checked, or why not. */
export type InvoicesHealth =
  | { checked: true; bills: number; missing: MissingInvoice[] }
  /** `error`: the adapter could not answer (it failed to load, or invoiceExists() threw); false: it has no invoiceExists(). */
  | { checked: false; bills: number; reason: string; error: boolean };

/** What `artifice status` shows: the health of the ledger, and the invoices of its committed bills. */
export interface StatusHealth extends Health {
  invoices: InvoicesHealth;
}

export async function assessInvoices(ledger: Ledger, config: Config): Promise<InvoicesHealth> {
  const bills = (await ledger.bills({ status: ['committed'] })).filter((bill) => bill.reference);
  const items = bills.map((bill) => ({ bill, reference: bill.reference! }));
  const count = items.length;
  if (count === 0) return { checked: true, bills: 0, missing: [] };
  let found: InvoicesFound<{ bill: Bill; reference: string }>;
  try {
    const { Adapter } = await loadInvoiceClass(config.main.invoiceObject, config.dir);
    found = await findMissingInvoices(Adapter, items, config.invoice, invoiceSetup(config));
  } catch (error) {
    return { checked: false, bills: count, reason: errorMessage(error), error: true };
  }
  switch (found.kind) {
    case 'unsupported':
      return { checked: false, bills: count, reason: `${config.main.invoiceObject} has no static invoiceExists() (INVOICES.md)`, error: false };
    case 'failed':
      return { checked: false, bills: count, reason: `${config.main.invoiceObject}: ${found.error}`, error: true };
    default:
      return {
        checked: true, bills: count,
        missing: found.missing.map(({ bill }) => ({
          tenant: bill.tenant, tenant_name: bill.tenantName, window: monthLabel(bill.start, bill.end, config), bill: bill.id,
          invoice: bill.reference!, committed_at: bill.committedAt,
        })),
      };
  }
}

/** "the invoices of 2 committed bills are missing", or undefined when none is (or nothing could be told). */
export function missingInvoicesProblem(invoices: InvoicesHealth): string | undefined {
  if (!invoices.checked || invoices.missing.length === 0) return undefined;
  const n = invoices.missing.length;
  return n === 1 ? 'the invoice of 1 committed bill is missing' : `the invoices of ${n} committed bills are missing`;
}

/** `health` with the invoices' verdict added: a missing invoice makes it unhealthy. */
export function withInvoices(health: Health, invoices: InvoicesHealth): StatusHealth {
  const problem = missingInvoicesProblem(invoices);
  const problems = problem ? [...health.problems, problem] : health.problems;
  return { ...health, healthy: problems.length === 0, problems, invoices };
}
