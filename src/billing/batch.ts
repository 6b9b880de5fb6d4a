/**
 * The batch of bills a command runs: tenants `concurrency` at a time, one outcome per tenant in
 * input order. It never throws for a tenant. After a stop request (`ctx.stop`), tenants not
 * started end `failed` with "not attempted" (no ledger row: their windows stay billable).
 */
import { oneLine } from '../model/errors.js';
import type { Outcome } from '../model/outcome.js';
import type { BillingWindow, Tenant } from '../model/types.js';
import { billTenant, blank, failed, type BillingContext } from './bill.js';

export interface BatchOptions {
  concurrency: number;
  /** Called as each tenant finishes, with how many are done of how many. */
  onDone?: (outcome: Outcome, done: number, total: number) => void;
}

export async function billTenants(ctx: BillingContext, tenants: Tenant[], window: BillingWindow, options: BatchOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(tenants.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const index = next++;
      const started = ctx.now().getTime();
      const outcome = await oneTenant(ctx, tenants[index]!, window);
      outcome.ms = ctx.now().getTime() - started;
      outcomes[index] = outcome;
      options.onDone?.(outcome, ++done, tenants.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  return outcomes;
}

async function oneTenant(ctx: BillingContext, tenant: Tenant, window: BillingWindow): Promise<Outcome> {
  if (ctx.stop?.reason) return failed(blank(tenant, window, ctx.config), `not attempted: the run was interrupted by ${ctx.stop.reason}`);
  try {
    return await billTenant(ctx, tenant, window);
  } catch (error) {
    // billTenant catches what it can; a claim or ledger error escaping it still fails only this tenant.
    return failed(blank(tenant, window, ctx.config), oneLine(error));
  }
}
