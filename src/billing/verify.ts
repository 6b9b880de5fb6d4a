/**
 * The fixed-point check behind `artifice verify`: the committed bill of one tenant and window,
 * as the ledger stored it, against the same window recomputed from the telemetry (the same
 * `measure` that `bill` uses), resource by resource and line by line.
 *
 * A fixed point means the quantities are identical: a resource whose sample count changed but
 * whose quantity did not (a late sample inside a stretch already covered) is noted, not drift.
 * A line the bill did not have is priced at the adapter's current rate, read as `bill` reads it
 * (`adapterRate`: a plain decimal ≥ 0, else no rate, with the reason).
 */
import type { Config } from '../config.js';
import { Decimal, lineAmount } from '../model/decimal.js';
import { ArtificeError, WindowError, errorMessage, exitCodeOf, firstLine } from '../model/errors.js';
import { hostPid } from '../model/owner.js';
import type { Invoice } from '../invoice/contract.js';
import { newInvoice } from '../invoice/context.js';
import { loadAdapter } from '../invoice/load.js';
import type { Bill, Ledger, StoredLine } from '../ledger.js';
import { formatTimestamp } from '../model/time.js';
import type { BillingWindow, UsageRecord } from '../model/types.js';
import { adapterRate, groupUsage } from '../pricing.js';
import type { Collector } from '../telemetry/contract.js';
import { measure } from './measure.js';

/** Telemetry that cannot be read while verifying: keeps the underlying error's exit code. */
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
  /** The stored rate; for a line the bill did not have, the adapter's current rate (or null). */
  rate: Decimal | null;
  rateSource: 'stored' | 'current' | null;
  /** Why a new line has no current rate, when the adapter did not simply have none. */
  rateProblem?: string;
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

/** A current rate: null for none, with the reason when it was refused or could not be asked. */
export interface CurrentRate {
  rate: Decimal | null;
  problem?: string;
}

export type RateOf = (datacenter: string, name: string) => Promise<CurrentRate>;

/** The committed bill of a tenant for exactly one window, with what the ledger stored for it. */
export interface StoredBill {
  tenantId: string;
  bill: Bill;
  usage: UsageRecord[];
  lines: StoredLine[];
}

type ResourceKeyed = { meter: string; resourceId: string; service: string; datacenter: string };
const resourceKey = (r: ResourceKeyed) => `${r.meter}\u0000${r.resourceId}\u0000${r.service}\u0000${r.datacenter}`;
const lineKey = (l: { datacenter: string; name: string }) => `${l.datacenter}\u0000${l.name}`;

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
): Promise<{ records: UsageRecord[]; source: string }> {
  try {
    await collector.prepare?.();
    const source = collector.description;
    const { records } = await measure({ config, collector }, { id: stored.tenantId, name: stored.bill.tenantName ?? undefined }, window);
    return { records, source };
  } catch (error) {
    throw new RecomputeError(
      `cannot recompute ${stored.tenantId} ${window.label} from the telemetry: ${errorMessage(error)}`,
      exitCodeOf(error),
      error,
    );
  }
}

/**
 * The configured adapter's current rates, as for a dry run of the stored bill: loaded and
 * constructed only when a line needs one, and read through `adapterRate` as `bill` reads them.
 */
export function currentRates(config: Config, stored: StoredBill, window: BillingWindow): RateOf {
  let adapter: Promise<Invoice> | undefined;
  const open = async () => newInvoice((await loadAdapter(config)).Adapter, config, { id: stored.tenantId }, window, {
    billId: 'verify', dryRun: true, revision: stored.bill.revision, currency: stored.bill.currency ?? undefined,
  });
  return async (datacenter, name) => {
    try {
      adapter ??= open();
      const rate = adapterRate(await (await adapter).cost(datacenter, name), datacenter, name);
      return { rate: rate ?? null };
    } catch (error) {
      return { rate: null, problem: firstLine(error) };
    }
  };
}

/** Stored usage and lines vs recomputed usage. `rateOf` prices a line the bill did not have. */
export async function compareUsage(
  stored: readonly UsageRecord[],
  storedLines: readonly StoredLine[],
  now: readonly UsageRecord[],
  digits: number,
  rateOf: RateOf,
): Promise<Comparison> {
  const { resources, changedResources, samplesOnly } = compareResources(stored, now);
  const lines = await compareLines(storedLines, now, digits, rateOf);
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

async function compareLines(storedLines: readonly StoredLine[], now: readonly UsageRecord[], digits: number, rateOf: RateOf): Promise<LineDiff[]> {
  const zero = new Decimal(0);
  const lines = new Map<string, LineDiff>();
  for (const l of storedLines) {
    lines.set(lineKey(l), { datacenter: l.datacenter, name: l.name, unit: l.unit, stored: l.quantity, now: zero, rate: l.rate, rateSource: 'stored', storedAmount: l.amount, nowAmount: null });
  }
  for (const group of groupUsage([...now])) {
    const entry = lines.get(lineKey(group));
    if (entry) entry.now = group.quantity;
    else lines.set(lineKey(group), { datacenter: group.datacenter, name: group.name, unit: group.unit, stored: zero, now: group.quantity, rate: null, rateSource: null, storedAmount: zero, nowAmount: null });
  }
  for (const line of lines.values()) {
    if (line.rate === null) {
      const { rate, problem } = await rateOf(line.datacenter, line.name);
      Object.assign(line, { rate, rateSource: rate === null ? null : 'current' }, problem ? { rateProblem: problem } : {});
    }
    line.nowAmount = line.rate === null ? null : lineAmount(line.now, line.rate, digits);
  }
  return [...lines.values()];
}
