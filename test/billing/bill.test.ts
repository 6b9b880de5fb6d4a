/**
 * src/billing/bill.ts with a real ledger file and in-memory collector and adapter: what happens
 * when another run takes a bill over, when commit() fails or returns no reference, what the
 * ledger records, and a window already billed.
 */
import { billTenant } from '../../src/billing/bill.js';
import type { Config } from '../../src/config.js';
import type { InvoiceClass } from '../../src/invoice/contract.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { billingFixture, errorOf, hookedCollector, me, MAY, reasonOf, recordingAdapter } from './fixture.js';

afterAll(cleanTempDirs);

const f = billingFixture();
let config: Config;
beforeEach(() => {
  config = f.config;
});

describe('another run takes the bill over', () => {
  it('while this run measures: it stops, never commits, records nothing, and says who holds the bill now', async () => {
    const ledger = f.open();
    let tookOver = false;
    const collector = hookedCollector(config, async () => {
      if (tookOver) return;
      tookOver = true;
      // Another host decides this run is dead and resumes its pending bill.
      const other = f.open({ isOwnerAlive: () => false });
      const claim = await other.claim({ id: 'tenant-01' }, MAY, { host: 'other-host', pid: 4242, runId: 'run-other' });
      expect(claim).toMatchObject({ kind: 'claimed', resumed: true });
    });
    const { Adapter, commits } = recordingAdapter();
    const outcome = await billTenant(f.context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);

    expect(outcome).toMatchObject({ status: 'skipped', skip: 'busy', heldBy: { host: 'other-host', pid: 4242 } });
    expect(reasonOf(outcome)).toMatch(/^taken over by another run before its usage was recorded \(other-host pid 4242 \(run run-othe\) holds it now\)/);
    expect(commits).toEqual([]);
    const [bill] = await ledger.bills({ tenant: 'tenant-01' });
    expect(bill).toMatchObject({ status: 'pending', owner: { runId: 'run-other' } });
    expect(await ledger.usage(bill!.id)).toEqual([]);
  });

  it('between recording usage and commit (the adapter is slow to take the lines): no commit either', async () => {
    const ledger = f.open();
    let sections = 0;
    const { Adapter, commits } = recordingAdapter({
      onSection: () => {
        if (++sections !== 1) return;
        f.open({ isOwnerAlive: () => false }).claim({ id: 'tenant-02' }, MAY, { host: 'other-host', pid: 7, runId: 'run-other' });
      },
    });
    const collector = hookedCollector(config, () => {});
    const outcome = await billTenant(f.context({ collector, Adapter, ledger }), { id: 'tenant-02' }, MAY);
    expect(outcome.status).toBe('skipped');
    expect(reasonOf(outcome)).toMatch(/^taken over by another run before the invoice was committed \(other-host pid 7 /);
    expect(commits).toEqual([]);
    // The usage this run recorded stays for the new owner to replace (recordUsage replaces rows).
    const [bill] = await ledger.bills({ tenant: 'tenant-02' });
    expect(bill).toMatchObject({ status: 'pending', owner: { runId: 'run-other' } });
  });
});

describe('another run takes the bill over inside commit()', () => {
  it('the ledger refuses this run\'s commit: the bill stays the new owner\'s, pending, for it to resume', async () => {
    const ledger = f.open();
    const { Adapter, commits } = recordingAdapter({
      onCommit: () => {
        // The SQLite ledger claims at once (synchronously), as another host's take-over.
        void f.open({ isOwnerAlive: () => false }).claim({ id: 'tenant-03' }, MAY, { host: 'other-host', pid: 9, runId: 'run-other' });
      },
    });
    const outcome = await billTenant(f.context({ collector: hookedCollector(config, () => {}), Adapter, ledger }), { id: 'tenant-03' }, MAY);
    expect(commits).toHaveLength(1);
    expect(outcome).toMatchObject({ status: 'skipped', skip: 'busy', heldBy: { host: 'other-host', pid: 9 } });
    expect(reasonOf(outcome)).toMatch(/^taken over by another run while it was committing \(other-host pid 9 /);
    const [bill] = await ledger.bills({ tenant: 'tenant-03' });
    expect(bill).toMatchObject({ status: 'pending', owner: { runId: 'run-other' }, reference: null });
  });
});

describe('commit() fails', () => {
  it('the bill stays pending, and the next run resumes it with the same bill id (one invoice)', async () => {
    const ledger = f.open();
    let fail = true;
    const seen: string[] = [];
    const { Adapter, commits } = recordingAdapter({
      onCommit: (ctx) => {
        seen.push(ctx.billId);
        if (fail) throw new Error('ERP timed out after creating the invoice?');
      },
    });
    const collector = hookedCollector(config, () => {});
    const first = await billTenant(f.context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(first.status).toBe('failed');
    expect(errorOf(first)).toMatch(/^ERP timed out.*; the bill \w{8} stays pending: the invoice may have been committed, and the next run resumes it with the same bill id$/);
    expect(await ledger.bills()).toMatchObject([{ status: 'pending' }]);

    // The next run: this run's process is "gone".
    fail = false;
    const next = f.open({ isOwnerAlive: () => false });
    const second = await billTenant(f.context({ collector, Adapter, ledger: next, owner: me('run-next') }), { id: 'tenant-01' }, MAY);
    expect(second).toMatchObject({ status: 'committed', resumed: true, billId: first.billId });
    expect(seen).toEqual([first.billId, first.billId]);
    expect(commits).toEqual([first.billId]);
    expect(await next.bills()).toMatchObject([{ id: first.billId, status: 'committed' }]);
  });
});

describe('commit() returns no reference', () => {
  it.each([[null], [''], [{ id: 5 }]])('%p: the bill stays pending (commit was called) and the message says what the contract wants', async (returned) => {
    const ledger = f.open();
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
    const outcome = await billTenant(f.context({ collector: hookedCollector(config, () => {}), Adapter: NoReference as unknown as InvoiceClass, ledger }), { id: 'tenant-01' }, MAY);
    expect(outcome.status).toBe('failed');
    expect(errorOf(outcome)).toMatch(/^the adapter's commit\(\) returned (null|''|an object), not a reference \(a non-empty string/);
    expect(await ledger.bills()).toMatchObject([{ status: 'pending', reference: null }]);
  });
});

describe('telemetry that reads fine but cannot be billed', () => {
  it('a tenant whose samples are all untrusted fails, naming the sources, and its window stays billable', async () => {
    const trusting = { ...config, main: { ...config.main, trustSources: [/^ceilometer$/] } };
    const ledger = f.open();
    const { Adapter, commits } = recordingAdapter();
    const outcome = await billTenant(f.context({ config: trusting, collector: hookedCollector(config, () => {}), Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(outcome.status).toBe('failed');
    expect(errorOf(outcome)).toMatch(/^all 2\d\d samples of this tenant come from sources \[main\] trust_sources does not trust \('openstack'\): /);
    expect(commits).toEqual([]);
    expect(await ledger.bills()).toMatchObject([{ status: 'failed' }]);
    // The same tenant with the right trust_sources bills.
    expect((await billTenant(f.context({ collector: hookedCollector(config, () => {}), Adapter, ledger }), { id: 'tenant-01' }, MAY)).status).toBe('committed');
  });
});

describe('the total recorded in the ledger', () => {
  it('is money with the currency digits (0.00, never 0 or 0.1), for a bill and for an empty one', async () => {
    const ledger = f.open();
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
    const billed = await billTenant(f.context({ collector, Adapter: Free as unknown as InvoiceClass, ledger }), { id: 'tenant-01' }, MAY);
    expect(billed.status).toBe('committed');
    const empty = await billTenant(f.context({ collector, Adapter: Free as unknown as InvoiceClass, ledger }), { id: 'nobody' }, MAY);
    expect(empty.status).toBe('empty');
    expect((await ledger.bill(billed.billId!))?.total).toBe('0.00');
    expect((await ledger.bill(empty.billId!))?.total).toBe('0.00');
  });
});

describe('a window already billed', () => {
  it('is skipped with the total and the currency it was billed in, even after [main] currency changed', async () => {
    const ledger = f.open();
    const { Adapter } = recordingAdapter();
    const collector = hookedCollector(config, () => {});
    const first = await billTenant(f.context({ collector, Adapter, ledger }), { id: 'tenant-01' }, MAY);
    expect(first.status).toBe('committed');
    const euro: Config = { ...config, main: { ...config.main, currency: 'EUR' } };
    const again = await billTenant({ ...f.context({ collector, Adapter, ledger }), config: euro }, { id: 'tenant-01' }, MAY);
    expect(again).toMatchObject({ status: 'skipped', skip: 'billed', currency: first.currency });
    expect(again.total?.toFixed(2)).toBe(first.total?.toFixed(2));
  });
});
