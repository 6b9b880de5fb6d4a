/**
 * `artifice bill`: bill windows for tenants, each recorded in the ledger exactly once (the run's
 * life cycle is src/billing/run.ts); `--dry-run` and `usage` preview them. This parses the
 * options, runs the core and renders what it returns (src/view/bill.ts).
 */
import type { BillOptions, RunContext, RunResult } from '../billing/context.js';
import { billRun, previewRun } from '../billing/run.js';
import type { Deps } from '../deps.js';
import { Output } from '../view/output.js';
import { printRun } from '../view/bill.js';
import { checkSelection, readConfig, windowOf } from './common.js';

export type { BillOptions };

export async function bill(options: BillOptions, deps: Deps): Promise<number> {
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  checkSelection(options);
  const ctx: RunContext = { options, deps, config, window, out: new Output(deps, options) };
  const render = (result: RunResult) => printRun(ctx, result);
  return options.preview || options.dryRun ? previewRun(ctx, render) : billRun(ctx, render);
}
