/**
 * src/billing.ts with a real ledger file and in-memory collector and adapter: what happens when
 * another run takes a bill over, when the run is asked to stop, when commit() fails, and how
 * the batch spreads tenants over its workers.
 */
import { readFileSync } from 'node:fs';
import { billTenant, billTenants, measure, type BillingContext, type StopState } from '../../src/billing/bill.js';
import { loadConfig, type Config } from '../../src/config.js';
import { Decimal } from '../../src/model/decimal.js';
import type { InvoiceClass, InvoiceContext } from '../../src/invoice/contract.js';
import { Ledger, type Owner } from '../../src/ledger.js';
import { monthWindow } from '../../src/period.js';
import { packageFile } from '../../src/model/paths.js';
import { parseTimestamp } from '../../src/model/time.js';
import type { Collector } from '../../src/telemetry/contract.js';
import { FileCollector } from '../../src/telemetry/file.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { AFTER_MAY, plan, writeCloud, type Cloud } from '../operator/fixture.js';
import type { InvoiceLine, Sample, SampleQuery, Tenant } from '../../src/model/types.js';

afterAll(cleanTempDirs);

const MAY = monthWindow({ year: 2024, month: 5 }, 'UTC');

/** An adapter that records what billing did with it; `onCost`/`onCommit` hook into the life cycle. */
function recordingAdapter(hooks: { onCost?: () => void; onSection?: () => void; onCommit?: (context: InvoiceContext) => void } = {}) {
  const commits: string[] = [];
  class Recording {
    lines: InvoiceLine[] = [];
    constructor(readonly tenant: Tenant, readonly config: Record<string, string>, readonly context: InvoiceContext) {}
    cost(): Decimal {
      hooks.onCost?.();
      return new Decimal('0.01');
    }
    addSection(): void {
      hooks.onSection?.();
    }
    addLine(line: InvoiceLine): void {
      this.lines.push(line);
    }
    async commit(): Promise<string> {
      hooks.onCommit?.(this.context);
      commits.push(this.context.billId);
      return `ref-${this.context.billId}`;
    }
  }
  return { Adapter: Recording as unknown as InvoiceClass, commits };
}

/** The file collector with a hook before each samples() query. */
function hookedCollector(config: Config, before: (query: SampleQuery) => Promise<void> | void): Collector {
  const inner = new FileCollector(config.telemetry.file!, { region: config.telemetry.region });
  return {
    description: 'hooked',
    tenants: (s, e) => inner.tenants(s, e),
    close: () => inner.close(),
    samples: async (query): Promise<Sample[]> => {
      await before(query);
      return inner.samples(query);
    },
  };
}

let cloud: Cloud;
let config: Config;
const opened: Ledger[] = [];

function open(options?: Parameters<typeof Ledger.open>[1]): Ledger {
  const ledger = Ledger.open(cloud.database, options);
  opened.push(ledger);
  return ledger;
}

const me = (runId = 'run-me'): Owner => ({ host: 'this-host', pid: process.pid, runId });

function context(fields: Partial<BillingContext> & Pick<BillingContext, 'collector' | 'Adapter' | 'ledger'>): BillingContext {
  return { config, owner: me(), now: () => AFTER_MAY, dryRun: false, ...fields };
}

beforeEach(async () => {
  cloud = writeCloud(plan(3));
  config = await loadConfig({ flag: cloud.ini, env: {}, cwd: cloud.dir }, async (file) => readFileSync(file, 'utf8'));
});

afterEach(() => {
  for (const ledger of opened.splice(0)) ledger.close();
});

describe('another run takes the bill over', () => {
  it('while this run measures: it stops, never commits, records nothing, and says who holds the bill now', async () => {
    const ledger = open();
    let tookOver = false;
    const collector = hookedCollector(config, () => {
      if (tookOver) return;
      tookOver = true;
      // Another host decides this run is dead and resumes its pending bill.
      const other = open({ isOwnerAlive: () => false });
      const claim = other.claim({ id: 'tenant-01' }, MAY, { host: 'other-host', pid: 4242, runId: 'run-other' });
      expect(claim).toMatchObject({ kind: 'claimed', resumed: true });
    });
    const { Adapter, commits } = recordingAdapter();
    const outcome = await billTenant(context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);

    expect(outcome).toMatchObject({ status: 'skipped', skip: 'busy', heldBy: { host: 'other-host', pid: 4242 } });
    expect(outcome.reason).toMatch(/^taken over by another run before its usage was recorded \(other-host pid 4242 \(run run-othe\) holds it now\)/);
    expect(commits).toEqual([]);
    const [bill] = ledger.bills({ tenant: 'tenant-01' });
    expect(bill).toMatchObject({ status: 'pending', owner: { runId: 'run-other' } });
    expect(ledger.usage(bill!.id)).toEqual([]);
  });

  it('between recording usage and commit (the adapter is slow to take the lines): no commit either', async () => {
    const ledger = open();
    let sections = 0;
    const { Adapter, commits } = recordingAdapter({
      onSection: () => {
        if (++sections !== 1) return;
        open({ isOwnerAlive: () => false }).claim({ id: 'tenant-02' }, MAY, { host: 'other-host', pid: 7, runId: 'run-other' });
      },
    });
    const collector = hookedCollector(config, () => {});
    const outcome = await billTenant(context({ collector, Adapter, ledger }), { id: 'tenant-02' }, MAY);
    expect(outcome.status).toBe('skipped');
    expect(outcome.reason).toMatch(/^taken over by another run before the invoice was committed \(other-host pid 7 /);
    expect(commits).toEqual([]);
    // The usage this run recorded stays for the new owner to replace (recordUsage replaces rows).
    const [bill] = ledger.bills({ tenant: 'tenant-02' });
    expect(bill).toMatchObject({ status: 'pending', owner: { runId: 'run-other' } });
  });
});

describe('a stop request (SIGINT/SIGTERM)', () => {
  it('fails the tenant in progress before commit (its window stays billable) and starts no other', async () => {
    const ledger = open();
    const stop: StopState = { reason: null };
    const collector = hookedCollector(config, () => {
      stop.reason = 'SIGTERM';
    });
    const { Adapter, commits } = recordingAdapter();
    const tenants = [{ id: 'tenant-01' }, { id: 'tenant-02' }, { id: 'tenant-03' }];
    const outcomes = await billTenants(context({ collector, Adapter, ledger, stop }), tenants, MAY, { concurrency: 1 });

    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
    expect(outcomes[0]!.error).toBe('interrupted by SIGTERM before its usage was recorded; the window stays billable');
    expect(outcomes[1]!.error).toBe('not attempted: the run was interrupted by SIGTERM');
    expect(commits).toEqual([]);
    // Only the tenant that was started has a row, and it is failed (not pending): the next run bills it.
    expect(ledger.bills().map((b) => [b.tenant, b.status])).toEqual([['tenant-01', 'failed']]);
  });

  it('lets a bill that reached commit() finish', async () => {
    const ledger = open();
    const stop: StopState = { reason: null };
    const { Adapter, commits } = recordingAdapter({ onCommit: () => (stop.reason = 'SIGINT') });
    const collector = hookedCollector(config, () => {});
    const outcomes = await billTenants(context({ collector, Adapter, ledger, stop }), [{ id: 'tenant-01' }, { id: 'tenant-02' }], MAY, { concurrency: 1 });
    expect(outcomes.map((o) => o.status)).toEqual(['committed', 'failed']);
    expect(commits).toHaveLength(1);
  });
});

describe('commit() fails', () => {
  it('the bill stays pending, and the next run resumes it with the same bill id (one invoice)', async () => {
    const ledger = open();
    let fail = true;
    const seen: string[] = [];
    const { Adapter, commits } = recordingAdapter({
      onCommit: (ctx) => {
        seen.push(ctx.billId);
        if (fail) throw new Error('ERP timed out after creating the invoice?');
      },
    });
    const collector = hookedCollector(config, () => {});
    const first = await billTenant(context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(first.status).toBe('failed');
    expect(first.error).toMatch(/^ERP timed out.*; the bill \w{8} stays pending: the invoice may have been committed, and the next run resumes it with the same bill id$/);
    expect(ledger.bills()).toMatchObject([{ status: 'pending' }]);

    // The next run: this run's process is "gone".
    fail = false;
    const next = open({ isOwnerAlive: () => false });
    const second = await billTenant(context({ collector, Adapter, ledger: next, owner: me('run-next') }), { id: 'tenant-01' }, MAY);
    expect(second).toMatchObject({ status: 'committed', resumed: true, billId: first.billId });
    expect(seen).toEqual([first.billId, first.billId]);
    expect(commits).toEqual([first.billId]);
    expect(next.bills()).toMatchObject([{ id: first.billId, status: 'committed' }]);
  });
});

describe('commit() returns no reference', () => {
  it.each([[null], [''], [{ id: 5 }]])('%p: the bill stays pending (commit was called) and the message says what the contract wants', async (returned) => {
    const ledger = open();
    class NoReference {
      cost() {
        return '0.01';
      }
      addSection() {}
      addLine() {}
      commit() {
        return returned;
      }
    }
    const outcome = await billTenant(context({ collector: hookedCollector(config, () => {}), Adapter: NoReference as unknown as InvoiceClass, ledger }), { id: 'tenant-01' }, MAY);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/^the adapter's commit\(\) returned (null|''|an object), not a reference \(a non-empty string/);
    expect(ledger.bills()).toMatchObject([{ status: 'pending', reference: null }]);
  });
});

describe('telemetry that reads fine but cannot be billed', () => {
  it('a tenant whose samples are all untrusted fails, naming the sources, and its window stays billable', async () => {
    const trusting = { ...config, main: { ...config.main, trustSources: [/^ceilometer$/] } };
    const ledger = open();
    const { Adapter, commits } = recordingAdapter();
    const outcome = await billTenant(context({ config: trusting, collector: hookedCollector(config, () => {}), Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(outcome.status).toBe('failed');
    expect(outcome.error).toMatch(/^all 2\d\d samples of this tenant come from sources \[main\] trust_sources does not trust \('openstack'\): /);
    expect(commits).toEqual([]);
    expect(ledger.bills()).toMatchObject([{ status: 'failed' }]);
    // The same tenant with the right trust_sources bills.
    expect((await billTenant(context({ collector: hookedCollector(config, () => {}), Adapter, ledger }), { id: 'tenant-01' }, MAY)).status).toBe('committed');
  });

  it('an availability zone named like an Object property (constructor, __proto__) is not a [datacenters] entry', async () => {
    const odd = (zone: string): Sample => ({
      meter: 'volume.size', resourceId: `vol-${zone}`, projectId: 'tenant-01', timestamp: parseTimestamp('2024-05-10T00:00:00Z')!, volume: 1,
      unit: 'GB', type: 'gauge', metadata: { availability_zone: zone }, id: `s-${zone}`, source: 'openstack', region: 'RegionOne',
    });
    const collector: Collector = {
      description: 'odd zones', tenants: async () => [], close: async () => {},
      samples: async (query) => (query.meter === 'volume.size' ? [odd('constructor'), odd('__proto__'), odd('toString')] : []),
    };
    const result = await measure({ config, collector }, { id: 'tenant-01' }, MAY);
    expect(result.records.map((r) => r.datacenter)).toEqual(['RegionOne', 'RegionOne', 'RegionOne']);
  });
});

describe('billTenants', () => {
  it('bills at most `concurrency` tenants at once, keeps input order, and a failing tenant stops nothing', async () => {
    const ledger = open();
    let inFlight = 0;
    let most = 0;
    const collector: Collector = {
      description: 'counting',
      tenants: async () => [],
      close: async () => {},
      samples: async (query) => {
        inFlight++;
        most = Math.max(most, inFlight);
        // Let the other workers run before this query finishes.
        for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        if (query.projectId === 'bad') throw new Error('boom');
        return [];
      },
    };
    const { Adapter } = recordingAdapter();
    const tenants = ['a', 'b', 'bad', 'c', 'd', 'e', 'f'].map((id) => ({ id }));
    const seen: number[] = [];
    const outcomes = await billTenants(context({ collector, Adapter, ledger }), tenants, MAY, {
      concurrency: 3,
      onDone: (_o, done, total) => {
        seen.push(done);
        expect(total).toBe(7);
      },
    });
    expect(outcomes.map((o) => o.tenant.id)).toEqual(tenants.map((t) => t.id));
    expect(outcomes.map((o) => o.status)).toEqual(['empty', 'empty', 'failed', 'empty', 'empty', 'empty', 'empty']);
    expect(outcomes[2]!.error).toBe('boom');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Each tenant queries every meter at once, so in-flight queries are up to 3 tenants × meters.
    expect(most).toBeLessThanOrEqual(3 * config.meterSpecs.length);
    expect(most).toBeGreaterThan(config.meterSpecs.length);
  });
});

describe('the total recorded in the ledger', () => {
  it('is money with the currency digits (0.00, never 0 or 0.1), for a bill and for an empty one', async () => {
    const ledger = open();
    class Free {
      cost(): string {
        return '0';
      }
      addSection(): void {}
      addLine(): void {}
      async commit(): Promise<string> {
        return 'ref';
      }
    }
    const collector = hookedCollector(config, () => {});
    const billed = await billTenant(context({ collector, Adapter: Free as unknown as InvoiceClass, ledger }), { id: 'tenant-01' }, MAY);
    expect(billed.status).toBe('committed');
    const empty = await billTenant(context({ collector, Adapter: Free as unknown as InvoiceClass, ledger }), { id: 'nobody' }, MAY);
    expect(empty.status).toBe('empty');
    expect(ledger.bill(billed.billId!)?.total).toBe('0.00');
    expect(ledger.bill(empty.billId!)?.total).toBe('0.00');
  });
});

describe('a window already billed', () => {
  it('is skipped with the total and the currency it was billed in, even after [main] currency changed', async () => {
    const ledger = open();
    const { Adapter } = recordingAdapter();
    const collector = hookedCollector(config, () => {});
    const first = await billTenant(context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(first.status).toBe('committed');
    const euro: Config = { ...config, main: { ...config.main, currency: 'EUR' } };
    const again = await billTenant({ ...context({ collector, Adapter, ledger }), config: euro }, { id: 'tenant-01' }, MAY);
    expect(again).toMatchObject({ status: 'skipped', skip: 'billed', currency: first.currency });
    expect(again.total?.toFixed(2)).toBe(first.total?.toFixed(2));
  });
});

describe('the look-back of a counter', () => {
  it('finds a baseline older than max_gap, so consecutive months add up to the whole', async () => {
    // The demo config: default meters, max_gap 1 h (loading it writes nothing).
    const config = await loadConfig({ flag: packageFile('config', 'demo', 'artifice.ini'), env: {}, cwd: process.cwd() });
    expect(config.main.maxGapSeconds).toBe(3600);
    const GIB = 2 ** 30;
    // A counter polled with a 3-hour hole across the month boundary: 1 GiB at 04-30 21:00,
    // 4 GiB at 05-01 00:30, 10 GiB at 05-31 23:00, 13 GiB at 06-01 02:00.
    const at = (iso: string, gib: number): Sample => ({
      meter: 'network.outgoing.bytes', resourceId: 'tap-1', projectId: 'p1', timestamp: parseTimestamp(iso)!, volume: gib * GIB,
      unit: 'B', type: 'cumulative', metadata: {}, id: iso, source: 'openstack', region: 'RegionOne',
    });
    const all = [at('2024-04-30T21:00:00', 1), at('2024-05-01T00:30:00', 4), at('2024-05-31T23:00:00', 10), at('2024-06-01T02:00:00', 13)];
    const collector: Collector = {
      description: 'memory',
      tenants: async () => [{ id: 'p1' }],
      close: async () => {},
      samples: async (q) => all.filter((s) => s.meter === q.meter && s.timestamp >= q.start && s.timestamp < q.end),
    };
    const outgoing = async (window: typeof MAY) =>
      (await measure({ config, collector }, { id: 'p1' }, window)).records.find((r) => r.meter === 'network.outgoing.bytes')!.quantity.toString();
    const JUNE = monthWindow({ year: 2024, month: 6 }, 'UTC');
    // May counts 04-30 21:00 → 05-31 23:00 (9 GiB), June 05-31 23:00 → 06-01 02:00 (3 GiB): 12 = 13 − 1.
    expect(await outgoing(MAY)).toBe('9');
    expect(await outgoing(JUNE)).toBe('3');
  });
});
