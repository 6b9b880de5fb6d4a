/**
 * A claim that keeps colliding with other hosts' claims (src/ledger/postgres/bills.ts): after its
 * last attempt it answers with what the ledger holds (busy), not the exclusion constraint's error.
 * The collisions are real (the constraint refuses a real insert); only their timing is arranged,
 * by a pool that lets another "host" claim the window just before each of our inserts.
 */
import pg from 'pg';
import { currentOwner } from '../../src/ledger.js';
import { claimPg } from '../../src/ledger/postgres/bills.js';
import { PostgresLedger } from '../../src/ledger/postgres/ledger.js';
import { PgStore } from '../../src/ledger/postgres/store.js';
import { dropDatabases, newDatabase } from './kit.js';

afterEach(dropDatabases);

const MAY = { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 5, 1) * 1000 };
const OTHER = JSON.stringify({ host: 'other-host.invalid', pid: 1, runId: 'other-run' });

test('a claim whose every insert loses to another host ends busy, naming that bill', async () => {
  const url = await newDatabase();
  await (await PostgresLedger.connect(url)).close();
  // int8 as numbers, as the ledger's own pool reads them.
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) };
  const pool = new pg.Pool({ connectionString: url, max: 2, types } as pg.PoolConfig);
  let inserts = 0;
  // Before each of our inserts another host claims the window; after our insert is refused, that
  // claim fails (so the next look finds the window free) — except after the fifth.
  const colliding = {
    query: async (sql: string, params?: unknown[]) => {
      if (!sql.trimStart().startsWith('INSERT INTO bills')) return pool.query(sql, params);
      inserts++;
      const id = `other-${inserts}`;
      await pool.query(
        `INSERT INTO bills (id, tenant, start_us, end_us, status, revision, owner, claimed_at, heartbeat_at, created_at)
         VALUES ($1, 't', $2, $3, 'pending', 1, $4, $5, $5, $5)`, [id, MAY.start, MAY.end, OTHER, new Date().toISOString()]);
      try {
        return await pool.query(sql, params);
      } finally {
        if (inserts < 5) await pool.query(`UPDATE bills SET status = 'failed' WHERE id = $1`, [id]);
      }
    },
  };
  try {
    const store = new PgStore(colliding as unknown as pg.Pool, 'test', () => new Date().toISOString());
    const result = await claimPg(store, () => true, { id: 't' }, MAY, currentOwner('run-1'));
    expect(inserts).toBe(5);
    expect(result).toMatchObject({ kind: 'busy', bill: { id: 'other-5', owner: { runId: 'other-run' } } });
  } finally {
    await pool.end();
  }
});

test('an insert the server aborts as a deadlock with another host\'s (40P01) is tried again, not a failed tenant', async () => {
  const url = await newDatabase();
  await (await PostgresLedger.connect(url)).close();
  const types = { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) };
  const pool = new pg.Pool({ connectionString: url, max: 2, types } as pg.PoolConfig);
  let inserts = 0;
  // The first insert is answered as the server answers two inserts that conflict on the exclusion
  // constraint and wait on each other: deadlock_detected, the insert rolled back.
  const deadlocking = {
    query: async (sql: string, params?: unknown[]) => {
      if (sql.trimStart().startsWith('INSERT INTO bills') && ++inserts === 1) {
        throw Object.assign(new Error('deadlock detected'), { code: '40P01' });
      }
      return pool.query(sql, params);
    },
  };
  try {
    const store = new PgStore(deadlocking as unknown as pg.Pool, 'test', () => new Date().toISOString());
    const result = await claimPg(store, () => true, { id: 't' }, MAY, currentOwner('run-1'));
    expect(inserts).toBe(2);
    expect(result).toMatchObject({ kind: 'claimed', resumed: false, bill: { tenant: 't', status: 'pending' } });
  } finally {
    await pool.end();
  }
});
