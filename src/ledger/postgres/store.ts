/** What the PostgreSQL ledger's modules share: the pool, transactions, and reading bills. */
import type pg from 'pg';
import { LedgerError } from '../../model/errors.js';
import { toBill, type BillRow } from '../rows.js';
import type { Bill } from '../types.js';
import { pgGuard } from './connect.js';

/** A pool or one of its clients (inside a transaction): both run queries. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export const ORDER = 'ORDER BY tenant, start_us, created_at, seq';

/**
 * The server's clock as the ledger stores instants (ISO-8601 UTC, milliseconds). The statement's
 * start, not clock_timestamp(): one value however often a statement uses it.
 */
export const SERVER_NOW = `to_char(statement_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** How claims judge a lease on PostgreSQL (docs/ledger.md, "PostgreSQL": "Clocks"). */
export interface PgClock {
  /**
   * The claim and heartbeat stamp: the injected clock's instant (tests), or null for the server's
   * (SERVER_NOW), so hosts whose clocks differ stamp and judge leases with one clock.
   */
  leaseStamp(): string | null;
  /** With the default liveness (src/ledger/owner.ts): this host and the lease, re-checked by the take-over. */
  lease?: { host: string; ms: number };
}

export class PgStore {
  constructor(
    readonly pool: pg.Pool,
    /** The URL without its password, for messages. */
    readonly shown: string,
    /** Other instants (commit, void, runs): this host's clock, or the injected one. */
    readonly stamp: () => string,
    readonly clock: PgClock = { leaseStamp: () => null },
  ) {}

  /** One query, its failure a one-line LedgerError ("ledger URL: cannot WHAT: …"). */
  async query<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []): Promise<R[]> {
    return pgGuard(this.shown, what, async () => (await this.pool.query<R>(sql, params)).rows);
  }

  /**
   * `fn` in one transaction (READ COMMITTED) on one connection; rolled back when it throws.
   * `raw` errors are passed on as they are (a claim looks at the exclusion violation's code).
   */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withClient(this.pool, async (client) => {
      await client.query('BEGIN');
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    });
  }
}

/**
 * `fn` with a client of `pool`. pg-pool removes its own 'error' listener from a client it hands
 * out, so a checked-out client whose server goes away (a restart, a dropped connection) would
 * emit an unhandled 'error' and end the process: it gets a listener of its own here, and a client
 * that reported an error is released with it (the pool then discards it rather than reuse it).
 */
export async function withClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** `SELECT * FROM bills` + `clause` (WHERE …, ORDER BY …). */
export async function selectPg(db: Queryable, clause: string, params: unknown[] = []): Promise<Bill[]> {
  return (await db.query<BillRow>(`SELECT * FROM bills ${clause}`, params)).rows.map(toBill);
}

export async function requireBillPg(db: Queryable, shown: string, id: string): Promise<Bill> {
  const [bill] = await selectPg(db, 'WHERE id = $1', [id]);
  if (!bill) throw new LedgerError(`no bill ${id} in ledger ${shown}`);
  return bill;
}
