/**
 * A claimed bill's life after the claim: its usage and lines recorded, then committed or failed;
 * later perhaps voided, so its window can be billed again as the next revision.
 */
import { LedgerError } from '../model/errors.js';
import type { InvoiceLine, UsageRecord } from '../model/types.js';
import { ORDER, describeBill, describeWindow, requireBill, select } from './queries.js';
import { decimalText } from './rows.js';
import type { Store } from './sqlite.js';
import type { Bill, Window } from './types.js';

/**
 * Replaces the usage and line rows of a pending bill (a resumed bill recomputes them); with
 * `runId`, only while that run owns it.
 */
export function recordUsage(store: Store, billId: string, usage: UsageRecord[], lines: InvoiceLine[], runId?: string): void {
  const { db } = store;
  db.transaction(() => {
    requirePending(store, billId, 'record usage for', runId);
    store.statement('DELETE FROM usage WHERE bill_id = ?').run(billId);
    store.statement('DELETE FROM lines WHERE bill_id = ?').run(billId);
    const insertUsage = store.statement(
      `INSERT INTO usage (bill_id, meter, resource_id, service, datacenter, quantity, unit, samples,
         first_sample_us, last_sample_us, gaps) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const u of usage) {
      insertUsage.run(
        billId, u.meter, u.resourceId, u.service, u.datacenter, decimalText(u.quantity), u.unit,
        u.samples, u.firstSample, u.lastSample, JSON.stringify(u.gaps),
      );
    }
    const insertLine = store.statement(
      `INSERT INTO lines (bill_id, position, datacenter, name, quantity, unit, rate, amount,
         period_start_us, period_end_us, basis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    lines.forEach((l, position) => {
      insertLine.run(
        billId, position, l.datacenter, l.name, decimalText(l.quantity), l.unit,
        decimalText(l.rate), decimalText(l.amount),
        l.period?.start ?? null, l.period?.end ?? null, l.basis ? JSON.stringify(l.basis) : null,
      );
    });
  }).immediate();
}

/** pending → committed, with the adapter's reference and the bill's total. */
export function markCommitted(store: Store, billId: string, reference: string, total: string, currency: string, runId?: string): Bill {
  return finish(store, billId, 'commit', runId, (bill) =>
    store
      .statement(
        `UPDATE bills SET status = 'committed', committed_at = ?, reference = ?, total = ?, currency = ?
         WHERE id = ?`,
      )
      .run(store.stamp(), reference, total, currency, bill.id),
  );
}

/** pending → failed: the window becomes billable again (a new claim inserts a new row). */
export function markFailed(store: Store, billId: string, error: string, runId?: string): Bill {
  return finish(store, billId, 'mark failed', runId, (bill) =>
    store.statement(`UPDATE bills SET status = 'failed', error = ? WHERE id = ?`).run(error, bill.id),
  );
}

/**
 * committed → voided, so the exact window can be billed again (as revision + 1). Nothing is
 * deleted: the voided bill keeps its usage and lines.
 */
export function voidBill(store: Store, tenantId: string, window: Window, reason: string, who: string): Bill {
  return store.db
    .transaction((): Bill => {
      const [bill] = select(
        store,
        `WHERE tenant = ? AND start_us = ? AND end_us = ? AND status = 'committed'`,
        tenantId,
        window.start,
        window.end,
      );
      if (!bill) throw nothingToVoid(store, tenantId, window);
      store
        .statement(`UPDATE bills SET status = 'voided', void_reason = ?, voided_by = ?, voided_at = ? WHERE id = ?`)
        .run(reason, who, store.stamp(), bill.id);
      return requireBill(store, bill.id);
    })
    .immediate();
}

/** No committed bill for exactly `window`: the error lists the tenant's bills near it. */
function nothingToVoid(store: Store, tenantId: string, window: Window): LedgerError {
  const near = nearWindow(window);
  return nothingToVoidError(tenantId, window, select(store, `WHERE tenant = ? AND start_us < ? AND ? < end_us ${ORDER}`, tenantId, near.end, near.start));
}

/** "Near" a window: overlapping it widened by its own length on both sides. */
export function nearWindow(window: Window): Window {
  const span = window.end - window.start;
  return { start: window.start - span, end: window.end + span };
}

/** No committed bill for exactly `window` (both backends): the message lists the bills `near` it. */
export function nothingToVoidError(tenantId: string, window: Window, near: Bill[]): LedgerError {
  const found = near.length ? `its bills near it: ${near.map(describeBill).join('; ')}` : 'it has no bills near it';
  return new LedgerError(`no committed bill for tenant ${tenantId} in ${describeWindow(window)} to void; ${found}`);
}

/** The bill, pending and (with `runId`) owned by that run; else the error saying why not. */
function requirePending(store: Store, id: string, what: string, runId: string | undefined): Bill {
  const bill = requireBill(store, id);
  if (bill.status !== 'pending') throw notPendingError(bill, what);
  if (runId !== undefined && bill.owner?.runId !== runId) throw notOwnedError(bill, what, runId);
  return bill;
}

/** `what` (commit, record usage for…) needs a pending bill, and `bill` is not one (both backends). */
export function notPendingError(bill: Bill, what: string): LedgerError {
  return new LedgerError(`cannot ${what} bill ${bill.id} of tenant ${bill.tenant} ${describeWindow(bill)}: it is ${bill.status}, not pending`);
}

/**
 * `what` needs the bill to be run `runId`'s, and another run took it over (both backends). The
 * caller (src/billing/bill.ts) reads the bill then and reports the claim lost.
 */
export function notOwnedError(bill: Bill, what: string, runId: string): LedgerError {
  return new LedgerError(`cannot ${what} bill ${bill.id} of tenant ${bill.tenant} ${describeWindow(bill)}: run ${runId} no longer owns it (run ${bill.owner?.runId ?? 'none'} does)`);
}

function finish(store: Store, billId: string, what: string, runId: string | undefined, update: (bill: Bill) => unknown): Bill {
  return store.db
    .transaction((): Bill => {
      update(requirePending(store, billId, what, runId));
      return requireBill(store, billId);
    })
    .immediate();
}
