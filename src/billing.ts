/**
 * One bill (DESIGN §5): claim → collect → usage → price → invoice → commit, and the batch of
 * bills a command runs. A tenant's failure never stops the batch: every tenant ends with an
 * outcome, and nothing is marked committed before the adapter has committed.
 */
import type { Config } from './config.js';
import { Decimal } from './decimal.js';
import { ArtificeError, errorMessage } from './errors.js';
import type { InvoiceClass, InvoiceLine } from './invoice/contract.js';
import type { Bill, Ledger, Owner } from './ledger.js';
import { billableFrom, isBillable, type BillingWindow } from './period.js';
import { priceUsage } from './pricing.js';
import type { Collector, Sample, Tenant } from './telemetry/contract.js';
import { formatTimestamp } from './time.js';
import { computeUsage } from './usage/index.js';
import type { UsageRecord } from './usage/types.js';

export type OutcomeStatus = 'committed' | 'skipped' | 'empty' | 'failed' | 'preview';

/** Why a window was skipped: already billed, or not billable now (exit 3). */
export type SkipReason = 'billed' | 'open' | 'busy' | 'overlap';

export interface Outcome {
  tenant: Tenant;
  window: BillingWindow;
  status: OutcomeStatus;
  currency: string;
  total: Decimal | null;
  invoice: string | null;
  lines: InvoiceLine[];
  usage: UsageRecord[];
  billId: string | null;
  /** Failure message, or why it was skipped. */
  error?: string;
  reason?: string;
  skip?: SkipReason;
  /** Services billed at 0 because they have no price (allow_unpriced). */
  unpriced: string[];
  dropped: { untrusted: number; duplicates: number };
}

export interface BillingContext {
  config: Config;
  collector: Collector;
  Adapter: InvoiceClass;
  /** Absent for read-only runs (`usage`, `--dry-run`). */
  ledger?: Ledger;
  owner: Owner;
  now: () => Date;
  dryRun: boolean;
}

/** Whatever the adapter or collector throws, one line for the summary. */
function reasonOf(error: unknown): string {
  return error instanceof ArtificeError ? error.message : `${errorMessage(error)}`.split('\n')[0]!;
}

function blank(tenant: Tenant, window: BillingWindow, config: Config, status: OutcomeStatus): Outcome {
  return {
    tenant, window, status, currency: config.main.currency, total: null, invoice: null, lines: [], usage: [], billId: null,
    unpriced: [], dropped: { untrusted: 0, duplicates: 0 },
  };
}

/** Samples of every configured meter, with the look-back the holding rule needs. */
export async function collectSamples(collector: Collector, config: Config, tenant: Tenant, window: BillingWindow): Promise<Sample[]> {
  const batches = await Promise.all(
    config.meterSpecs.map((spec) =>
      collector.samples({ projectId: tenant.id, meter: spec.meter, start: window.start - spec.maxGapUs, end: window.end }),
    ),
  );
  return batches.flat();
}

export function datacenterResolver(config: Config): (sample: Sample) => string {
  return (sample) => {
    for (const key of ['availability_zone', 'host']) {
      const value = sample.metadata[key];
      if (typeof value === 'string' && config.datacenters[value]) return config.datacenters[value]!;
    }
    return sample.region;
  };
}

/** Collect and compute usage for one tenant and window (no ledger, no adapter). */
export async function measure(ctx: Pick<BillingContext, 'config' | 'collector'>, tenant: Tenant, window: BillingWindow) {
  const samples = await collectSamples(ctx.collector, ctx.config, tenant, window);
  return computeUsage(samples, ctx.config.meterSpecs, {
    window,
    trustSources: ctx.config.main.trustSources,
    datacenterOf: datacenterResolver(ctx.config),
    flavorNames: ctx.config.flavors,
  });
}

export async function billTenant(ctx: BillingContext, tenant: Tenant, window: BillingWindow): Promise<Outcome> {
  const { config, ledger } = ctx;
  if (!ctx.dryRun && !isBillable(window, ctx.now(), config.main.settleHours)) {
    return {
      ...blank(tenant, window, config, 'skipped'),
      skip: 'open',
      reason: `window not settled: billable from ${formatTimestamp(billableFrom(window, config.main.settleHours))} ([main] settle_hours = ${config.main.settleHours})`,
    };
  }
  let bill: Bill | undefined;
  if (ledger && !ctx.dryRun) {
    let claim: ReturnType<Ledger['claim']>;
    try {
      claim = ledger.claim(tenant, window, ctx.owner);
    } catch (error) {
      return { ...blank(tenant, window, config, 'failed'), error: `cannot claim the window in the ledger: ${reasonOf(error)}` };
    }
    if (claim.kind === 'committed') {
      return {
        ...blank(tenant, window, config, 'skipped'), skip: 'billed', billId: claim.bill.id, invoice: claim.bill.reference || null,
        total: claim.bill.total === null ? null : new Decimal(claim.bill.total),
        reason: `already billed (bill ${claim.bill.id.slice(0, 8)}, ${claim.bill.committedAt}); void it to bill again`,
      };
    }
    if (claim.kind === 'busy') {
      const owner = claim.bill.owner;
      return {
        ...blank(tenant, window, config, 'skipped'), skip: 'busy', billId: claim.bill.id,
        reason: `being billed by another run${owner ? ` (${owner.host} pid ${owner.pid})` : ''}`,
      };
    }
    if (claim.kind === 'overlap') {
      const others = claim.bills.map((b) => `${formatTimestamp(b.start)}..${formatTimestamp(b.end)} ${b.status}`).join('; ');
      return { ...blank(tenant, window, config, 'skipped'), skip: 'overlap', reason: `overlaps bill(s) ${others}` };
    }
    bill = claim.bill;
  }

  const outcome = blank(tenant, window, config, ctx.dryRun || !ledger ? 'preview' : 'committed');
  outcome.billId = bill?.id ?? null;
  try {
    const usage = await measure(ctx, tenant, window);
    outcome.usage = usage.records;
    outcome.dropped = { untrusted: usage.untrusted, duplicates: usage.duplicates };
    const invoice = new ctx.Adapter({ id: tenant.id, name: tenant.name }, { ...config.invoice }, {
      billId: bill?.id ?? 'preview',
      start: formatTimestamp(window.start),
      end: formatTimestamp(window.end),
      currency: config.main.currency,
      digits: config.main.currencyDigits,
      dryRun: ctx.dryRun || !ledger,
      revision: bill?.revision ?? 1,
      configDir: config.dir,
    });
    const priced = await priceUsage(usage.records, invoice, { digits: config.main.currencyDigits, allowUnpriced: config.main.allowUnpriced });
    outcome.lines = priced.lines;
    outcome.total = priced.total;
    outcome.unpriced = priced.unpriced;
    if (!bill || !ledger) return outcome;

    if (usage.records.length === 0) {
      // Nothing used: the window is still billed (recorded), so it is neither re-tried nor reported missing.
      ledger.recordUsage(bill.id, [], []);
      ledger.markCommitted(bill.id, '', '0', config.main.currency);
      return { ...outcome, status: 'empty' };
    }
    ledger.recordUsage(bill.id, usage.records, priced.lines);
    for (const datacenter of [...new Set(priced.lines.map((line) => line.datacenter))]) await invoice.addSection(datacenter);
    for (const line of priced.lines) await invoice.addLine(line);
    const reference = String(await invoice.commit());
    ledger.markCommitted(bill.id, reference, priced.total.toString(), config.main.currency);
    return { ...outcome, invoice: reference };
  } catch (error) {
    const message = reasonOf(error);
    if (bill && ledger) {
      try {
        ledger.markFailed(bill.id, message);
      } catch (markError) {
        return { ...outcome, status: 'failed', error: `${message}; and the ledger could not record it: ${reasonOf(markError)}` };
      }
    }
    return { ...outcome, status: 'failed', error: message };
  }
}

/** Bills tenants with at most `concurrency` at once; one outcome per tenant, in input order. */
export async function billTenants(
  ctx: BillingContext,
  tenants: Tenant[],
  window: BillingWindow,
  options: { concurrency: number; onDone?: (outcome: Outcome, done: number, total: number) => void },
): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(tenants.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const index = next++;
      outcomes[index] = await billTenant(ctx, tenants[index]!, window);
      options.onDone?.(outcomes[index]!, ++done, tenants.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  return outcomes;
}
