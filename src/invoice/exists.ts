/**
 * Do the invoices of committed bills still exist (`artifice status`, `artifice check`)? The
 * adapter's optional static `invoiceExists()` (src/invoice/contract.ts), asked once per bill, a
 * few at a time; and the answer of the file adapters, one stat per invoice.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { AdapterError, errorMessage, firstLine } from '../model/errors.js';
import type { InvoiceClass, InvoiceConfig, InvoiceSetup } from './contract.js';

/** How many invoiceExists() calls are in flight at once: an ERP adapter's searches overlap, a stat is done at once anyway. */
const AT_ONCE = 8;

export type InvoicesFound<T> =
  /** Every item was asked: those whose invoice is missing, in input order. */
  | { kind: 'checked'; missing: T[] }
  /** The adapter has no invoiceExists(): nothing can be told. */
  | { kind: 'unsupported' }
  /** invoiceExists() threw, or answered something other than true or false: it cannot tell. */
  | { kind: 'failed'; error: string };

/** Which of `items` have an invoice that the adapter says no longer exists. */
export async function findMissingInvoices<T extends { reference: string }>(
  Adapter: InvoiceClass, items: readonly T[], config: InvoiceConfig, setup: InvoiceSetup,
): Promise<InvoicesFound<T>> {
  const exists = Adapter.invoiceExists;
  if (typeof exists !== 'function') return { kind: 'unsupported' };
  const given = { ...config };
  const missing: boolean[] = new Array(items.length).fill(false);
  let error: string | undefined;
  let next = 0;
  const worker = async () => {
    // After the first error the others are not asked: an ERP that is down would time out 10 000 times.
    while (next < items.length && error === undefined) {
      const index = next++;
      const { reference } = items[index]!;
      try {
        const answer: unknown = await exists.call(Adapter, reference, given, setup);
        if (typeof answer !== 'boolean') throw new AdapterError(`it answered ${answer === null ? 'null' : typeof answer}, not true or false (see INVOICES.md)`);
        missing[index] = !answer;
      } catch (thrown) {
        error ??= `invoiceExists(${reference}): ${firstLine(thrown)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, items.length) }, worker));
  return error === undefined ? { kind: 'checked', missing: items.filter((_, i) => missing[i]) } : { kind: 'failed', error };
}

/**
 * For file adapters: the invoice file `reference` names (relative to `configDir` unless absolute)
 * is there and is a non-empty file. One stat; a file that cannot be looked at (permissions) throws.
 */
export function invoiceFileExists(reference: string, configDir: string): boolean {
  const file = path.resolve(configDir, reference);
  try {
    const stats = statSync(file, { throwIfNoEntry: false });
    return stats !== undefined && stats.isFile() && stats.size > 0;
  } catch (error) {
    // A directory on the way became a file: the invoice is not there either.
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw new AdapterError(`cannot tell whether invoice file ${file} exists: ${errorMessage(error)}`, { cause: error });
  }
}
