/**
 * Claims and leases: a run claims a tenant's window (a pending bill) before it bills it, and
 * keeps the claim alive with heartbeats; a claim whose owner is gone is taken over (resumed).
 */
import { randomUUID } from 'node:crypto';
import { LedgerError } from '../model/errors.js';
import { ORDER, requireBill, select } from './queries.js';
import type { Store } from './sqlite.js';
import type { Bill, ClaimResult, Owner, Window } from './types.js';

export type OwnerAlive = (owner: Owner, bill: Bill) => boolean;

/**
 * Claims `window` of `tenant` for `owner`, in BEGIN IMMEDIATE so two runs cannot both claim.
 * A pending bill of the same runId, or of an owner that is gone, is claimed again (the latter
 * taken over: `resumed`); a new claim inserts a pending row.
 */
export function claim(store: Store, isOwnerAlive: OwnerAlive, tenant: { id: string; name?: string }, window: Window, owner: Owner): ClaimResult {
  checkWindow(window);
  return store.db
    .transaction((): ClaimResult => {
      const holding = select(
        store,
        `WHERE tenant = ? AND status IN ('pending', 'committed') AND start_us < ? AND ? < end_us ${ORDER}`,
        tenant.id,
        window.end,
        window.start,
      );
      const decision = decideClaim(holding, window, owner, isOwnerAlive);
      if (decision.kind === 'insert') return { kind: 'claimed', bill: insertPending(store, tenant, window, owner), resumed: false };
      if (decision.kind === 'take over') return { kind: 'claimed', bill: takeOver(store, decision.bill, owner), resumed: decision.resumed };
      return decision;
    })
    .immediate();
}

/** What a claim does, given the bills of the tenant that hold part of the window (both backends). */
export type ClaimDecision =
  | { kind: 'insert' }
  | { kind: 'take over'; bill: Bill; resumed: boolean }
  | Exclude<ClaimResult, { kind: 'claimed' }>;

/**
 * The claim rule: no holding bill → a new pending bill; a different window in the way → overlap;
 * this exact window committed → committed; pending of this run → its own again; pending of an
 * owner that is alive → busy; of an owner that is gone → taken over (resumed).
 */
export function decideClaim(holding: Bill[], window: Window, owner: Owner, isOwnerAlive: OwnerAlive): ClaimDecision {
  const exact = holding.find((b) => b.start === window.start && b.end === window.end);
  if (!exact) return holding.length > 0 ? { kind: 'overlap', bills: holding } : { kind: 'insert' };
  if (exact.status === 'committed') return { kind: 'committed', bill: exact };
  if (exact.owner?.runId === owner.runId) return { kind: 'take over', bill: exact, resumed: false };
  if (exact.owner && isOwnerAlive(exact.owner, exact)) return { kind: 'busy', bill: exact };
  return { kind: 'take over', bill: exact, resumed: true };
}

/**
 * Refreshes the lease of a pending bill. With `runId`, only while that run still owns it.
 * Returns false when the bill is no longer pending (or was taken over): stop working on it.
 */
export function heartbeat(store: Store, billId: string, runId?: string): boolean {
  const result = store
    .statement(
      `UPDATE bills SET heartbeat_at = ? WHERE id = ? AND status = 'pending'
       AND (? IS NULL OR json_extract(owner, '$.runId') = ?)`,
    )
    .run(store.stamp(), billId, runId ?? null, runId ?? null);
  return result.changes === 1;
}

/** A new pending bill; its revision is 1 + the voided bills of the same tenant and exact window. */
function insertPending(store: Store, tenant: { id: string; name?: string }, window: Window, owner: Owner): Bill {
  const id = randomUUID();
  const at = store.stamp();
  store
    .statement(
      `INSERT INTO bills (id, tenant, tenant_name, start_us, end_us, status, revision, owner, claimed_at,
         heartbeat_at, created_at)
       VALUES (?, ?, ?, ?, ?, 'pending',
         1 + (SELECT count(*) FROM bills WHERE tenant = ? AND start_us = ? AND end_us = ? AND status = 'voided'),
         ?, ?, ?, ?)`,
    )
    .run(
      id, tenant.id, tenant.name ?? null, window.start, window.end,
      tenant.id, window.start, window.end,
      JSON.stringify(owner), at, at, at,
    );
  return requireBill(store, id);
}

/** Hands a pending bill to `owner`; claimed_at is when the current owner got it. */
function takeOver(store: Store, bill: Bill, owner: Owner): Bill {
  const at = store.stamp();
  const sameRun = bill.owner?.runId === owner.runId;
  store
    .statement('UPDATE bills SET owner = ?, claimed_at = ?, heartbeat_at = ? WHERE id = ?')
    .run(JSON.stringify(owner), sameRun && bill.claimedAt ? bill.claimedAt : at, at, bill.id);
  return requireBill(store, bill.id);
}

export function checkWindow(window: Window): void {
  if (!Number.isSafeInteger(window.start) || !Number.isSafeInteger(window.end) || window.start >= window.end) {
    throw new LedgerError(`invalid billing window ${window.start}..${window.end}: need integer microseconds with start < end`);
  }
}
