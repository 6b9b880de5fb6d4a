/**
 * The fixed-point check behind `artifice verify`: the committed bill of one tenant and window,
 * as the ledger stored it, against the same window recomputed from the telemetry (the same
 * `measure` that `bill` uses), resource by resource and line by line.
 *
 * A fixed point means the quantities are identical: a resource whose sample count changed but
 * whose quantity did not (a late sample inside a stretch already covered) is noted, not drift.
 * The recomputed usage is priced as `bill` prices it, with the prices in force in the bill's
 * window (a dated rates file gives the same rows it gave then; a price change inside the window
 * splits the line again): lines are matched by (datacenter, service, part of the window, tier,
 * adjustment). A matched line keeps its stored rate; a line the bill did not have gets the rate
 * it would get now. When the window cannot be priced again (the adapter refuses a rate, a
 * price list is wrong), the bill cannot be checked: verify says why, as for unreadable telemetry.
 */
import type { Config } from '../config.js';
import { Decimal, lineAmount } from '../model/decimal.js';
import { ArtificeError, WindowError, errorMessage, exitCodeOf, oneLine } from '../model/errors.js';
import { hostPid } from '../model/owner.js';
import { newInvoice } from '../invoice/context.js';
import { loadAdapter } from '../invoice/load.js';
import type { Bill, Ledger, StoredLine } from '../ledger.js';
import { formatTimestamp } from '../model/time.js';
import type { BillingWindow, InvoiceLine, UsageRecord, Window } from '../model/types.js';
import { priceUsage, pricingOptions } from '../pricing/index.js';
import type { Collector } from '../telemetry/contract.js';
import { measure } from './measure.js';

/** A bill verify cannot check (telemetry it cannot read, a window it cannot price again): keeps the underlying error's exit code. */
export class RecomputeError extends ArtificeError {
  override readonly exitCode: number;
  constructor(message: string, exitCode: number, cause: unknown) {
    super(message, { cause });
    this.exitCode = exitCode;
  }
}

export interface ResourceDiff {
  meter: string;
  resourceId: string;
  service: string;
  datacenter: string;
  unit: string;
  stored: Decimal;
  now: Decimal;
  samplesStored: number;
  samplesNow: number;
}

export interface LineDiff {
  datacenter: string;
  name: string;
  unit: string;
  stored: Decimal;
  now: Decimal;
  /** The stored rate; for a line the bill did not have, the rate it would get now (or null: no price). */
  rate: Decimal | null;
  rateSource: 'stored' | 'current' | null;
  storedAmount: Decimal;
  nowAmount: Decimal | null;
}

export interface Comparison {
  resources: ResourceDiff[];
  lines: LineDiff[];
  fixedPoint: boolean;
  changedResources: ResourceDiff[];
  changedLines: LineDiff[];
  /** Same quantity, different sample count. */
  samplesOnly: ResourceDiff[];
  storedTotal: Decimal;
  nowTotal: Decimal | null;
}

/** The recomputed usage priced as bill prices it; null for a line that has no price. Throws when the adapter refuses. */
export type Reprice = (records: UsageRecord[]) => Promise<{ line: InvoiceLine; priced: boolean }[]>;

/** The committed bill of a tenant for exactly one window, with what the ledger stored for it. */
export interface StoredBill {
  tenantId: string;
  bill: Bill;
  usage: UsageRecord[];
  lines: StoredLine[];
}

type ResourceKeyed = { meter: string; resourceId: string; service: string; datacenter: string };
const resourceKey = (r: ResourceKeyed) => `${r.meter}\u0000${r.resourceId}\u0000${r.service}\u0000${r.datacenter}`;
/** A line of one (datacenter, service), part of the window and tier, or one adjustment. */
const pricedKey = (l: InvoiceLine) => [
  l.datacenter, l.name, l.period?.start ?? '', l.basis?.kind === 'rate' ? l.basis.tier?.from ?? '' : '', l.basis?.kind ?? '',
].join('\u0000');

/**
 * The committed bill of `tenantId` for exactly `window`; a WindowError (exit 3) when there is none
 * (naming its overlapping bills) or when it is still pending.
 */
export async function committedBill(ledger: Ledger, tenantId: string, window: BillingWindow): Promise<StoredBill> {
  const bills = await ledger.bills({ tenant: tenantId, start: window.start, end: window.end });
  const exact = bills.filter((b) => b.start === window.start && b.end === window.end);
  const committed = exact.find((b) => b.status === 'committed');
  if (committed) return { tenantId, bill: committed, usage: await ledger.usage(committed.id), lines: await ledger.lines(committed.id) };
  const pending = exact.find((b) => b.status === 'pending');
  if (pending) {
    throw new WindowError(`the bill of ${tenantId} for ${window.label} is still pending (held by ${pending.owner ? hostPid(pending.owner) : '?'}); verify it once it is committed`);
  }
  const near = bills.map((b) => `${formatTimestamp(b.start)}..${formatTimestamp(b.end)} ${b.status}`).join('; ');
  throw new WindowError(
    `no committed bill of ${tenantId} for ${window.label}, so there is nothing to verify` +
      (near ? `; its bills overlapping that window: ${near}` : '; the ledger has no bill of it overlapping that window') +
      ` (artifice history --tenant ${tenantId} lists them)`,
  );
}

/**
 * The usage of the stored bill's tenant and window, measured again from the telemetry, and the
 * source it came from (as the collector names itself once prepared).
 */
export async function recompute(
  config: Config, collector: Collector, stored: StoredBill, window: BillingWindow,
): Promise<{ records: UsageRecord[]; source: string; usageIn: (part: Window) => UsageRecord[] }> {
  try {
    await collector.prepare?.();
    const source = collector.description;
    const { records, usageIn } = await measure({ config, collector }, { id: stored.tenantId, name: stored.bill.tenantName ?? undefined }, window);
    return { records, source, usageIn };
  } catch (error) {
    throw new RecomputeError(
      `cannot recompute ${stored.tenantId} ${window.label} from the telemetry: ${errorMessage(error)}`,
      exitCodeOf(error),
      error,
    );
  }
}

/**
 * The recomputed usage priced as `bill` prices the stored bill's tenant and window (its prices
 * in force then, its price list), with unpriced lines allowed (they show as having no price).
 */
export function windowPrices(config: Config, stored: StoredBill, window: BillingWindow, usageIn: (part: Window) => UsageRecord[]): Reprice {
  const tenant = { id: stored.tenantId, ...(stored.bill.tenantName ? { name: stored.bill.tenantName } : {}) };
  return async (records) => {
    try {
      const invoice = newInvoice((await loadAdapter(config)).Adapter, config, tenant, window, {
        billId: 'verify', dryRun: true, revision: stored.bill.revision, currency: stored.bill.currency ?? undefined,
      });
      const options = pricingOptions(config, tenant, window, usageIn);
      const priced = await priceUsage(records, invoice, { ...options, allowUnpriced: true, bill: { ...options.bill!, currency: stored.bill.currency ?? config.main.currency } });
      // A line without a basis is one that had no price (allowed here, to show it).
      return priced.lines.map((line) => ({ line, priced: line.basis !== undefined }));
    } catch (error) {
      // Lines compared by (datacenter, service) alone would show split, tier and discount lines as drift.
      throw new RecomputeError(
        `cannot price ${stored.tenantId} ${window.label} again as bill would, so its lines cannot be compared: ${oneLine(error)}`,
        exitCodeOf(error), error,
      );
    }
  };
}

/** Stored usage and lines vs recomputed usage, priced by `reprice` as bill would (a RecomputeError when it cannot). */
export async function compareUsage(
  stored: readonly UsageRecord[],
  storedLines: readonly StoredLine[],
  now: readonly UsageRecord[],
  digits: number,
  reprice: Reprice,
): Promise<Comparison> {
  const { resources, changedResources, samplesOnly } = compareResources(stored, now);
  const lines = comparePricedLines(storedLines, await reprice([...now]), digits);
  const changedLines = lines.filter((l) => !l.stored.eq(l.now));
  const zero = new Decimal(0);
  const storedTotal = storedLines.reduce((sum, l) => sum.plus(l.amount), zero);
  const nowTotal = lines.some((l) => l.nowAmount === null) ? null : lines.reduce((sum, l) => sum.plus(l.nowAmount!), zero);
  return {
    resources, lines, fixedPoint: changedResources.length === 0 && changedLines.length === 0,
    changedResources, changedLines, samplesOnly, storedTotal, nowTotal,
  };
}

function compareResources(stored: readonly UsageRecord[], now: readonly UsageRecord[]) {
  const zero = new Decimal(0);
  const diff = (r: UsageRecord): ResourceDiff => ({
    meter: r.meter, resourceId: r.resourceId, service: r.service, datacenter: r.datacenter, unit: r.unit,
    stored: zero, now: zero, samplesStored: 0, samplesNow: 0,
  });
  const resources = new Map<string, ResourceDiff>();
  for (const r of stored) resources.set(resourceKey(r), { ...diff(r), stored: r.quantity, samplesStored: r.samples });
  for (const r of now) {
    const entry = resources.get(resourceKey(r));
    if (entry) Object.assign(entry, { now: r.quantity, samplesNow: r.samples });
    else resources.set(resourceKey(r), { ...diff(r), now: r.quantity, samplesNow: r.samples });
  }
  const all = [...resources.values()];
  const storedKeys = new Set(stored.map(resourceKey));
  const nowKeys = new Set(now.map(resourceKey));
  const changedResources = all.filter((r) => !r.stored.eq(r.now) || storedKeys.has(resourceKey(r)) !== nowKeys.has(resourceKey(r)));
  const samplesOnly = all.filter((r) => !changedResources.includes(r) && r.samplesStored !== r.samplesNow);
  return { resources: all, changedResources, samplesOnly };
}

/** Stored lines vs the recomputed lines, matched by pricedKey; a minimum line compares its amount. */
function comparePricedLines(storedLines: readonly StoredLine[], now: Awaited<ReturnType<Reprice>>, digits: number): LineDiff[] {
  const zero = new Decimal(0);
  const one = new Decimal(1);
  const asMoney = (l: InvoiceLine) => l.basis?.kind === 'minimum';
  const lines = new Map<string, LineDiff>();
  for (const l of storedLines) {
    lines.set(pricedKey(l), {
      datacenter: l.datacenter, name: l.name, unit: l.unit, stored: asMoney(l) ? l.amount : l.quantity, now: zero,
      rate: asMoney(l) ? one : l.rate, rateSource: 'stored', storedAmount: l.amount, nowAmount: null,
    });
  }
  for (const { line, priced } of now) {
    const quantity = asMoney(line) ? line.amount : line.quantity;
    const entry = lines.get(pricedKey(line));
    if (entry) entry.now = quantity;
    else {
      lines.set(pricedKey(line), {
        datacenter: line.datacenter, name: line.name, unit: line.unit, stored: zero, now: quantity,
        rate: !priced ? null : asMoney(line) ? one : line.rate, rateSource: priced ? 'current' : null, storedAmount: zero, nowAmount: null,
      });
    }
  }
  for (const line of lines.values()) line.nowAmount = line.rate === null ? null : lineAmount(line.now, line.rate, digits);
  return [...lines.values()];
}
