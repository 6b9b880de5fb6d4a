/**
 * One bill (docs/architecture.md, "The ledger"): claim → collect → usage → price → invoice → commit, and the batch of
 * bills a command runs. A tenant's failure never stops the batch: every tenant ends with an
 * outcome, and nothing is marked committed before the adapter has committed.
 *
 * Decisions (README "The ledger" and "Running it from cron"):
 * - While a bill is pending, a heartbeat refreshes its claim every `heartbeatMs` (default 60 s,
 *   well inside the ledger's 15-minute lease), and the claim is checked again before usage is
 *   recorded and before the adapter commits. If another run took the bill over (it thought this
 *   one dead), this run stops working on it and reports it skipped, naming the new holder.
 * - A failure before the adapter's `commit()` is called marks the bill failed (the window stays
 *   billable). Once `commit()` has been called, the bill is never marked failed: if `commit()`
 *   throws or the ledger cannot record the commit, the bill stays pending, and the next run
 *   resumes it with the same bill id, so an idempotent adapter cannot invoice twice.
 * - A stop request (SIGINT/SIGTERM, `ctx.stop`) starts no new tenant; a tenant in progress that
 *   has not reached `commit()` is marked failed ("interrupted"); one in `commit()` finishes.
 */
import type { Config } from '../config.js';
import { Decimal, formatMoney } from '../model/decimal.js';
import { AdapterError, ArtificeError, DataError, errorMessage } from '../model/errors.js';
import type { InvoiceClass } from '../invoice/contract.js';
import { newInvoice } from '../invoice/context.js';
import type { Bill, Ledger, Owner } from '../ledger.js';
import { billableFrom, isBillable } from '../period.js';
import { priceUsage } from '../pricing.js';
import type { Collector } from '../telemetry/contract.js';
import { formatTimestamp } from '../model/time.js';
import { computeUsage } from '../usage/index.js';
import type { BillingWindow, InvoiceLine, Sample, Tenant, UsageRecord } from '../model/types.js';

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
  /** The claim was taken over from a run that is gone (a crashed run's bill, resumed). */
  resumed?: boolean;
  /** A resumed bill committed with the usage and lines recorded before it was stopped (not measured again). */
  asRecorded?: boolean;
  /** For a `busy` skip: who holds the window. */
  heldBy?: Owner | null;
  /** How long this tenant took, by the context's clock. */
  ms?: number;
}

/** Set `reason` (e.g. `SIGTERM`) to stop a batch: see the module comment. */
export interface StopState {
  reason: string | null;
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
  /** How often a pending bill's claim is refreshed (default 60 s). */
  heartbeatMs?: number;
  /** A stop request: no new tenant starts, a tenant before commit is marked failed. */
  stop?: StopState;
}

export const DEFAULT_HEARTBEAT_MS = 60_000;

/** Another run took over a pending bill this run was working on. */
class LostClaim extends Error {}
/** The run was asked to stop (SIGINT/SIGTERM) before this bill reached commit(). */
class Interrupted extends Error {}

export function describeOwner(owner: Owner | null | undefined): string {
  if (!owner) return 'an unknown run';
  return `${owner.host} pid ${owner.pid} (run ${owner.runId.slice(0, 8)})`;
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

/**
 * Samples of every configured meter, with the look-back the holding rule needs. The queries run
 * together; when one fails, the others are waited for before the first error is thrown, so a
 * failed tenant leaves no query running behind the batch's back (the API sees at most
 * `concurrency` tenants' queries).
 */
export async function collectSamples(collector: Collector, config: Config, tenant: Tenant, window: BillingWindow): Promise<Sample[]> {
  const settled = await Promise.allSettled(
    config.meterSpecs.map((spec) =>
      collector.samples({ projectId: tenant.id, meter: spec.meter, start: window.start - spec.lookbackUs, end: window.end }),
    ),
  );
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
}

export function datacenterResolver(config: Config): (sample: Sample) => string {
  return (sample) => {
    for (const key of ['availability_zone', 'host']) {
      const value = sample.metadata[key];
      // Own keys only: a zone named `constructor` or `__proto__` is not a [datacenters] entry.
      if (typeof value === 'string' && Object.hasOwn(config.datacenters, value)) return config.datacenters[value]!;
    }
    return sample.region;
  };
}

/** Collect and compute usage for one tenant and window (no ledger, no adapter). */
export async function measure(ctx: Pick<BillingContext, 'config' | 'collector'>, tenant: Tenant, window: BillingWindow) {
  const samples = await collectSamples(ctx.collector, ctx.config, tenant, window);
  const usage = computeUsage(samples, ctx.config.meterSpecs, {
    window,
    trustSources: ctx.config.main.trustSources,
    datacenterOf: datacenterResolver(ctx.config),
    flavorNames: ctx.config.flavors,
  });
  // Samples, none trusted: a trust_sources that matches nothing here (a typo) would otherwise
  // record the window as billed empty. Failing leaves it billable once the cause is fixed.
  if (usage.kept === 0 && usage.untrusted > 0) {
    throw new DataError(
      `all ${usage.untrusted} samples of this tenant come from sources [main] trust_sources does not trust ` +
        `(${usage.untrustedSources.slice(0, 5).map((s) => `'${s}'`).join(', ')}${usage.untrustedSources.length > 5 ? ', …' : ''}): ` +
        'if they are the cloud\'s own, fix trust_sources; if the tenant posted them (source <project>:<name>), it has no billable usage: ' +
        'exclude it with [main] exclude_tenants',
    );
  }
  return usage;
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
  let resumed = false;
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
        // The total in the currency it was billed in, even if [main] currency changed since.
        total: claim.bill.total === null ? null : new Decimal(claim.bill.total), currency: claim.bill.currency ?? config.main.currency,
        reason: `already billed (bill ${claim.bill.id.slice(0, 8)}, ${claim.bill.committedAt}); void it to bill again`,
      };
    }
    if (claim.kind === 'busy') {
      const held = claim.bill;
      return {
        ...blank(tenant, window, config, 'skipped'), skip: 'busy', billId: held.id, heldBy: held.owner,
        reason: `being billed by another run: ${describeOwner(held.owner)}, claimed ${held.claimedAt ?? '?'}` +
          `, last heartbeat ${held.heartbeatAt ?? '?'}; left to it`,
      };
    }
    if (claim.kind === 'overlap') {
      const others = claim.bills.map((b) => `${formatTimestamp(b.start)}..${formatTimestamp(b.end)} ${b.status}`).join('; ');
      return { ...blank(tenant, window, config, 'skipped'), skip: 'overlap', reason: `overlaps bill(s) ${others}` };
    }
    bill = claim.bill;
    if (claim.resumed) resumed = true;
  }

  const outcome = blank(tenant, window, config, ctx.dryRun || !ledger ? 'preview' : 'committed');
  outcome.billId = bill?.id ?? null;
  if (resumed) outcome.resumed = true;
  if (!bill || !ledger) return finishPreview(ctx, tenant, window, outcome);
  return finishBill(ctx, tenant, window, outcome, bill, ledger);
}

/** `usage` and `--dry-run`: measure and price, no ledger, no commit. */
async function finishPreview(ctx: BillingContext, tenant: Tenant, window: BillingWindow, outcome: Outcome): Promise<Outcome> {
  const { config } = ctx;
  try {
    const usage = await measure(ctx, tenant, window);
    outcome.usage = usage.records;
    outcome.dropped = { untrusted: usage.untrusted, duplicates: usage.duplicates };
    const invoice = newInvoice(ctx.Adapter, config, { id: tenant.id, name: tenant.name }, window, { billId: 'preview', dryRun: true, revision: 1 });
    const priced = await priceUsage(usage.records, invoice, { digits: config.main.currencyDigits, allowUnpriced: config.main.allowUnpriced });
    outcome.lines = priced.lines;
    outcome.total = priced.total;
    outcome.unpriced = priced.unpriced;
    return outcome;
  } catch (error) {
    return { ...outcome, status: 'failed', error: reasonOf(error) };
  }
}

/** A claimed bill: measure, price, record, commit — with the heartbeat and the checkpoints. */
async function finishBill(
  ctx: BillingContext, tenant: Tenant, window: BillingWindow, outcome: Outcome, bill: Bill, ledger: Ledger,
): Promise<Outcome> {
  const { config } = ctx;
  const runId = ctx.owner.runId;
  let lost = false;
  const beat = setInterval(() => {
    try {
      if (!ledger.heartbeat(bill.id, runId)) lost = true;
    } catch {
      // A busy ledger now is not a lost claim; the checkpoint below asks again.
    }
  }, ctx.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  beat.unref?.();
  /** Still ours, and not asked to stop? Throws LostClaim or Interrupted. */
  const checkpoint = (stage: string) => {
    if (lost || !ledger.heartbeat(bill.id, runId)) throw new LostClaim(stage);
    if (ctx.stop?.reason) throw new Interrupted(`interrupted by ${ctx.stop.reason} ${stage}; the window stays billable`);
  };
  let committing = false;
  try {
    const invoice = newInvoice(ctx.Adapter, config, { id: tenant.id, name: tenant.name }, window, { billId: bill.id, dryRun: false, revision: bill.revision });
    // A pending bill that already has lines was stopped at or after recording them, maybe inside
    // commit(): an ERP invoice with exactly those lines may exist. Its content is fixed then: it
    // is committed again as recorded, never re-measured (late samples, new rates) into an invoice
    // that differs from the one the idempotent commit() finds.
    const recorded = ledger.lines(bill.id);
    if (recorded.length) {
      outcome.usage = ledger.usage(bill.id).map(({ billId: _, ...record }) => record);
      outcome.lines = recorded.map(({ billId: _, position: __, ...line }) => line);
      outcome.total = outcome.lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
      outcome.asRecorded = true;
    } else {
      const usage = await measure(ctx, tenant, window);
      outcome.usage = usage.records;
      outcome.dropped = { untrusted: usage.untrusted, duplicates: usage.duplicates };
      const priced = await priceUsage(usage.records, invoice, { digits: config.main.currencyDigits, allowUnpriced: config.main.allowUnpriced });
      outcome.lines = priced.lines;
      outcome.total = priced.total;
      outcome.unpriced = priced.unpriced;
      checkpoint('before its usage was recorded');

      if (usage.records.length === 0) {
        // Nothing used: the window is still billed (recorded), so it is neither re-tried nor reported missing.
        ledger.recordUsage(bill.id, [], []);
        ledger.markCommitted(bill.id, '', formatMoney(new Decimal(0), config.main.currencyDigits), config.main.currency);
        return { ...outcome, status: 'empty' };
      }
      ledger.recordUsage(bill.id, usage.records, priced.lines);
    }
    for (const datacenter of [...new Set(outcome.lines.map((line) => line.datacenter))]) await invoice.addSection(datacenter);
    for (const line of outcome.lines) await invoice.addLine(line);
    checkpoint('before the invoice was committed');
    committing = true;
    const reference = referenceOf(await invoice.commit());
    // Money as the invoice shows it (18.60, not 18.6; never exponent notation such as 1e-7).
    ledger.markCommitted(bill.id, reference, formatMoney(outcome.total, config.main.currencyDigits), config.main.currency);
    return { ...outcome, invoice: reference };
  } catch (error) {
    if (error instanceof LostClaim) return lostClaim(ctx, outcome, bill, ledger, error.message);
    const message = reasonOf(error);
    if (committing) {
      // commit() was called: the invoice may exist. Only a resume with this bill id is safe.
      const now = safeRead(() => ledger.bill(bill.id));
      if (now?.status === 'committed') {
        return {
          ...outcome, status: 'skipped', skip: 'billed', invoice: now.reference || null,
          reason: `committed meanwhile by ${describeOwner(now.owner)} (bill ${bill.id.slice(0, 8)})`,
        };
      }
      return {
        ...outcome, status: 'failed',
        error: `${message}; the bill ${bill.id.slice(0, 8)} stays pending: the invoice may have been committed, and the next run resumes it with the same bill id`,
      };
    }
    try {
      ledger.markFailed(bill.id, message);
    } catch (markError) {
      const now = safeRead(() => ledger.bill(bill.id));
      if (now && now.status === 'pending' && now.owner?.runId !== ctx.owner.runId) {
        return lostClaim(ctx, outcome, bill, ledger, 'while it was failing');
      }
      return { ...outcome, status: 'failed', error: `${message}; and the ledger could not record it: ${reasonOf(markError)}` };
    }
    return { ...outcome, status: 'failed', error: message };
  } finally {
    clearInterval(beat);
  }
}

/** What commit() returned, as the ledger stores it: a non-empty string, or the commit is not done. */
function referenceOf(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  const shown = typeof value === 'string' ? "''" : typeof value === 'object' && value !== null ? 'an object' : String(value);
  throw new AdapterError(`the adapter's commit() returned ${shown}, not a reference (a non-empty string: a file path, an invoice number); see INVOICES.md`);
}

function safeRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** The bill was taken over by another run: leave it to that run, say who. */
function lostClaim(ctx: BillingContext, outcome: Outcome, bill: Bill, ledger: Ledger, stage: string): Outcome {
  const now = safeRead(() => ledger.bill(bill.id));
  const holder = now?.status === 'pending' ? `${describeOwner(now.owner)} holds it now` : `it is ${now?.status ?? 'gone'} now`;
  return {
    ...outcome, status: 'skipped', skip: 'busy', heldBy: now?.owner ?? null, lines: [], usage: [], total: null,
    reason: `taken over by another run ${stage} (${holder}); this run left it alone`,
  };
}

/**
 * Bills tenants with at most `concurrency` at once; one outcome per tenant, in input order.
 * Never throws for a tenant. After a stop request, tenants not started end `failed` with
 * "not attempted" (no ledger row: their windows stay billable).
 */
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
      const tenant = tenants[index]!;
      const started = ctx.now().getTime();
      let outcome: Outcome;
      if (ctx.stop?.reason) {
        outcome = { ...blank(tenant, window, ctx.config, 'failed'), error: `not attempted: the run was interrupted by ${ctx.stop.reason}` };
      } else {
        try {
          outcome = await billTenant(ctx, tenant, window);
        } catch (error) {
          // billTenant catches what it can; a claim or ledger error escaping it still fails only this tenant.
          outcome = { ...blank(tenant, window, ctx.config, 'failed'), error: reasonOf(error) };
        }
      }
      outcome.ms = ctx.now().getTime() - started;
      outcomes[index] = outcome;
      options.onDone?.(outcome, ++done, tenants.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, tenants.length)) }, worker));
  return outcomes;
}
