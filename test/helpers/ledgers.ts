/**
 * The ledger backends the contract tests run against (describe.each): SQLite always; PostgreSQL
 * when ARTIFICE_TEST_PG_URL names a server where the test may create databases (e.g. the one
 * test/services/postgres-up.sh starts). In CI (CI=true) the PostgreSQL leg always runs: without
 * the URL each of its tests fails, saying so, rather than being skipped.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Ledger, type LedgerOptions } from '../../src/ledger.js';

export const PG_URL = process.env.ARTIFICE_TEST_PG_URL?.trim() || undefined;

export interface TestBackend {
  readonly name: 'sqlite' | 'postgresql';
  /** A new, empty database (file) for the next test; the previous one is dropped. */
  fresh(): Promise<void>;
  /** The database of this test as `[main] database` names it. */
  readonly database: string;
  /** A ledger on this test's database (closed by `cleanup`). */
  open(options?: LedgerOptions): Promise<Ledger>;
  /** A statement on a plain connection of its own (`$1`… placeholders), as a hand-written query would run it. */
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

/** int8 as numbers, as the ledger reads them (counts, window bounds). */
const INT8_AS_NUMBER = {
  getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')),
};

export function testBackends(): TestBackend[] {
  const ci = process.env.CI === 'true';
  return [sqliteBackend(), ...(PG_URL || ci ? [postgresBackend(PG_URL)] : [])];
}

function sqliteBackend(): TestBackend {
  let dir: string | undefined;
  const opened: Ledger[] = [];
  /** The plain connection of this test, opened on first use (as the tests always did: one per test). */
  let plain: Database.Database | undefined;
  const backend: TestBackend = {
    name: 'sqlite',
    get database() {
      return path.join(dir!, 'ledger.sqlite');
    },
    async fresh() {
      await backend.cleanup();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifice-ledger-'));
    },
    async open(options) {
      const ledger = Ledger.open(backend.database, options);
      opened.push(ledger);
      return ledger;
    },
    async raw(sql, params = []) {
      plain ??= new Database(backend.database);
      try {
        const statement = plain.prepare(sql.replace(/\$\d+/g, '?'));
        return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), []);
      } catch (error) {
        // The native addon builds its errors with the class of the first test file that loaded it
        // in this worker (another realm): Jest's `rejects.toThrow` would not see an Error in them.
        throw new Error((error as Error).message);
      }
    },
    async cleanup() {
      plain?.close();
      plain = undefined;
      for (const l of opened.splice(0)) await l.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    },
  };
  return backend;
}

/** A database per test, created on the server of `url` and dropped after it. */
export async function createTestDatabase(url: string): Promise<string> {
  const name = `artifice_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const at = new URL(url);
  at.pathname = `/${name}`;
  return at.toString();
}

export async function dropTestDatabase(url: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${new URL(database).pathname.slice(1)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function postgresBackend(url: string | undefined): TestBackend {
  let database: string | undefined;
  const opened: Ledger[] = [];
  const need = (): string => {
    if (!url) throw new Error('CI=true but ARTIFICE_TEST_PG_URL is not set: the PostgreSQL leg must run in CI (start one with test/services/postgres-up.sh)');
    return url;
  };
  const backend: TestBackend = {
    name: 'postgresql',
    get database() {
      return database!;
    },
    async fresh() {
      await backend.cleanup();
      database = await createTestDatabase(need());
    },
    async open(options) {
      const ledger = await Ledger.connect(need() && database!, options);
      opened.push(ledger);
      return ledger;
    },
    async raw(sql, params = []) {
      const client = new pg.Client({ connectionString: database!, types: INT8_AS_NUMBER } as pg.ClientConfig);
      await client.connect();
      try {
        return (await client.query(sql, params)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    },
    async cleanup() {
      for (const l of opened.splice(0)) await l.close();
      if (database && url) await dropTestDatabase(url, database);
      database = undefined;
    },
  };
  return backend;
}
