/** src/report/: totals, medians and the ranked findings, on an in-memory ledger written through its public methods. */
import { Ledger } from '../../src/ledger.js';
import { Decimal } from '../../src/model/decimal.js';
import { monthWindow } from '../../src/period.js';
import { median, monthReport } from '../../src/report/month.js';
import type { Window } from '../../src/model/types.js';

const OWNER = { host: 'test', pid: 1, runId: 'run' };
const month = (text: string) => {
  const [year, m] = text.split('-').map(Number) as [number, number];
  return monthWindow({ year, month: m }, 'UTC');
};
const line = (name: string, amount: string, datacenter = 'north') => ({ datacenter, name, quantity: new Decimal(1), unit: 'hour', rate: new Decimal(amount), amount: new Decimal(amount) });

async function bill(ledger: Ledger, tenant: string, window: Window, lines: ReturnType<typeof line>[], currency = 'USD'): Promise<string> {
  const claim = await ledger.claim({ id: tenant, name: `${tenant}-name` }, window, OWNER);
  if (claim.kind !== 'claimed') throw new Error(claim.kind);
  await ledger.recordUsage(claim.bill.id, [], lines);
  const total = lines.reduce((sum, l) => sum.plus(l.amount), new Decimal(0));
  await ledger.markCommitted(claim.bill.id, 'ref', total.toFixed(2), currency);
  return claim.bill.id;
}

const report = (ledger: Ledger, factor = '2') =>
  monthReport({ ledger, month: { year: 2024, month: 5 }, timezone: 'UTC', changeFactor: new Decimal(factor), currencyDigits: 2 });

describe('monthReport', () => {
  it('ranks failed, pending, missing, changed, voided and new tenants, and skips what was billed again', async () => {
    const ledger = Ledger.open(':memory:');
    for (const t of ['fails', 'pends', 'gone', 'halves', 'voids', 'retried']) await bill(ledger, t, month('2024-04'), [line('m1.small', '10')]);
    const failed = await ledger.claim({ id: 'fails' }, month('2024-05'), OWNER);
    if (failed.kind === 'claimed') await ledger.markFailed(failed.bill.id, 'telemetry down');
    await ledger.claim({ id: 'pends' }, month('2024-05'), OWNER);
    await bill(ledger, 'halves', month('2024-05'), [line('m1.small', '4')]);
    await bill(ledger, 'voids', month('2024-05'), [line('m1.small', '10')]);
    await ledger.voidBill('voids', month('2024-05'), 'wrong rate', 'tester');
    await bill(ledger, 'voids', month('2024-05'), [line('m1.small', '11')]);
    const retried = await ledger.claim({ id: 'retried' }, month('2024-05'), OWNER);
    if (retried.kind === 'claimed') await ledger.markFailed(retried.bill.id, 'once');
    await bill(ledger, 'retried', month('2024-05'), [line('m1.small', '10')]);
    await bill(ledger, 'fresh', month('2024-05'), [line('m1.small', '7')]);

    const r = await report(ledger);
    expect(r.findings.map((f) => `${f.kind} ${f.tenant}`)).toEqual([
      'failed fails', 'pending pends', 'missing gone', 'changed halves', 'voided voids', 'new-tenant fresh',
    ]);
    expect(r.findings[4]).toEqual(expect.objectContaining({ kind: 'voided', reason: 'wrong rate', rebilled: true }));
    expect(r.bills).toEqual({ committed: 4, pending: 1, failed: 2, voided: 1 });
    expect(r.cloud.map((row) => [row.total.toFixed(2), row.previous?.toFixed(2)])).toEqual([['32.00', '60.00']]);
    await ledger.close();
  });

  it('keeps currencies apart, finds services new and gone, and counts a bill in the month its window starts', async () => {
    const ledger = Ledger.open(':memory:');
    await bill(ledger, 'a', month('2024-04'), [line('m1.small', '10'), line('volume.size', '5', 'south')]);
    await bill(ledger, 'a', month('2024-05'), [line('m1.small', '10'), line('m1.large', '3', 'south')]);
    await bill(ledger, 'b', month('2024-04'), [line('m1.small', '8')], 'EUR');
    // A --from/--to window starting on 2024-05-20 and ending in June: May's.
    await bill(ledger, 'b', { start: Date.UTC(2024, 4, 20) * 1000, end: Date.UTC(2024, 5, 3) * 1000 }, [line('m1.small', '8')], 'EUR');

    const r = await report(ledger);
    expect(r.findings.map((f) => `${f.kind} ${f.tenant} ${'service' in f ? f.service : ''}`)).toEqual([
      'service-new a m1.large', 'service-gone a volume.size',
    ]);
    expect(r.cloud.map((row) => `${row.currency} ${row.total.toFixed(2)}`)).toEqual(['EUR 8.00', 'USD 13.00']);
    expect(r.datacenters.map((row) => `${row.key} ${row.currency} ${row.total.toFixed(2)} ${row.previous?.toFixed(2)}`)).toEqual([
      'north EUR 8.00 8.00', 'north USD 10.00 10.00', 'south USD 3.00 5.00',
    ]);
    await ledger.close();
  });

  it('counts discount and monthly-minimum lines under one service each, whatever their price list', async () => {
    const ledger = Ledger.open(':memory:');
    const adjust = (name: string, amount: string, basis: { kind: 'discount'; percent: string; scope: string } | { kind: 'minimum'; minimum: string; scope: string }) =>
      ({ ...line(name, amount), basis });
    await bill(ledger, 'a', month('2024-05'), [line('m1.small', '10'), adjust('Discount 10% (price list partners)', '-1', { kind: 'discount', percent: '10', scope: 'group:partners' })]);
    await bill(ledger, 'b', month('2024-05'), [line('m1.small', '20'), adjust('Discount 5% (price list b)', '-1', { kind: 'discount', percent: '5', scope: 'b' })]);
    await bill(ledger, 'c', month('2024-05'), [line('m1.small', '2'), adjust('Monthly minimum 5.00 USD (price list c)', '3', { kind: 'minimum', minimum: '5', scope: 'c' })]);

    const r = await report(ledger);
    expect(r.services.map((row) => `${row.key} ${row.total.toFixed(2)}`)).toEqual(['m1.small 32.00', 'monthly minimums 3.00', 'discounts -2.00']);
    expect(r.services.reduce((sum, row) => sum.plus(row.total), new Decimal(0)).toFixed(2)).toBe(r.cloud[0]!.total.toFixed(2));
    await ledger.close();
  });

  it('lists a total that moved more than the factor either way, including to and from zero', async () => {
    const ledger = Ledger.open(':memory:');
    await bill(ledger, 'up', month('2024-04'), [line('x', '1')]);
    await bill(ledger, 'up', month('2024-05'), [line('x', '2.01')]);
    await bill(ledger, 'same', month('2024-04'), [line('x', '1')]);
    await bill(ledger, 'same', month('2024-05'), [line('x', '2')]);
    await bill(ledger, 'zero', month('2024-04'), [line('x', '0')]);
    await bill(ledger, 'zero', month('2024-05'), [line('x', '5')]);
    const r = await report(ledger);
    expect(r.findings.map((f) => `${f.kind} ${f.tenant} ${f.kind === 'changed' ? String(f.factor) : ''}`)).toEqual(['changed zero null', 'changed up 2.01']);
    await ledger.close();
  });
});

describe('median', () => {
  it('is the middle value, the exact mean of the middle two, or null', async () => {
    const d = (values: (string | null)[]) => median(values.map((v) => (v === null ? null : new Decimal(v))))?.toFixed() ?? null;
    expect(d(['3', null, '1', '2'])).toBe('2');
    expect(d(['0.01', '0.02'])).toBe('0.015');
    expect(d([null, null])).toBeNull();
  });
});
