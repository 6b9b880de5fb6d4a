/**
 * `artifice verify --tenant ID --month M`: the fixed-point check. Recomputes the window from
 * the telemetry (the same `measure` that `bill` uses) and compares it, resource by resource and
 * line by line, with the usage and lines stored for the committed bill.
 *
 * Exit codes: 0 identical (a fixed point); 1 drift (a readable diff: per resource and per line
 * stored vs now, the delta, and the amount delta at the stored rate), or the telemetry could
 * not be read (the message says which); 2 bad usage or config; 3 nothing to verify (no ledger,
 * no committed bill for exactly that window, or it is still being billed).
 *
 * A fixed point means the quantities are identical: a resource whose sample count changed but
 * whose quantity did not (a late sample inside a stretch already covered) is noted, not drift.
 */
import fs from 'node:fs';
import { measure } from '../billing/measure.js';
import { Decimal, formatMoney, formatQuantity, formatRate, lineAmount } from '../model/decimal.js';
import { ArtificeError, EXIT, UsageError, WindowError, errorMessage, exitCodeOf } from '../model/errors.js';
import { loadAdapter } from '../invoice/load.js';
import type { Bill, StoredLine } from '../ledger.js';
import { Output } from '../view/output.js';
import type { WindowOptions } from '../period.js';
import { groupUsage } from '../pricing.js';
import { paintStatus } from '../view/report.js';
import { renderTable } from '../view/table.js';
import { formatTimestamp } from '../model/time.js';
import type { Deps } from '../deps.js';
import { hostPid } from '../model/owner.js';
import { openLedger, readConfig, tenantInLedger, windowOf, type CommonOptions } from './common.js';
import type { UsageRecord } from '../model/types.js';

export interface VerifyOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  json?: boolean;
}

/** Telemetry that cannot be read while verifying: keeps the underlying error's exit code. */
class RecomputeError extends ArtificeError {
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

const resourceKey = (r: { meter: string; resourceId: string; service: string; datacenter: string }) =>
  `${r.meter}\u0000${r.resourceId}\u0000${r.service}\u0000${r.datacenter}`;
const lineKey = (l: { datacenter: string; name: string }) => `${l.datacenter}\u0000${l.name}`;

/** Stored usage and lines vs recomputed usage. `rateOf` prices a line the bill did not have. */
export async function compareUsage(
  stored: readonly UsageRecord[],
  storedLines: readonly StoredLine[],
  now: readonly UsageRecord[],
  digits: number,
  rateOf: (datacenter: string, name: string) => Promise<Decimal | null>,
): Promise<Comparison> {
  const zero = new Decimal(0);
  const resources = new Map<string, ResourceDiff>();
  for (const r of stored) {
    resources.set(resourceKey(r), { meter: r.meter, resourceId: r.resourceId, service: r.service, datacenter: r.datacenter, unit: r.unit, stored: r.quantity, now: zero, samplesStored: r.samples, samplesNow: 0 });
  }
  for (const r of now) {
    const k = resourceKey(r);
    const entry = resources.get(k);
    if (entry) {
      entry.now = r.quantity;
      entry.samplesNow = r.samples;
    } else {
      resources.set(k, { meter: r.meter, resourceId: r.resourceId, service: r.service, datacenter: r.datacenter, unit: r.unit, stored: zero, now: r.quantity, samplesStored: 0, samplesNow: r.samples });
    }
  }
  const all = [...resources.values()];
  const storedKeys = new Set(stored.map(resourceKey));
  const nowKeys = new Set(now.map(resourceKey));
  const changedResources = all.filter((r) => !r.stored.eq(r.now) || storedKeys.has(resourceKey(r)) !== nowKeys.has(resourceKey(r)));
  const samplesOnly = all.filter((r) => !changedResources.includes(r) && r.samplesStored !== r.samplesNow);

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
      line.rate = await rateOf(line.datacenter, line.name);
      line.rateSource = line.rate === null ? null : 'current';
    }
    line.nowAmount = line.rate === null ? null : lineAmount(line.now, line.rate, digits);
  }
  const allLines = [...lines.values()];
  const changedLines = allLines.filter((l) => !l.stored.eq(l.now));
  const storedTotal = storedLines.reduce((sum, l) => sum.plus(l.amount), zero);
  const nowTotal = allLines.some((l) => l.nowAmount === null) ? null : allLines.reduce((sum, l) => sum.plus(l.nowAmount!), zero);
  return {
    resources: all, lines: allLines, fixedPoint: changedResources.length === 0 && changedLines.length === 0,
    changedResources, changedLines, samplesOnly, storedTotal, nowTotal,
  };
}

function signed(value: Decimal, text: string): string {
  return value.gt(0) ? `+${text}` : text;
}

export async function verify(options: VerifyOptions, deps: Deps): Promise<number> {
  const ref = options.tenant?.[0]?.trim();
  if (!ref || (options.tenant?.length ?? 0) > 1) {
    throw new UsageError('verify takes exactly one --tenant ID (or the name it was billed under), and --month YYYY-MM (default the previous month)');
  }
  const config = await readConfig(options, deps);
  const window = windowOf(options, config, deps);
  const out = new Output(deps, { json: options.json });
  const digits = config.main.currencyDigits;
  if (!fs.existsSync(config.main.database)) {
    throw new WindowError(`no ledger at ${config.main.database}: nothing has been billed, so there is nothing to verify`);
  }

  const ledger = openLedger(config, deps);
  let tenantId = ref;
  let bill: Bill;
  let stored: UsageRecord[];
  let storedLines: StoredLine[];
  try {
    tenantId = tenantInLedger(ledger, ref);
    const bills = ledger.bills({ tenant: tenantId, start: window.start, end: window.end });
    const exact = bills.filter((b) => b.start === window.start && b.end === window.end);
    const committed = exact.find((b) => b.status === 'committed');
    if (!committed) {
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
    bill = committed;
    stored = ledger.usage(bill.id);
    storedLines = ledger.lines(bill.id);
  } finally {
    ledger.close();
  }

  const collector = await deps.openCollector(config);
  let now: UsageRecord[];
  let source: string;
  try {
    await collector.prepare?.();
    source = collector.description;
    now = (await measure({ config, collector }, { id: tenantId, name: bill.tenantName ?? undefined }, window)).records;
  } catch (error) {
    throw new RecomputeError(
      `cannot recompute ${tenantId} ${window.label} from the telemetry: ${errorMessage(error)}`,
      exitCodeOf(error),
      error,
    );
  } finally {
    await collector.close();
  }

  // A line the bill did not have is priced at the adapter's current rate, when it has one.
  let adapter: { cost: (dc: string, name: string) => unknown } | undefined;
  const rateOf = async (datacenter: string, name: string): Promise<Decimal | null> => {
    try {
      if (!adapter) {
        const { Adapter } = await loadAdapter(config);
        adapter = new Adapter({ id: tenantId }, { ...config.invoice }, {
          billId: 'verify', start: formatTimestamp(window.start), end: formatTimestamp(window.end), currency: bill.currency ?? config.main.currency,
          digits, dryRun: true, revision: bill.revision, configDir: config.dir,
        });
      }
      const rate = await adapter.cost(datacenter, name);
      return rate === undefined || rate === null ? null : new Decimal(rate as Decimal.Value);
    } catch {
      return null;
    }
  };
  const result = await compareUsage(stored, storedLines, now, digits, rateOf);
  const currency = bill.currency ?? config.main.currency;

  if (options.json) {
    const q = (d: Decimal) => formatQuantity(d, 12);
    out.stdout(`${JSON.stringify({
      tenant: tenantId,
      start: formatTimestamp(window.start),
      end: formatTimestamp(window.end),
      bill: { id: bill.id, committed_at: bill.committedAt, invoice: bill.reference || null, total: bill.total, currency },
      source,
      fixed_point: result.fixedPoint,
      resources_compared: result.resources.length,
      lines_compared: result.lines.length,
      resources: result.changedResources.map((r) => ({
        datacenter: r.datacenter, service: r.service, resource_id: r.resourceId, meter: r.meter, unit: r.unit,
        stored: q(r.stored), now: q(r.now), delta: q(r.now.minus(r.stored)), samples_stored: r.samplesStored, samples_now: r.samplesNow,
      })),
      samples_only: result.samplesOnly.map((r) => ({ resource_id: r.resourceId, meter: r.meter, samples_stored: r.samplesStored, samples_now: r.samplesNow })),
      lines: result.changedLines.map((l) => ({
        datacenter: l.datacenter, name: l.name, unit: l.unit, stored: q(l.stored), now: q(l.now), delta: q(l.now.minus(l.stored)),
        rate: l.rate === null ? null : formatRate(l.rate), rate_source: l.rateSource,
        stored_amount: formatMoney(l.storedAmount, digits), now_amount: l.nowAmount === null ? null : formatMoney(l.nowAmount, digits),
        amount_delta: l.nowAmount === null ? null : formatMoney(l.nowAmount.minus(l.storedAmount), digits),
      })),
      total: {
        stored: formatMoney(result.storedTotal, digits),
        now: result.nowTotal === null ? null : formatMoney(result.nowTotal, digits),
        delta: result.nowTotal === null ? null : formatMoney(result.nowTotal.minus(result.storedTotal), digits),
      },
    }, null, 2)}\n`);
    return result.fixedPoint ? EXIT.ok : EXIT.someFailed;
  }

  const s = out.out;
  const who = bill.tenantName ? `${bill.tenantName} (${tenantId})` : tenantId;
  out.stdout(`verify ${who} ${window.label}: bill ${bill.id.slice(0, 8)} committed ${bill.committedAt ?? '?'}` +
    `${bill.reference ? `, invoice ${bill.reference}` : ''}, total ${bill.total ?? '0'} ${currency}\n` +
    `recomputed from ${source}: ${now.length} resource record${now.length === 1 ? '' : 's'} now, ${stored.length} stored\n\n`);
  const samplesNote = result.samplesOnly.length
    ? `note: ${result.samplesOnly.length} resource${result.samplesOnly.length === 1 ? ' has' : 's have'} a different sample count but the same quantity ` +
      `(${result.samplesOnly.map((r) => `${r.resourceId} ${r.samplesStored}→${r.samplesNow}`).slice(0, 5).join(', ')})\n`
    : '';
  if (result.fixedPoint) {
    out.stdout(`${paintStatus(s, 'ok', 'fixed point')}: recomputing the window from the telemetry gives exactly the usage that was billed ` +
      `(${result.resources.length} resource record${result.resources.length === 1 ? '' : 's'}, ${result.lines.length} line${result.lines.length === 1 ? '' : 's'})\n${samplesNote}`);
    return EXIT.ok;
  }

  out.stdout(`${paintStatus(s, 'failed', 'DRIFT')}: the telemetry now gives different usage than was billed (late or changed samples)\n\n`);
  out.stdout(`resources that changed (${result.changedResources.length} of ${result.resources.length}):\n`);
  out.stdout(renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'resource' }, { header: 'meter' },
      { header: 'stored', align: 'right' }, { header: 'now', align: 'right' }, { header: 'delta', align: 'right' }, { header: 'unit' }, { header: 'samples' },
    ],
    result.changedResources.map((r) => [
      r.datacenter, r.service, r.resourceId, r.meter, formatQuantity(r.stored, 4), formatQuantity(r.now, 4),
      signed(r.now.minus(r.stored), formatQuantity(r.now.minus(r.stored), 4)), r.unit,
      r.samplesStored === 0 ? `new (${r.samplesNow})` : r.samplesNow === 0 ? `gone (was ${r.samplesStored})` : `${r.samplesStored} → ${r.samplesNow}`,
    ]),
  ));
  out.stdout(`\nlines that changed (${result.changedLines.length} of ${result.lines.length}), amounts at the stored rate:\n`);
  out.stdout(renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'stored', align: 'right' }, { header: 'now', align: 'right' },
      { header: 'delta', align: 'right' }, { header: 'unit' }, { header: 'rate', align: 'right' }, { header: 'billed', align: 'right' },
      { header: 'now', align: 'right' }, { header: 'amount delta', align: 'right' },
    ],
    result.changedLines.map((l) => [
      l.datacenter, l.name, formatQuantity(l.stored, 4), formatQuantity(l.now, 4), signed(l.now.minus(l.stored), formatQuantity(l.now.minus(l.stored), 4)), l.unit,
      l.rate === null ? 'no price' : `${formatRate(l.rate)}${l.rateSource === 'current' ? ' (current)' : ''}`,
      formatMoney(l.storedAmount, digits), l.nowAmount === null ? '?' : formatMoney(l.nowAmount, digits),
      l.nowAmount === null ? '?' : signed(l.nowAmount.minus(l.storedAmount), formatMoney(l.nowAmount.minus(l.storedAmount), digits)),
    ]),
  ));
  const delta = result.nowTotal?.minus(result.storedTotal);
  out.stdout(`\ntotal: billed ${formatMoney(result.storedTotal, digits)} ${currency}, now ${result.nowTotal === null ? '? (a new line has no price)' : `${formatMoney(result.nowTotal, digits)} ${currency}`}` +
    `${delta ? `, difference ${signed(delta, formatMoney(delta, digits))} ${currency}` : ''}\n${samplesNote}`);
  const month = options.month ? `--month ${options.month}` : `--from ${formatTimestamp(window.start)} --to ${formatTimestamp(window.end)}`;
  out.stdout(`to bill it again: artifice void --tenant ${tenantId} ${month} --reason "late samples (verify)" && artifice bill --tenant ${tenantId} ${month}\n`);
  return EXIT.someFailed;
}
