/** `artifice usage`: what `bill` would bill, read-only (no ledger write, no invoice), open windows too. */
import type { Deps } from '../deps.js';
import { bill, type BillOptions } from './bill.js';

export function usage(options: Omit<BillOptions, 'preview' | 'dryRun'>, deps: Deps): Promise<number> {
  return bill({ ...options, preview: true }, deps);
}
