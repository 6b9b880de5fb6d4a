/** Reading the ledger: bills by filter, tenants seen, and the usage and lines behind a bill. */
import { LedgerError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { toBill, toLine, toUsage } from './rows.js';
import type { BillRow, LineRow, UsageRow } from './rows.js';
import type { Store } from './sqlite.js';
import type { Bill, BillFilter, StoredLine, StoredUsage, TenantSeen, Window } from './types.js';

export const ORDER = 'ORDER BY tenant, start_us, created_at, rowid';

export function describeWindow(window: Window): string {
  return `[${formatTimestamp(window.start)}, ${formatTimestamp(window.end)})`;
}

export function describeBill(bill: Bill): string {
  return `${bill.id} ${describeWindow(bill)} ${bill.status}`;
}

/** `SELECT * FROM bills` + `clause` (WHERE …, ORDER BY …). */
export function select(store: Store, clause: string, ...params: unknown[]): Bill[] {
  return (store.statement(`SELECT * FROM bills ${clause}`).all(...params) as BillRow[]).map(toBill);
}

export function requireBill(store: Store, id: string): Bill {
  const bill = select(store, 'WHERE id = ?', id)[0];
  if (!bill) throw new LedgerError(`no bill ${id} in ledger ${store.file}`);
  return bill;
}

/** Bills matching `filter`, ordered by tenant, start and creation. */
export function selectBills(store: Store, filter: BillFilter): Bill[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.tenant !== undefined) {
    where.push('tenant = ?');
    params.push(filter.tenant);
  }
  if (filter.end !== undefined) {
    where.push('start_us < ?');
    params.push(filter.end);
  }
  if (filter.start !== undefined) {
    where.push('? < end_us');
    params.push(filter.start);
  }
  if (filter.status !== undefined) {
    where.push(`status IN (${filter.status.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...filter.status);
  }
  return select(store, `${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${ORDER}`, ...params);
}

/** Every tenant that has any bill row, with the name of its latest bill that had one. */
export function selectTenants(store: Store): TenantSeen[] {
  return store
    .statement(
      `SELECT tenant AS id,
         (SELECT tenant_name FROM bills n WHERE n.tenant = b.tenant AND n.tenant_name IS NOT NULL
          ORDER BY n.created_at DESC, n.rowid DESC LIMIT 1) AS name
       FROM bills b GROUP BY tenant ORDER BY tenant`,
    )
    .all() as TenantSeen[];
}

/** The committed window of `tenant` that ends last, or null when none is committed. */
export function lastBilledWindow(store: Store, tenant: string): Window | null {
  const row = store
    .statement(
      `SELECT start_us AS start, end_us AS "end" FROM bills WHERE tenant = ? AND status = 'committed'
       ORDER BY end_us DESC LIMIT 1`,
    )
    .get(tenant) as Window | undefined;
  return row ?? null;
}

export function selectUsage(store: Store, billId: string): StoredUsage[] {
  return (store.statement('SELECT * FROM usage WHERE bill_id = ? ORDER BY rowid').all(billId) as UsageRow[]).map(toUsage);
}

export function selectLines(store: Store, billId: string): StoredLine[] {
  return (store.statement('SELECT * FROM lines WHERE bill_id = ? ORDER BY position').all(billId) as LineRow[]).map(toLine);
}
