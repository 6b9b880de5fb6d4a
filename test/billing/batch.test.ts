/** src/billing/batch.ts: how the batch spreads tenants over its workers, and a stop request (SIGINT/SIGTERM). */
import { billTenants } from '../../src/billing/batch.js';
import type { StopState } from '../../src/billing/bill.js';
import type { Collector } from '../../src/telemetry/contract.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { billingFixture, errorOf, hookedCollector, MAY, recordingAdapter } from './fixture.js';

afterAll(cleanTempDirs);

const f = billingFixture();

describe('a stop request (SIGINT/SIGTERM)', () => {
  it('fails the tenant in progress before commit (its window stays billable) and starts no other', async () => {
    const ledger = f.open();
    const stop: StopState = { reason: null };
    const collector = hookedCollector(f.config, () => {
      stop.reason = 'SIGTERM';
    });
    const { Adapter, commits } = recordingAdapter();
    const tenants = [{ id: 'tenant-01' }, { id: 'tenant-02' }, { id: 'tenant-03' }];
    const outcomes = await billTenants(f.context({ collector, Adapter, ledger, stop }), tenants, MAY, { concurrency: 1 });

    expect(outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'failed']);
    expect(errorOf(outcomes[0]!)).toBe('interrupted by SIGTERM before its usage was recorded; the window stays billable');
    expect(errorOf(outcomes[1]!)).toBe('not attempted: the run was interrupted by SIGTERM');
    expect(commits).toEqual([]);
    // Only the tenant that was started has a row, and it is failed (not pending): the next run bills it.
    expect((await ledger.bills()).map((b) => [b.tenant, b.status])).toEqual([['tenant-01', 'failed']]);
  });

  it('lets a bill that reached commit() finish', async () => {
    const ledger = f.open();
    const stop: StopState = { reason: null };
    const { Adapter, commits } = recordingAdapter({ onCommit: () => (stop.reason = 'SIGINT') });
    const collector = hookedCollector(f.config, () => {});
    const outcomes = await billTenants(f.context({ collector, Adapter, ledger, stop }), [{ id: 'tenant-01' }, { id: 'tenant-02' }], MAY, { concurrency: 1 });
    expect(outcomes.map((o) => o.status)).toEqual(['committed', 'failed']);
    expect(commits).toHaveLength(1);
  });
});

describe('billTenants', () => {
  it('bills at most `concurrency` tenants at once, keeps input order, and a failing tenant stops nothing', async () => {
    const ledger = f.open();
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
    const outcomes = await billTenants(f.context({ collector, Adapter, ledger }), tenants, MAY, {
      concurrency: 3,
      onDone: (_o, done, total) => {
        seen.push(done);
        expect(total).toBe(7);
      },
    });
    expect(outcomes.map((o) => o.tenant.id)).toEqual(tenants.map((t) => t.id));
    expect(outcomes.map((o) => o.status)).toEqual(['empty', 'empty', 'failed', 'empty', 'empty', 'empty', 'empty']);
    expect(errorOf(outcomes[2]!)).toBe('boom');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // Each tenant queries every meter at once, so in-flight queries are up to 3 tenants × meters.
    expect(most).toBeLessThanOrEqual(3 * f.config.meterSpecs.length);
    expect(most).toBeGreaterThan(f.config.meterSpecs.length);
  });
});

describe('what the batch keeps of each outcome', () => {
  it('keeps what onDone returns, after onDone has seen the whole outcome', async () => {
    const ledger = f.open();
    const { Adapter } = recordingAdapter();
    const collector = hookedCollector(f.config, () => {});
    const seen: number[] = [];
    const outcomes = await billTenants(f.context({ collector, Adapter, ledger }), [{ id: 'tenant-01' }, { id: 'tenant-02' }], MAY, {
      concurrency: 2,
      onDone: (outcome) => {
        seen.push(outcome.lines.length);
        return { ...outcome, lines: [], usage: [] };
      },
    });
    expect(seen.every((n) => n > 0)).toBe(true);
    expect(outcomes.map((o) => [o.tenant.id, o.status, o.lines.length, o.usage.length, o.total !== null])).toEqual([
      ['tenant-01', 'committed', 0, 0, true],
      ['tenant-02', 'committed', 0, 0, true],
    ]);
  });
});
