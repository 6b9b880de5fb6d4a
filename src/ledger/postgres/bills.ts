/**
 * Claims and a claimed bill's life on PostgreSQL: the rules of src/ledger/claims.ts and bills.ts
 * (the same decision, decideClaim), with the database refusing overlaps (the exclusion
 * constraint) and row locks taken without waiting (SKIP LOCKED), so a host never waits on another
 * host's claim.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { InvoiceLine, UsageRecord } from '../../model/types.js';
import { nearWindow, notPendingError, nothingToVoidError } from '../bills.js';
import { checkWindow, decideClaim, type OwnerAlive } from '../claims.js';
import { decimalText } from '../rows.js';
import type { Bill, ClaimResult, Owner, Window } from '../types.js';
import { EXCLUSION_VIOLATION } from './connect.js';
import { ORDER, requireBillPg, selectPg, type PgStore } from './store.js';

/** Claims retried when another host's claim got in between the look and the write. */
const CLAIM_ATTEMPTS = 5;

/**
 * Claims `window` of `tenant` for `owner`, each attempt one short transaction. When another host
 * inserted an overlapping bill meanwhile (the constraint refuses ours) or holds the row being
 * taken over (locked: skipped), the attempt is repeated and then sees that host's bill: busy.
 */
export async function claimPg(
  store: PgStore, isOwnerAlive: OwnerAlive, tenant: { id: string; name?: string }, window: Window, owner: Owner,
): Promise<ClaimResult> {
  checkWindow(window);
  for (let attempt = 1; ; attempt++) {
    const result = await store.transaction((client) => claimOnce(store, client, isOwnerAlive, tenant, window, owner)).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === EXCLUSION_VIOLATION && attempt < CLAIM_ATTEMPTS) return 'again' as const;
      throw error;
    });
    if (result !== 'again') return result;
  }
}

async function claimOnce(
  store: PgStore, client: pg.PoolClient, isOwnerAlive: OwnerAlive, tenant: { id: string; name?: string }, window: Window, owner: Owner,
): Promise<ClaimResult | 'again'> {
  const holding = await selectPg(
    client, `WHERE tenant = $1 AND status IN ('pending', 'committed') AND start_us < $2 AND $3 < end_us ${ORDER}`, [tenant.id, window.end, window.start],
  );
  const decision = decideClaim(holding, window, owner, isOwnerAlive);
  if (decision.kind === 'insert') return { kind: 'claimed', bill: await insertPending(store, client, tenant, window, owner), resumed: false };
  if (decision.kind !== 'take over') return decision;
  // Lock the row without waiting: another host taking it over right now holds the lock.
  const [locked] = await selectPg(client, 'WHERE id = $1 FOR UPDATE SKIP LOCKED', [decision.bill.id]);
  if (!locked) return { kind: 'busy', bill: decision.bill };
  const seen = decision.bill;
  // Changed since it was read (committed, failed, taken, heartbeat): decide again on what is there now.
  if (locked.status !== seen.status || locked.heartbeatAt !== seen.heartbeatAt || JSON.stringify(locked.owner) !== JSON.stringify(seen.owner)) return 'again';
  const at = store.stamp();
  const sameRun = seen.owner?.runId === owner.runId;
  await client.query('UPDATE bills SET owner = $1, claimed_at = $2, heartbeat_at = $3 WHERE id = $4',
    [JSON.stringify(owner), sameRun && seen.claimedAt ? seen.claimedAt : at, at, seen.id]);
  return { kind: 'claimed', bill: await requireBillPg(client, store.shown, seen.id), resumed: decision.resumed };
}

/** A new pending bill; its revision is 1 + the voided bills of the same tenant and exact window. */
async function insertPending(store: PgStore, client: pg.PoolClient, tenant: { id: string; name?: string }, window: Window, owner: Owner): Promise<Bill> {
  const at = store.stamp();
  const rows = await client.query(
    `INSERT INTO bills (id, tenant, tenant_name, start_us, end_us, status, revision, owner, claimed_at, heartbeat_at, created_at)
     VALUES ($1, $2, $3, $4, $5, 'pending',
       1 + (SELECT count(*) FROM bills WHERE tenant = $2 AND start_us = $4 AND end_us = $5 AND status = 'voided'),
       $6, $7, $7, $7)
     RETURNING id`,
    [randomUUID(), tenant.id, tenant.name ?? null, window.start, window.end, JSON.stringify(owner), at],
  );
  return requireBillPg(client, store.shown, (rows.rows[0] as { id: string }).id);
}

/** Refreshes the lease of a pending bill (with `runId`: only while that run owns it). */
export async function heartbeatPg(store: PgStore, billId: string, runId?: string): Promise<boolean> {
  const rows = await store.query(
    'heartbeat',
    `UPDATE bills SET heartbeat_at = $1 WHERE id = $2 AND status = 'pending' AND ($3::text IS NULL OR (owner::jsonb) ->> 'runId' = $3)
     RETURNING id`,
    [store.stamp(), billId, runId ?? null],
  );
  return rows.length === 1;
}

/** Replaces the usage and line rows of a pending bill, in one transaction (a statement per table). */
export async function recordUsagePg(store: PgStore, billId: string, usage: UsageRecord[], lines: InvoiceLine[]): Promise<void> {
  await store.transaction(async (client) => {
    const [bill] = await selectPg(client, 'WHERE id = $1 FOR UPDATE', [billId]);
    if (!bill) await requireBillPg(client, store.shown, billId);
    if (bill!.status !== 'pending') throw notPendingError(bill!, 'record usage for');
    await client.query('DELETE FROM usage WHERE bill_id = $1', [billId]);
    await client.query('DELETE FROM lines WHERE bill_id = $1', [billId]);
    if (usage.length) {
      await client.query(
        `INSERT INTO usage (bill_id, meter, resource_id, service, datacenter, quantity, unit, samples, first_sample_us, last_sample_us, gaps)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::int8[], $10::int8[], $11::text[])`,
        [billId, ...columns(usage, [(u) => u.meter, (u) => u.resourceId, (u) => u.service, (u) => u.datacenter, (u) => decimalText(u.quantity),
          (u) => u.unit, (u) => u.samples, (u) => u.firstSample, (u) => u.lastSample, (u) => JSON.stringify(u.gaps)])],
      );
    }
    if (lines.length) {
      await client.query(
        `INSERT INTO lines (bill_id, position, datacenter, name, quantity, unit, rate, amount, period_start_us, period_end_us, basis)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int8[], $10::int8[], $11::text[])`,
        [billId, lines.map((_, i) => i), ...columns(lines, [(l) => l.datacenter, (l) => l.name, (l) => decimalText(l.quantity), (l) => l.unit,
          (l) => decimalText(l.rate), (l) => decimalText(l.amount), (l) => l.period?.start ?? null, (l) => l.period?.end ?? null,
          (l) => (l.basis ? JSON.stringify(l.basis) : null)])],
      );
    }
  });
}

/** One array per column, for `unnest`. */
function columns<T>(rows: T[], picks: ((row: T) => unknown)[]): unknown[][] {
  return picks.map((pick) => rows.map(pick));
}

/** pending → `set` (committed or failed), in one statement; a bill that is not pending is refused. */
export async function finishPg(store: PgStore, billId: string, what: string, set: string, params: unknown[]): Promise<Bill> {
  const [bill] = await store.pool.query(`UPDATE bills SET ${set} WHERE id = $1 AND status = 'pending' RETURNING id`, [billId, ...params]).then((r) => r.rows);
  const now = await requireBillPg(store.pool, store.shown, billId);
  if (!bill) throw notPendingError(now, what);
  return now;
}

/** committed → voided, so the exact window can be billed again; nothing is deleted. */
export async function voidBillPg(store: PgStore, tenantId: string, window: Window, reason: string, who: string): Promise<Bill> {
  const [voided] = await store.query<{ id: string }>(
    'void',
    `UPDATE bills SET status = 'voided', void_reason = $1, voided_by = $2, voided_at = $3
     WHERE tenant = $4 AND start_us = $5 AND end_us = $6 AND status = 'committed' RETURNING id`,
    [reason, who, store.stamp(), tenantId, window.start, window.end],
  );
  if (voided) return requireBillPg(store.pool, store.shown, voided.id);
  const near = nearWindow(window);
  throw nothingToVoidError(tenantId, window, await selectPg(store.pool, `WHERE tenant = $1 AND start_us < $2 AND $3 < end_us ${ORDER}`, [tenantId, near.end, near.start]));
}
