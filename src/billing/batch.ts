/**
 * The batch of bills a command runs: tenants `concurrency` at a time, one outcome per tenant in
 * input order. It never throws for a tenant. After a stop request (`ctx.stop`), tenants not
 * started end `failed` with "not attempted" (no ledger row: their windows stay billable).
 * A damaged ledger is the exception: it is the run's failure, not a tenant's. No tenant starts
 * after it is found, the bills in progress stop at their next step without writing to the ledger
 * (src/billing/bill.ts), and once they have, the batch throws the LedgerDamagedError (exit 2).
 */
import { LedgerDamagedError } from '../ledger.js';
import { oneLine } from '../model/errors.js';
import type { Outcome } from '../model/outcome.js';
import type { BillingWindow, Tenant } from '../model/types.js';
import { billTenant, blank, failed, type BillingContext, type StopState } from './bill.js';

export interface BatchOptions {
  concurrency: number;
  /**
   * Called as each tenant finishes, with how many are done of how many. What it returns is what
   * the batch keeps of that outcome for its result (nothing: all of it), so that a batch of
   * thousands of tenants need not hold every tenant's usage and lines to its end.
   */
  onDone?: (outcome: Outcome, done: number, total: number) => Outcome | void;
}

export async function billTenants(ctx: BillingContext, tenants: Tenant[], window: BillingWindow, options: BatchOptions): Promise<Outcome[]> {
  // The bills of the batch share one stop state: a damage one of them finds stops the others.
  const stop = ctx.stop ?? { reason: null };
  const billing = { ...ctx, stop };
  const outcomes: Outcome[] = new Array(tenants.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tenants.length && !stop.damaged) {
      const index = next++;
      const started = ctx.now().getTime();
      const outcome = await oneTenant(billing, tenants[index]!, window);
      if (!outcome) return;
      outcome.ms = ctx.now().getTime() - started;
      outcomes[index] = options.onDone?.(outcome, ++done, tenants.length) ?? outcome;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  if (stop.damaged) throw stop.damaged;
  return outcomes;
}

/** The tenant's outcome; undefined when the ledger is damaged (recorded in `ctx.stop.damaged`). */
async function oneTenant(ctx: BillingContext & { stop: StopState }, tenant: Tenant, window: BillingWindow): Promise<Outcome | undefined> {
  if (ctx.stop.reason) return failed(blank(tenant, window, ctx.config), `not attempted: the run was interrupted by ${ctx.stop.reason}`);
  try {
    return await billTenant(ctx, tenant, window);
  } catch (error) {
    if (error instanceof LedgerDamagedError) {
      ctx.stop.damaged ??= error;
      return undefined;
    }
    // billTenant catches what it can; a claim or ledger error escaping it still fails only this tenant.
    return failed(blank(tenant, window, ctx.config), oneLine(error));
  }
}
