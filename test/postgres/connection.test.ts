/**
 * The PostgreSQL ledger's connections (src/ledger/postgres/store.ts, connect.ts): a connection the
 * server drops while the ledger holds it is an error of that operation, never the end of the
 * process, and the pool carries on with a new one.
 */
import { jest } from '@jest/globals';
import { currentOwner, type Owner } from '../../src/ledger.js';
import { PostgresLedger } from '../../src/ledger/postgres/ledger.js';
import { dropDatabases, newDatabase, query } from './kit.js';

afterEach(dropDatabases);

const MAY = { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 5, 1) * 1000 };

/** Until the server no longer lists backend `pid`, then one more turn for its last message to arrive. */
async function gone(url: string, pid: number): Promise<void> {
  while ((await query(url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length > 0) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
}

test('a checked-out connection the server terminates fails its transaction, not the process', async () => {
  const url = await newDatabase();
  const ledger = await PostgresLedger.connect(url);
  try {
    const failed = ledger.transaction(async (client) => {
      const [{ pid }] = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows as [{ pid: number }];
      await query(url, 'SELECT pg_terminate_backend($1)', [pid]);
      await gone(url, pid);
      await client.query('SELECT 1');
    });
    await expect(failed).rejects.toThrow();
    // The broken connection was discarded: the ledger goes on with a new one.
    expect(await ledger.bills()).toEqual([]);
    expect((await ledger.info()).backend).toBe('postgresql');
  } finally {
    await ledger.close();
  }
});

test('each session has the statement and idle-in-transaction timeouts; the pool holds at most `connections`', async () => {
  const url = await newDatabase();
  const ledger = await PostgresLedger.connect(url, { connections: 2 });
  try {
    const settings = await ledger.transaction(async (client) =>
      (await client.query<{ s: string; i: string }>("SELECT current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i")).rows[0]);
    expect(settings).toEqual({ s: '5min', i: '1min' });
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let started = 0;
    const held = [1, 2, 3].map(() => ledger.transaction(async (client) => {
      started++;
      await client.query('SELECT 1');
      await gate;
    }));
    const database = new URL(url).pathname.slice(1);
    const backends = async () => (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'artifice'", [database]))[0]!.n;
    while (started < 2) await new Promise((r) => setTimeout(r, 10));
    expect(await backends()).toBe(2);
    expect(started).toBe(2);
    open();
    await Promise.all(held);
    expect(started).toBe(3);
  } finally {
    await ledger.close();
  }
});

test("claims and heartbeats are stamped, and leases judged, with the server's clock, not this host's", async () => {
  const url = await newDatabase();
  // This host's clock runs three years ahead of the server's (only Date is faked).
  const skewed = new Date(Date.now() + 3 * 365 * 86_400_000);
  jest.useFakeTimers({ now: skewed, doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame',
    'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
  let ledger: PostgresLedger | undefined;
  try {
    ledger = await PostgresLedger.connect(url, { leaseMs: 60_000 });
    const remote: Owner = { host: 'some-other-host.invalid', pid: 1, runId: 'remote-run' };
    const result = await ledger.claim({ id: 'tenant-a' }, MAY, remote);
    if (result.kind !== 'claimed') throw new Error(`not claimed: ${result.kind}`);
    const [{ server }] = await query<{ server: string }>(url, 'SELECT clock_timestamp()::text AS server');
    const stampedMs = Date.parse(result.bill.claimedAt!);
    expect(Math.abs(stampedMs - Date.parse(server!))).toBeLessThan(60_000);
    expect(result.bill.heartbeatAt).toBe(result.bill.claimedAt);
    // Judged with this host's clock, the remote owner's heartbeat would be three years old.
    expect((await ledger.claim({ id: 'tenant-a' }, MAY, currentOwner('local-run'))).kind).toBe('busy');
    expect(await ledger.heartbeat(result.bill.id, 'remote-run')).toBe(true);
    expect(Math.abs(Date.parse((await ledger.bill(result.bill.id))!.heartbeatAt!) - Date.parse(server!))).toBeLessThan(60_000);
  } finally {
    jest.useRealTimers();
    await ledger?.close();
  }
});
