/**
 * One bill (docs/architecture.md, "The ledger"): claim → collect → usage → price → invoice → commit.
 * A tenant's failure never throws: every tenant ends with an outcome (src/model/outcome.ts), and
 * nothing is marked committed before the adapter has committed. The batch is src/billing/batch.ts.
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
 * - A damaged ledger (LedgerDamagedError, docs/ledger.md "Integrity") is not one tenant's failure:
 *   it is thrown out of `billTenant` and recorded in `ctx.stop.damaged`, and from then on no bill
 *   of the run writes to the ledger again (not failed, not committed: they stay pending).
 */
import type { Config } from '../config.js';
import { Decimal, formatMoney } from '../model/decimal.js';
import { AdapterError, oneLine } from '../model/errors.js';
import type { InvoiceClass } from '../invoice/contract.js';
import { newInvoice } from '../invoice/context.js';
import { LedgerDamagedError, type Bill, type Ledger, type Owner } from '../ledger.js';
import { billableFrom, isBillable } from '../period.js';
import { priceUsage, pricingOptions } from '../pricing/index.js';
import type { Collector } from '../telemetry/contract.js';
import { formatTimestamp } from '../model/time.js';
import type { Secrets } from '../model/secrets.js';
import type { BillingWindow, Tenant } from '../model/types.js';
import { measure } from './measure.js';
import type { Empty, Failed, Outcome, OutcomeBase, Skipped } from '../model/outcome.js';
import { describeOwner } from '../model/owner.js';

/** Set `reason` (e.g. `SIGTERM`) to stop a batch: see the module comment. */
export interface StopState {
  reason: string | null;
  /** The ledger was found damaged: no bill writes to it any more, the batch starts no tenant. */
  damaged?: LedgerDamagedError;
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
  /** How often a pending bill's claim is refreshed (Deps.heartbeatMs). */
  heartbeatMs: number;
  /** What the ledger's `bills.error` must not show (Deps.secrets). */
  secrets: Secrets;
  /** A stop request: no new tenant starts, a tenant before commit is marked failed. */
  stop?: StopState;
}

/** Another run took over a pending bill this run was working on. */
class LostClaim extends Error {}
/** The run was asked to stop (SIGINT/SIGTERM) before this bill reached commit(). */
class Interrupted extends Error {}

/** What an outcome starts from: nothing measured yet. */
export function blank(tenant: Tenant, window: BillingWindow, config: Config): OutcomeBase {
  return {
    tenant, window, currency: config.main.currency, total: null, invoice: null, lines: [], usage: [], billId: null,
    unpriced: [], dropped: { untrusted: 0, duplicates: 0 }, resumed: false, asRecorded: false,
  };
}

export function failed(base: OutcomeBase, error: string): Failed {
  return { ...base, status: 'failed', error };
}

function skipped(base: OutcomeBase, skip: Skipped['skip'], reason: string): Skipped {
  return { ...base, status: 'skipped', skip, reason };
}

export async function billTenant(ctx: BillingContext, tenant: Tenant, window: BillingWindow): Promise<Outcome> {
  const { config, ledger } = ctx;
  const base = blank(tenant, window, config);
  if (!ctx.dryRun && !isBillable(window, ctx.now(), config.main.settleHours)) {
    return skipped(base, 'open',
      `window not settled: billable from ${formatTimestamp(billableFrom(window, config.main.settleHours))} ([main] settle_hours = ${config.main.settleHours})`);
  }
  if (!ledger || ctx.dryRun) return finishPreview(ctx, tenant, window, base);
  const claim = await claimWindow(ctx, ledger, base);
  if ('status' in claim) return claim;
  const draft: OutcomeBase = { ...base, billId: claim.bill.id, resumed: claim.resumed };
  return finishBill({ ctx, tenant, window, draft, bill: claim.bill, ledger });
}

/** The window claimed for this run, or the outcome of a window that cannot be claimed. */
async function claimWindow(ctx: BillingContext, ledger: Ledger, base: OutcomeBase): Promise<Outcome | { bill: Bill; resumed: boolean }> {
  const { tenant, window } = base;
  let claim: Awaited<ReturnType<Ledger['claim']>>;
  try {
    claim = await ledger.claim(tenant, window, ctx.owner);
  } catch (error) {
    if (error instanceof LedgerDamagedError) throw error;
    return failed(base, `cannot claim the window in the ledger: ${oneLine(error)}`);
  }
  switch (claim.kind) {
    case 'committed':
      return {
        ...skipped(base, 'billed', `already billed (bill ${claim.bill.id.slice(0, 8)}, ${claim.bill.committedAt}); void it to bill again`),
        billId: claim.bill.id, invoice: claim.bill.reference || null,
        // The total in the currency it was billed in, even if [main] currency changed since.
        total: claim.bill.total === null ? null : new Decimal(claim.bill.total), currency: claim.bill.currency ?? ctx.config.main.currency,
      };
    case 'busy': {
      const held = claim.bill;
      return {
        ...base, status: 'skipped', skip: 'busy', billId: held.id, heldBy: held.owner,
        reason: `being billed by another run: ${describeOwner(held.owner)}, claimed ${held.claimedAt ?? '?'}` +
          `, last heartbeat ${held.heartbeatAt ?? '?'}; left to it`,
      };
    }
    case 'overlap': {
      const others = claim.bills.map((b) => `${formatTimestamp(b.start)}..${formatTimestamp(b.end)} ${b.status}`).join('; ');
      return skipped(base, 'overlap', `overlaps bill(s) ${others}`);
    }
    default:
      return { bill: claim.bill, resumed: Boolean(claim.resumed) };
  }
}

/** `usage` and `--dry-run`: measure and price, no ledger, no commit. */
async function finishPreview(ctx: BillingContext, tenant: Tenant, window: BillingWindow, base: OutcomeBase): Promise<Outcome> {
  const { config } = ctx;
  const outcome: OutcomeBase = { ...base };
  try {
    const usage = await measure(ctx, tenant, window);
    outcome.usage = usage.records;
    outcome.dropped = { untrusted: usage.untrusted, duplicates: usage.duplicates };
    const invoice = newInvoice(ctx.Adapter, config, { id: tenant.id, name: tenant.name }, window, { billId: 'preview', dryRun: true, revision: 1 });
    const priced = await priceUsage(usage.records, invoice, pricingOptions(config, tenant, window, usage.usageIn));
    outcome.lines = priced.lines;
    outcome.total = priced.total;
    outcome.unpriced = priced.unpriced;
    return { ...outcome, status: 'preview' };
  } catch (error) {
    return failed(outcome, oneLine(error));
  }
}

/** Throws when the claim is no longer this run's (LostClaim) or the run stops. */
type Checkpoint = (stage: string) => Promise<void>;

/** A claimed bill in progress: what its steps share. `draft` is filled in as they go. */
interface Claimed {
  ctx: BillingContext;
  tenant: Tenant;
  window: BillingWindow;
  draft: OutcomeBase;
  bill: Bill;
  ledger: Ledger;
}

/** The heartbeat of a claimed bill, and the checkpoint that throws when it is no longer ours or the run stops. */
function holdClaim({ ctx, bill, ledger }: Claimed): { checkpoint: Checkpoint; release: () => void } {
  const runId = ctx.owner.runId;
  let lost = false;
  const beat = setInterval(() => {
    ledger.heartbeat(bill.id, runId).then(
      (held) => {
        if (!held) lost = true;
      },
      // A busy ledger now is not a lost claim; the checkpoint asks again.
      () => undefined,
    );
  }, ctx.heartbeatMs);
  beat.unref?.();
  return {
    checkpoint: async (stage) => {
      stopIfDamaged(ctx);
      if (lost || !(await ledger.heartbeat(bill.id, runId))) throw new LostClaim(stage);
      if (ctx.stop?.reason) throw new Interrupted(`interrupted by ${ctx.stop.reason} ${stage}; the window stays billable`);
    },
    release: () => clearInterval(beat),
  };
}

/** A claimed bill: measure, price, record, commit — with the heartbeat and the checkpoints. */
async function finishBill(claimed: Claimed): Promise<Outcome> {
  const { ctx, tenant, window, draft, bill, ledger } = claimed;
  const { config } = ctx;
  const claim = holdClaim(claimed);
  let committing = false;
  try {
    const invoice = newInvoice(ctx.Adapter, config, { id: tenant.id, name: tenant.name }, window, { billId: bill.id, dryRun: false, revision: bill.revision });
    const empty = await recordLines(claimed, invoice, claim.checkpoint);
    if (empty) return empty;
    for (const datacenter of [...new Set(draft.lines.map((line) => line.datacenter))]) await invoice.addSection(datacenter);
    for (const line of draft.lines) await invoice.addLine(line);
    await claim.checkpoint('before the invoice was committed');
    committing = true;
    const reference = referenceOf(await invoice.commit());
    stopIfDamaged(ctx);
    // Money as the invoice shows it (18.60, not 18.6; never exponent notation such as 1e-7).
    await ledger.markCommitted(bill.id, reference, formatMoney(draft.total ?? new Decimal(0), config.main.currencyDigits), config.main.currency, ctx.owner.runId);
    return { ...draft, status: 'committed', invoice: reference };
  } catch (error) {
    if (error instanceof LedgerDamagedError) throw error;
    if (error instanceof LostClaim) return await lostClaim(claimed, error.message);
    return committing ? await failedInCommit(claimed, error) : await failBill(claimed, error);
  } finally {
    claim.release();
  }
}

/**
 * The lines of the bill, in `draft` and in the ledger. A pending bill that already has lines was
 * stopped at or after recording them, maybe inside commit(): an ERP invoice with exactly those
 * lines may exist. Its content is fixed then: it is committed again as recorded, never
 * re-measured (late samples, new rates) into an invoice that differs from the one the
 * idempotent commit() finds. Returns the outcome when nothing was used (billed empty).
 */
async function recordLines(
  { ctx, tenant, window, draft, bill, ledger }: Claimed, invoice: Parameters<typeof priceUsage>[1], checkpoint: Checkpoint,
): Promise<Empty | undefined> {
  const { config } = ctx;
  const recorded = await ledger.lines(bill.id);
  if (recorded.length) {
    draft.usage = (await ledger.usage(bill.id)).map(({ billId: _, ...record }) => record);
    draft.lines = recorded.map(({ billId: _, position: __, ...line }) => line);
    draft.total = draft.lines.reduce((sum, line) => sum.plus(line.amount), new Decimal(0));
    draft.asRecorded = true;
    return undefined;
  }
  const usage = await measure(ctx, tenant, window);
  draft.usage = usage.records;
  draft.dropped = { untrusted: usage.untrusted, duplicates: usage.duplicates };
  const priced = await priceUsage(usage.records, invoice, pricingOptions(config, tenant, window, usage.usageIn));
  draft.lines = priced.lines;
  draft.total = priced.total;
  draft.unpriced = priced.unpriced;
  await checkpoint('before its usage was recorded');
  if (usage.records.length === 0) {
    // Nothing used: the window is still billed (recorded), so it is neither re-tried nor reported missing.
    await ledger.recordUsage(bill.id, [], [], ctx.owner.runId);
    await ledger.markCommitted(bill.id, '', formatMoney(new Decimal(0), config.main.currencyDigits), config.main.currency, ctx.owner.runId);
    return { ...draft, status: 'empty' };
  }
  await ledger.recordUsage(bill.id, usage.records, priced.lines, ctx.owner.runId);
  return undefined;
}

/** commit() was called and failed: the invoice may exist. Only a resume with this bill id is safe. */
async function failedInCommit(claimed: Claimed, error: unknown): Promise<Outcome> {
  const { ctx, draft, bill, ledger } = claimed;
  const now = await safeRead(() => ledger.bill(bill.id));
  // Taken over while committing (the ledger refused our markCommitted): that run resumes it.
  if (now?.status === 'pending' && now.owner?.runId !== ctx.owner.runId) return await lostClaim(claimed, 'while it was committing');
  if (now?.status === 'committed') {
    return {
      ...skipped(draft, 'billed', `committed meanwhile by ${describeOwner(now.owner)} (bill ${bill.id.slice(0, 8)})`),
      invoice: now.reference || null,
    };
  }
  return failed(draft,
    `${oneLine(error)}; the bill ${bill.id.slice(0, 8)} stays pending: the invoice may have been committed, and the next run resumes it with the same bill id`);
}

/** A failure before commit(): the bill is marked failed, so the window stays billable. */
async function failBill(claimed: Claimed, error: unknown): Promise<Outcome> {
  const { ctx, draft, bill, ledger } = claimed;
  // A message may quote what a server echoed: the ledger keeps it without the secrets.
  const message = ctx.secrets.redact(oneLine(error));
  try {
    await ledger.markFailed(bill.id, message, ctx.owner.runId);
  } catch (markError) {
    if (markError instanceof LedgerDamagedError) throw markError;
    const now = await safeRead(() => ledger.bill(bill.id));
    if (now && now.status === 'pending' && now.owner?.runId !== ctx.owner.runId) return await lostClaim(claimed, 'while it was failing');
    return failed(draft, `${message}; and the ledger could not record it: ${oneLine(markError)}`);
  }
  return failed(draft, message);
}

/** Another bill of the run found the ledger damaged: write nothing more to it (see the module comment). */
function stopIfDamaged(ctx: BillingContext): void {
  if (ctx.stop?.damaged) throw ctx.stop.damaged;
}

/** What commit() returned, as the ledger stores it: a non-empty string, or the commit is not done. */
function referenceOf(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  const shown = typeof value === 'string' ? "''" : typeof value === 'object' && value !== null ? 'an object' : String(value);
  throw new AdapterError(`the adapter's commit() returned ${shown}, not a reference (a non-empty string: a file path, an invoice number); see INVOICES.md`);
}

async function safeRead<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

/** The bill was taken over by another run: leave it to that run, say who. */
async function lostClaim({ draft, bill, ledger }: Claimed, stage: string): Promise<Outcome> {
  const now = await safeRead(() => ledger.bill(bill.id));
  const holder = now?.status === 'pending' ? `${describeOwner(now.owner)} holds it now` : `it is ${now?.status ?? 'gone'} now`;
  return {
    ...draft, status: 'skipped', skip: 'busy', heldBy: now?.owner ?? null, lines: [], usage: [], total: null,
    reason: `taken over by another run ${stage} (${holder}); this run left it alone`,
  };
}
