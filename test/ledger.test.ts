import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { testBackends } from './helpers/ledgers.js';
import { Decimal } from '../src/model/decimal.js';
import { LedgerError } from '../src/model/errors.js';
import { Ledger, SCHEMA_VERSION, currentOwner, processAlive, type ClaimResult, type LedgerOptions, type Owner } from '../src/ledger.js';
import type { InvoiceLine, UsageRecord } from '../src/model/types.js';

const us = (iso: string): number => Date.parse(iso) * 1000;
const month = (m: string, next: string) => ({ start: us(`${m}-01T00:00:00Z`), end: us(`${next}-01T00:00:00Z`) });
const MAY = month('2024-05', '2024-06');
const JUNE = month('2024-06', '2024-07');
const APRIL = month('2024-04', '2024-05');
const MID_MAY_JUNE = { start: us('2024-05-15T00:00:00Z'), end: us('2024-06-15T00:00:00Z') };
const T = { id: 'tenant-a', name: 'Tenant A' };
const ME: Owner = currentOwner('run-1');

let dir: string;
let file: string;
const opened: Ledger[] = [];
const raws: Database.Database[] = [];

function open(options?: Parameters<typeof Ledger.open>[1], at = file): Ledger {
  const ledger = Ledger.open(at, options);
  opened.push(ledger);
  return ledger;
}

/** A second, plain connection to the same file: what a hand-written query would do. */
function raw(): Database.Database {
  const db = new Database(file);
  raws.push(db);
  return db;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifice-ledger-'));
  file = path.join(dir, 'ledger.sqlite');
});

afterEach(async () => {
  for (const l of opened.splice(0)) await l.close();
  for (const db of raws.splice(0)) db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function claimed(result: ClaimResult) {
  if (result.kind !== 'claimed') throw new Error(`expected claimed, got ${result.kind}`);
  return result;
}

function usageRecord(resourceId: string, quantity: string): UsageRecord {
  return {
    meter: 'volume.size',
    resourceId,
    service: 'volume.size',
    datacenter: 'dc1',
    quantity: new Decimal(quantity),
    unit: 'gigabyte-hour',
    samples: 3,
    firstSample: MAY.start + 1,
    lastSample: MAY.end - 1,
    gaps: [{ start: MAY.start + 10, end: MAY.start + 20 }],
  };
}

function line(name: string, quantity: string, rate: string, amount: string): InvoiceLine {
  return {
    datacenter: 'dc1',
    name,
    quantity: new Decimal(quantity),
    unit: 'gigabyte-hour',
    rate: new Decimal(rate),
    amount: new Decimal(amount),
  };
}

describe('opening', () => {
  test('creates the directory, the schema (versioned), WAL and foreign keys', async () => {
    const nested = path.join(dir, 'a', 'b', 'ledger.sqlite');
    await open({}, nested).close();
    expect(fs.existsSync(nested)).toBe(true);
    const db = new Database(nested);
    raws.push(db);
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    expect(tables).toEqual(['bills', 'lines', 'runs', 'usage']);
    // Foreign keys are on for the ledger's own connection: a usage row needs its bill.
    const ledger = open();
    expect(() =>
      (ledger as unknown as { db: Database.Database }).db
        .prepare(`INSERT INTO usage (bill_id, meter, resource_id, service, datacenter, quantity, unit, samples)
                  VALUES ('nope', 'm', 'r', 's', 'd', '1', 'u', 1)`)
        .run(),
    ).toThrow(/FOREIGN KEY/);
  });

  test('reopening keeps the data and does not re-run migrations', async () => {
    const first = open();
    const bill = claimed(await first.claim(T, MAY, ME)).bill;
    await first.close();
    const again = open();
    expect(await again.bill(bill.id)).toEqual(bill);
    expect(raw().pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // A re-run of CREATE TABLE would have thrown; and still exactly one bill.
    expect(await again.bills()).toHaveLength(1);
  });

  test('a database from a newer artifice is refused, naming the file', async () => {
    await open().close();
    const db = raw();
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => open()).toThrow(LedgerError);
    expect(() => open()).toThrow(`ledger ${file} has schema version ${SCHEMA_VERSION + 1}, newer`);
  });

  test('a file that is not a database is a one-line LedgerError naming it', async () => {
    fs.writeFileSync(file, 'this is not sqlite, just some text that is long enough '.repeat(20));
    let error: unknown;
    try {
      open();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).not.toContain('\n');
  });

  test('a directory that cannot be created is a LedgerError naming the file', async () => {
    fs.writeFileSync(path.join(dir, 'plain-file'), '');
    const bad = path.join(dir, 'plain-file', 'ledger.sqlite');
    expect(() => open({}, bad)).toThrow(LedgerError);
    expect(() => open({}, bad)).toThrow(bad);
  });

  test('opening a fresh file while another process writes it waits for the lock (two runs creating one ledger)', async () => {
    // Converting a new file to WAL reads its header, then writes it; SQLite answers SQLITE_BUSY at
    // once, without the busy handler, when another connection holds the write lock meanwhile.
    const script = `
      const Database = require(process.argv[1]);
      const db = new Database(process.argv[2]);
      db.exec('BEGIN IMMEDIATE');
      process.stdout.write('locked\\n');
      setTimeout(() => { db.exec('COMMIT'); db.close(); }, 300);
    `;
    const child = spawn(process.execPath, ['-e', script, path.resolve('node_modules/better-sqlite3'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => child.on('close', resolve));
    await new Promise((resolve, reject) => {
      child.stdout.once('data', resolve);
      child.once('error', reject);
    });
    const ledger = open();
    expect(claimed(await ledger.claim(T, MAY, ME)).bill.status).toBe('pending');
    expect(raw().pragma('journal_mode', { simple: true })).toBe('wal');
    expect(await exited).toBe(0);
  });

  test('a fresh file locked past busyTimeoutMs is a LedgerError saying so', async () => {
    const db = raw();
    db.exec('BEGIN IMMEDIATE');
    expect(() => open({ busyTimeoutMs: 50 })).toThrow(`cannot open ledger ${file}: another process has held the lock for over 50 ms`);
    db.exec('ROLLBACK');
    expect(await open().bills()).toEqual([]);
  });

  test('on a network file system, WAL is refused with what to do; ledger_journal = delete opens it with a rollback journal', async () => {
    const onNfs = () => 'nfs';
    expect(() => open({ networkFileSystem: onNfs })).toThrow(LedgerError);
    expect(() => open({ networkFileSystem: onNfs })).toThrow(
      `ledger ${file} is on a network file system (nfs), where SQLite's WAL journal is unsafe (its shared memory does not reach other hosts): ` +
        'set [main] ledger_journal = delete, or put the ledger on a local disk',
    );
    expect(fs.existsSync(file)).toBe(false);
    const ledger = open({ networkFileSystem: onNfs, journal: 'delete' });
    expect(claimed(await ledger.claim(T, MAY, ME)).bill.status).toBe('pending');
    expect(raw().pragma('journal_mode', { simple: true })).toBe('delete');
  });

  test('a WAL ledger opened with journal delete is converted, keeping its bills', async () => {
    const first = open();
    const bill = claimed(await first.claim(T, MAY, ME)).bill;
    await first.close();
    const again = open({ journal: 'delete' });
    expect(await again.bill(bill.id)).toEqual(bill);
    expect(raw().pragma('journal_mode', { simple: true })).toBe('delete');
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  test("another application's SQLite database is refused, untouched (no tables added, journal unchanged)", async () => {
    const db = raw();
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    expect(() => open()).toThrow(
      `${file} is an SQLite database but not an artifice ledger (it has tables customers and no artifice schema version): point [main] database at the ledger, or at a new file`,
    );
    const after = raw();
    expect(after.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).pluck().all()).toEqual(['customers']);
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
  });

  test(':memory: works as an in-memory twin', async () => {
    const ledger = open({}, ':memory:');
    expect(claimed(await ledger.claim(T, MAY, ME)).bill.status).toBe('pending');
    expect(fs.existsSync(':memory:')).toBe(false);
  });

  test('a lock held past busyTimeoutMs is a LedgerError, not a hang', async () => {
    const ledger = open({ busyTimeoutMs: 50 });
    const db = raw();
    db.exec('BEGIN IMMEDIATE');
    // The message names the timeout that applied: the default would have waited 10 s.
    await expect(ledger.claim(T, MAY, ME)).rejects.toThrow(`ledger ${file}: cannot claim: another process has held the lock for over 50 ms`);
    db.exec('ROLLBACK');
    expect((await ledger.claim(T, MAY, ME)).kind).toBe('claimed');
  });
});

/**
 * The ledger contract, run against every backend (test/helpers/ledgers.ts): SQLite, and
 * PostgreSQL when ARTIFICE_TEST_PG_URL is set (always in CI).
 */
describe.each(testBackends())('the $name ledger', (backend) => {
  const open = async (options?: LedgerOptions): Promise<Ledger> => backend.open(options);
  const raw = (sql: string, params?: unknown[]) => backend.raw(sql, params);
  const sqliteOnly = backend.name === 'sqlite' ? test : test.skip;
  beforeEach(() => backend.fresh());
  afterEach(() => backend.cleanup());

  describe('claims and windows', () => {
    test('a new claim inserts exactly one pending bill with its owner', async () => {
      const now = new Date('2024-06-01T07:00:00.000Z');
      const ledger = await open({ now: () => now });
      const result = claimed(await ledger.claim(T, MAY, ME));
      expect(result.resumed).toBe(false);
      expect(result.bill).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        tenant: 'tenant-a',
        tenantName: 'Tenant A',
        start: MAY.start,
        end: MAY.end,
        status: 'pending',
        revision: 1,
        owner: ME,
        claimedAt: '2024-06-01T07:00:00.000Z',
        heartbeatAt: '2024-06-01T07:00:00.000Z',
        committedAt: null,
        reference: null,
        total: null,
        currency: null,
        error: null,
        voidReason: null,
        voidedBy: null,
        voidedAt: null,
        createdAt: '2024-06-01T07:00:00.000Z',
      });
      const row = await raw('SELECT start_us, end_us, status, owner FROM bills');
      expect(row).toEqual([{ start_us: MAY.start, end_us: MAY.end, status: 'pending', owner: JSON.stringify(ME) }]);
    });

    test('an overlapping window is refused by claim, with the bills in the way', async () => {
      const ledger = await open();
      const may = claimed(await ledger.claim(T, MAY, ME)).bill;
      const result = await ledger.claim(T, MID_MAY_JUNE, ME);
      expect(result).toEqual({ kind: 'overlap', bills: [may] });
      await ledger.markCommitted(may.id, 'inv-1', '10.00', 'EUR');
      const again = await ledger.claim(T, MID_MAY_JUNE, currentOwner('run-2'));
      expect(again.kind).toBe('overlap');
      expect(again.kind === 'overlap' && again.bills.map((b) => [b.id, b.status])).toEqual([[may.id, 'committed']]);
      // Another tenant is not in the way.
      expect((await ledger.claim({ id: 'tenant-b' }, MID_MAY_JUNE, ME)).kind).toBe('claimed');
      expect(await ledger.bills({ tenant: T.id })).toHaveLength(1);
    });

    test('the database itself (SQLite: a trigger; PostgreSQL: the exclusion constraint) refuses an overlapping raw INSERT, and allows failed/voided ones', async () => {
      const ledger = await open();
      claimed(await ledger.claim(T, MAY, ME));
      // Each statement on a plain connection of its own, as a hand-written query would run.
      const insert = (...row: unknown[]) =>
        raw(`INSERT INTO bills (id, tenant, start_us, end_us, status, created_at) VALUES ($1, $2, $3, $4, $5, '2024-06-01T00:00:00Z')`, row);
      const refused = /overlaps a pending or committed bill|violates exclusion constraint "bills_no_overlap"/;
      await expect(insert('x1', T.id, MID_MAY_JUNE.start, MID_MAY_JUNE.end, 'pending')).rejects.toThrow(refused);
      await expect(insert('x2', T.id, MAY.start, MAY.end, 'committed')).rejects.toThrow(refused);
      // A window strictly inside, too.
      await expect(insert('x3', T.id, MAY.start + 1, MAY.end - 1, 'pending')).rejects.toThrow(refused);
      // History rows do not hold a window.
      await insert('x4', T.id, MID_MAY_JUNE.start, MID_MAY_JUNE.end, 'failed');
      await insert('x5', T.id, MAY.start, MAY.end, 'voided');
      // ...and cannot be turned back into a holding bill by a raw UPDATE either.
      await expect(raw(`UPDATE bills SET status = 'pending' WHERE id = 'x4'`)).rejects.toThrow(refused);
      // Back-to-back is fine for a raw insert as well.
      await insert('x6', T.id, JUNE.start, JUNE.end, 'committed');
      expect(await raw('SELECT id, status FROM bills ORDER BY start_us, id')).toEqual([
        { id: expect.any(String), status: 'pending' },
        { id: 'x5', status: 'voided' },
        { id: 'x4', status: 'failed' },
        { id: 'x6', status: 'committed' },
      ]);
    });

    test('back-to-back months are accepted', async () => {
      const ledger = await open();
      for (const w of [MAY, JUNE, APRIL]) expect((await ledger.claim(T, w, ME)).kind).toBe('claimed');
      expect((await ledger.bills()).map((b) => [b.start, b.end, b.status])).toEqual([
        [APRIL.start, APRIL.end, 'pending'],
        [MAY.start, MAY.end, 'pending'],
        [JUNE.start, JUNE.end, 'pending'],
      ]);
    });

    test('a committed window is reported as committed and not claimed again', async () => {
      const ledger = await open();
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      const committed = await ledger.markCommitted(bill.id, 'invoices/a-2024-05.csv', '12.30', 'EUR');
      expect(committed).toMatchObject({ status: 'committed', reference: 'invoices/a-2024-05.csv', total: '12.30', currency: 'EUR' });
      expect(committed.committedAt).not.toBeNull();
      const result = await ledger.claim(T, MAY, currentOwner('run-2'));
      expect(result).toEqual({ kind: 'committed', bill: committed });
      expect(await ledger.bills()).toHaveLength(1);
    });

    test('a failed window can be claimed again: a new row, the failed one kept', async () => {
      const ledger = await open();
      const first = claimed(await ledger.claim(T, MAY, ME)).bill;
      expect(await ledger.markFailed(first.id, 'telemetry unreachable')).toMatchObject({ status: 'failed', error: 'telemetry unreachable' });
      const second = claimed(await ledger.claim(T, MAY, currentOwner('run-2')));
      expect(second.resumed).toBe(false);
      expect(second.bill.id).not.toBe(first.id);
      expect(second.bill.revision).toBe(1);
      expect((await ledger.bills()).map((b) => [b.id, b.status])).toEqual([
        [first.id, 'failed'],
        [second.bill.id, 'pending'],
      ]);
    });

    test('a voided window can be billed again as revision 2, then 3; nothing is deleted', async () => {
      const ledger = await open({ now: () => new Date('2024-06-02T00:00:00Z') });
      const first = claimed(await ledger.claim(T, MAY, ME)).bill;
      await ledger.recordUsage(first.id, [usageRecord('vol-1', '5')], [line('volume.size', '5', '2', '10.00')]);
      await ledger.markCommitted(first.id, 'inv-1', '10.00', 'EUR');
      const voided = await ledger.voidBill(T.id, MAY, 'wrong rate', 'alice');
      expect(voided).toMatchObject({
        id: first.id,
        status: 'voided',
        voidReason: 'wrong rate',
        voidedBy: 'alice',
        voidedAt: '2024-06-02T00:00:00.000Z',
        reference: 'inv-1',
        total: '10.00',
      });
      const second = claimed(await ledger.claim(T, MAY, ME)).bill;
      expect(second.id).not.toBe(first.id);
      expect(second.revision).toBe(2);
      await ledger.markCommitted(second.id, 'inv-2', '9.00', 'EUR');
      await ledger.voidBill(T.id, MAY, 'still wrong', 'bob');
      expect(claimed(await ledger.claim(T, MAY, ME)).bill.revision).toBe(3);
      // Every row is still there, the voided bill's usage and lines too.
      expect((await ledger.bills({ tenant: T.id })).map((b) => [b.revision, b.status])).toEqual([
        [1, 'voided'],
        [2, 'voided'],
        [3, 'pending'],
      ]);
      expect((await ledger.usage(first.id)).map((u) => u.resourceId)).toEqual(['vol-1']);
      expect((await ledger.lines(first.id)).map((l) => l.amount.toFixed(2))).toEqual(['10.00']);
    });

    test('voiding without a committed bill says which bills exist near that window', async () => {
      const ledger = await open();
      const may = claimed(await ledger.claim(T, MAY, ME)).bill;
      await ledger.markCommitted(may.id, 'inv', '1.00', 'EUR');
      await expect(ledger.voidBill(T.id, JUNE, 'oops', 'alice')).rejects.toThrow(LedgerError);
      await expect(ledger.voidBill(T.id, JUNE, 'oops', 'alice')).rejects.toThrow(
        new RegExp(`no committed bill for tenant tenant-a.*2024-06-01T00:00:00Z.*${may.id}.*2024-05-01T00:00:00Z.*committed`),
      );
      await expect(ledger.voidBill('tenant-z', MAY, 'oops', 'alice')).rejects.toThrow(/no bills near it/);
      // A pending bill cannot be voided either.
      claimed(await ledger.claim(T, JUNE, ME));
      await expect(ledger.voidBill(T.id, JUNE, 'oops', 'alice')).rejects.toThrow(/pending/);
      expect((await ledger.bills()).map((b) => b.status)).toEqual(['committed', 'pending']);
    });
  });

  describe('owners: crashes, live runs, leases', () => {
    sqliteOnly('a run that crashed (real dead pid) between claim and commit is resumed, and committed once', async () => {
      await (await open()).close(); // schema in place, as the crashed run's ledger would have found it
      // The child claims the way Ledger.claim does, then dies without committing.
      const script = `
        const Database = require(process.argv[1]);
        const os = require('node:os');
        const fs = require('node:fs');
        const db = new Database(process.argv[2]);
        db.pragma('journal_mode = WAL');
        const now = new Date().toISOString();
        const owner = JSON.stringify({ host: os.hostname(), pid: process.pid, runId: 'crashed-run' });
        db.transaction(() => {
          db.prepare("INSERT INTO bills (id, tenant, tenant_name, start_us, end_us, status, revision, owner, claimed_at, heartbeat_at, created_at) VALUES ('bill-crashed', ?, ?, ?, ?, 'pending', 1, ?, ?, ?, ?)")
            .run(process.argv[3], 'Tenant A', Number(process.argv[4]), Number(process.argv[5]), owner, now, now, now);
        }).immediate();
        fs.writeSync(1, String(process.pid));
        process.kill(process.pid, 'SIGKILL');
      `;
      const child = spawnSync(
        process.execPath,
        ['-e', script, path.resolve('node_modules/better-sqlite3'), backend.database, T.id, String(MAY.start), String(MAY.end)],
        { encoding: 'utf8' },
      );
      expect(child.stderr).toBe('');
      expect(child.signal).toBe('SIGKILL');
      const deadPid = Number(child.stdout);
      expect(deadPid).toBeGreaterThan(0);
      expect(processAlive(deadPid)).toBe(false);

      const ledger = await open();
      expect((await ledger.pendingBills()).map((b) => [b.id, b.owner?.pid])).toEqual([['bill-crashed', deadPid]]);
      const result = claimed(await ledger.claim(T, MAY, ME));
      expect(result.resumed).toBe(true);
      expect(result.bill.id).toBe('bill-crashed');
      expect(result.bill.owner).toEqual(ME);
      await ledger.markCommitted(result.bill.id, 'inv-crashed', '3.00', 'EUR');
      expect((await ledger.bills({ tenant: T.id })).map((b) => [b.id, b.status, b.reference])).toEqual([
        ['bill-crashed', 'committed', 'inv-crashed'],
      ]);
      expect(await raw('SELECT count(*) AS n FROM bills')).toEqual([{ n: 1 }]);
    });

    test('a pending bill whose pid is alive but is another process now (a reboot after the crash) is resumed', async () => {
      const ledger = await open();
      const crashed: Owner = { host: os.hostname(), pid: process.pid, runId: 'before-reboot', process: 'an-earlier-boot:4711' };
      const bill = claimed(await ledger.claim(T, MAY, crashed)).bill;
      const result = claimed(await ledger.claim(T, MAY, currentOwner('run-2')));
      expect(result.resumed).toBe(true);
      expect(result.bill.id).toBe(bill.id);
      expect(result.bill.owner?.runId).toBe('run-2');
    });

    test('a pending bill of a live owner (this process, another run) is busy', async () => {
      const ledger = await open();
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      const result = await ledger.claim(T, MAY, currentOwner('run-2'));
      expect(result).toEqual({ kind: 'busy', bill });
      expect((await ledger.bill(bill.id))?.owner).toEqual(ME);
    });

    test('the same run claiming again gets its own bill back, not resumed', async () => {
      const ledger = await open();
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      const again = claimed(await ledger.claim(T, MAY, ME));
      expect(again.resumed).toBe(false);
      expect(again.bill.id).toBe(bill.id);
      expect(await ledger.bills()).toHaveLength(1);
    });

    test('two Ledger instances on one file claiming the same window: one claimed, one busy', async () => {
      const a = await open();
      const b = await open();
      const first = await a.claim(T, MAY, currentOwner('run-a'));
      const second = await b.claim(T, MAY, currentOwner('run-b'));
      expect(first.kind).toBe('claimed');
      expect(second.kind).toBe('busy');
      expect(second.kind === 'busy' && second.bill.id).toBe(first.kind === 'claimed' && first.bill.id);
      expect(await a.bills()).toHaveLength(1);
    });

    test('an owner on another host holds the bill for one lease past its last heartbeat', async () => {
      let clock = new Date('2024-06-01T00:00:00Z');
      const ledger = await open({ now: () => clock, leaseMs: 15 * 60_000 });
      const remote: Owner = { host: 'some-other-host.invalid', pid: 1, runId: 'remote-run' };
      const bill = claimed(await ledger.claim(T, MAY, remote)).bill;
      clock = new Date('2024-06-01T00:10:00Z');
      expect((await ledger.claim(T, MAY, ME)).kind).toBe('busy');
      expect(await ledger.heartbeat(bill.id, 'remote-run')).toBe(true);
      expect((await ledger.bill(bill.id))?.heartbeatAt).toBe('2024-06-01T00:10:00.000Z');
      clock = new Date('2024-06-01T00:24:00Z');
      expect((await ledger.claim(T, MAY, ME)).kind).toBe('busy');
      clock = new Date('2024-06-01T00:26:00Z');
      const taken = claimed(await ledger.claim(T, MAY, ME));
      expect(taken).toMatchObject({ resumed: true, bill: { id: bill.id, owner: ME, heartbeatAt: '2024-06-01T00:26:00.000Z' } });
      // The old owner learns it lost the bill.
      expect(await ledger.heartbeat(bill.id, 'remote-run')).toBe(false);
      expect(await ledger.heartbeat(bill.id, ME.runId)).toBe(true);
      await ledger.markCommitted(bill.id, 'r', '0.00', 'EUR');
      expect(await ledger.heartbeat(bill.id)).toBe(false);
    });

    test('isOwnerAlive decides, and is given the owner and bill', async () => {
      const seen: string[] = [];
      const ledger = await open({
        isOwnerAlive: (owner, bill) => {
          seen.push(`${owner.runId}:${bill.status}`);
          return false;
        },
      });
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      const taken = claimed(await ledger.claim(T, MAY, currentOwner('run-2')));
      expect(taken.resumed).toBe(true);
      expect(taken.bill.id).toBe(bill.id);
      expect(taken.bill.owner?.runId).toBe('run-2');
      expect(seen).toEqual(['run-1:pending']);
    });
  });

  describe('usage, lines and state changes', () => {
    test('recordUsage stores exact decimals and replaces the rows on resume', async () => {
      const ledger = await open({ isOwnerAlive: () => false });
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      await ledger.recordUsage(
        bill.id,
        [usageRecord('vol-1', '0.000000001'), usageRecord('vol-2', '123456789012345678901234.5')],
        [line('volume.size', '123456789012345678901234.500000001', '0.01', '1234567890123456789012.35')],
      );
      expect(await raw('SELECT quantity FROM usage ORDER BY quantity')).toEqual([
        { quantity: '0.000000001' },
        { quantity: '123456789012345678901234.5' },
      ]);
      // A second run takes over and recomputes: the old rows are gone, the new ones in place.
      const resumed = claimed(await ledger.claim(T, MAY, currentOwner('run-2')));
      expect(resumed.resumed).toBe(true);
      await ledger.recordUsage(bill.id, [usageRecord('vol-3', '7.5')], [line('volume.size', '7.5', '2', '15.00'), line('ip.floating', '1', '1', '1.00')]);
      const usage = await ledger.usage(bill.id);
      expect(usage).toHaveLength(1);
      expect(usage[0]).toEqual({ billId: bill.id, ...usageRecord('vol-3', '7.5') });
      expect(usage[0]!.quantity.equals(new Decimal('7.5'))).toBe(true);
      expect((await ledger.lines(bill.id)).map((l) => [l.position, l.name, l.quantity.toFixed(), l.rate.toFixed(), l.amount.toFixed()])).toEqual([
        [0, 'volume.size', '7.5', '2', '15'],
        [1, 'ip.floating', '1', '1', '1'],
      ]);
      expect(await raw('SELECT count(*) AS n FROM lines')).toEqual([{ n: 2 }]);
    });

    test('recordUsage, markCommitted and markFailed refuse a run that lost the bill to a take-over', async () => {
      const ledger = await open({ isOwnerAlive: () => false });
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      await ledger.recordUsage(bill.id, [usageRecord('vol-1', '1')], [line('volume.size', '1', '2', '2.00')], ME.runId);
      expect(claimed(await ledger.claim(T, MAY, currentOwner('run-2'))).bill.id).toBe(bill.id);
      // Run 1 comes back late: every write is refused, with or without rows already recorded.
      await expect(ledger.recordUsage(bill.id, [usageRecord('late', '9')], [], ME.runId)).rejects.toThrow(/run run-1 no longer owns it \(run run-2 does\)/);
      await expect(ledger.markFailed(bill.id, 'late failure', ME.runId)).rejects.toThrow(/no longer owns/);
      await expect(ledger.markCommitted(bill.id, 'late-inv', '9.00', 'EUR', ME.runId)).rejects.toThrow(LedgerError);
      expect(await ledger.bill(bill.id)).toMatchObject({ status: 'pending', owner: { runId: 'run-2' }, error: null, reference: null });
      expect((await ledger.usage(bill.id)).map((u) => u.resourceId)).toEqual(['vol-1']);
      // A fresh bill (no rows yet, the one-statement path on PostgreSQL) refuses a stranger too.
      const june = claimed(await ledger.claim(T, JUNE, ME)).bill;
      await expect(ledger.recordUsage(june.id, [usageRecord('x', '1')], [], 'run-2')).rejects.toThrow(/no longer owns/);
      expect(await ledger.usage(june.id)).toEqual([]);
      // The owner's own writes go through.
      await ledger.recordUsage(bill.id, [usageRecord('vol-2', '2')], [], 'run-2');
      expect(await ledger.markCommitted(bill.id, 'inv', '4.00', 'EUR', 'run-2')).toMatchObject({ status: 'committed', reference: 'inv' });
      expect(await ledger.markFailed(june.id, 'boom', ME.runId)).toMatchObject({ status: 'failed' });
    });

    test('a line keeps the part of the window it covers and what priced it', async () => {
      const ledger = await open();
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      const half = { start: MAY.start, end: MAY.start + 14 * 86_400_000_000 };
      const basis = { kind: 'rate', row: 7, scope: 'tenant acme', tier: { from: '1000', mode: 'graduated' } } as const;
      await ledger.recordUsage(bill.id, [], [{ ...line('volume.size', '5', '2', '10.00'), period: half, basis }, line('ip.floating', '1', '1', '1.00')]);
      const [split, whole] = await ledger.lines(bill.id);
      expect(split!.period).toEqual(half);
      expect(split!.basis).toEqual(basis);
      expect(whole).not.toHaveProperty('period');
      expect(whole).not.toHaveProperty('basis');
    });

    test('recordUsage, markCommitted and markFailed work only on a pending bill', async () => {
      const ledger = await open();
      const bill = claimed(await ledger.claim(T, MAY, ME)).bill;
      await ledger.markCommitted(bill.id, 'inv', '1.00', 'EUR');
      await expect(ledger.recordUsage(bill.id, [usageRecord('v', '1')], [])).rejects.toThrow(/not pending/);
      await expect(ledger.markCommitted(bill.id, 'inv-2', '2.00', 'EUR')).rejects.toThrow(LedgerError);
      await expect(ledger.markFailed(bill.id, 'late')).rejects.toThrow(/committed.*not pending/);
      await expect(ledger.markFailed('no-such-bill', 'x')).rejects.toThrow(/no bill no-such-bill/);
      expect(await ledger.bill(bill.id)).toMatchObject({ status: 'committed', reference: 'inv', total: '1.00', error: null });
      expect(await ledger.usage(bill.id)).toEqual([]);

      const june = claimed(await ledger.claim(T, JUNE, ME)).bill;
      await ledger.markFailed(june.id, 'boom');
      await expect(ledger.markCommitted(june.id, 'inv', '1.00', 'EUR')).rejects.toThrow(/failed.*not pending/);
      expect((await ledger.bill(june.id))?.status).toBe('failed');
    });
  });

  describe('queries', () => {
    test('bills() filters by tenant, overlap with [start, end) and status, ordered by tenant and start', async () => {
      const ledger = await open();
      const b = async (tenant: string, w: { start: number; end: number }) => claimed(await ledger.claim({ id: tenant }, w, ME)).bill;
      const bJune = await b('b', JUNE);
      const aJune = await b('a', JUNE);
      const aMay = await b('a', MAY);
      const bApril = await b('b', APRIL);
      await ledger.markCommitted(aMay.id, 'r', '1', 'EUR');
      await ledger.markFailed(bApril.id, 'x');
      const ids = (bills: { id: string }[]) => bills.map((x) => x.id);
      expect(ids(await ledger.bills())).toEqual([aMay.id, aJune.id, bApril.id, bJune.id]);
      expect(ids(await ledger.bills({ tenant: 'b' }))).toEqual([bApril.id, bJune.id]);
      expect(ids(await ledger.bills({ start: MAY.start, end: MAY.end }))).toEqual([aMay.id]);
      expect(ids(await ledger.bills({ start: MID_MAY_JUNE.start, end: MID_MAY_JUNE.end }))).toEqual([aMay.id, aJune.id, bJune.id]);
      expect(ids(await ledger.bills({ start: JUNE.start }))).toEqual([aJune.id, bJune.id]);
      expect(ids(await ledger.bills({ end: MAY.start }))).toEqual([bApril.id]);
      expect(ids(await ledger.bills({ status: ['committed', 'failed'] }))).toEqual([aMay.id, bApril.id]);
      expect(ids(await ledger.bills({ status: [] }))).toEqual([]);
      expect(ids(await ledger.pendingBills())).toEqual([aJune.id, bJune.id]);
      expect(await ledger.bill('missing')).toBeUndefined();
    });

    test('tenants() and lastBilledWindow()', async () => {
      const ledger = await open();
      expect(await ledger.tenants()).toEqual([]);
      const may = claimed(await ledger.claim({ id: 'a', name: 'Old name' }, MAY, ME)).bill;
      await ledger.markCommitted(may.id, 'r', '1', 'EUR');
      claimed(await ledger.claim({ id: 'a', name: 'New name' }, JUNE, ME));
      const bApril = claimed(await ledger.claim({ id: 'b' }, APRIL, ME)).bill;
      await ledger.markFailed(bApril.id, 'x');
      expect(await ledger.tenants()).toEqual([
        { id: 'a', name: 'New name' },
        { id: 'b', name: null },
      ]);
      expect(await ledger.lastBilledWindow('a')).toEqual(MAY); // June is only pending
      expect(await ledger.lastBilledWindow('b')).toBeNull();
      expect(await ledger.lastBilledWindow('nobody')).toBeNull();
    });
  });

  describe('runs', () => {
    test('startRun, finishRun, lastRun and runs(limit)', async () => {
      let clock = new Date('2024-06-01T06:00:00Z');
      const ledger = await open({ now: () => clock });
      expect(await ledger.lastRun()).toBeUndefined();
      const first = await ledger.startRun('bill', ['--all'], { host: os.hostname(), pid: process.pid });
      clock = new Date('2024-06-01T06:05:00Z');
      const finished = await ledger.finishRun(first, {
        status: 'partial',
        summary: { committed: 2, failed: 1 },
        errors: [{ tenant: 'a', message: 'telemetry unreachable' }, { message: 'adapter slow' }],
      });
      expect(finished).toEqual({
        id: first,
        command: 'bill',
        args: ['--all'],
        host: os.hostname(),
        pid: process.pid,
        startedAt: '2024-06-01T06:00:00.000Z',
        finishedAt: '2024-06-01T06:05:00.000Z',
        status: 'partial',
        summary: { committed: 2, failed: 1 },
        errors: [{ tenant: 'a', message: 'telemetry unreachable' }, { message: 'adapter slow' }],
      });
      await expect(ledger.finishRun(first, { status: 'ok', summary: null, errors: [] })).rejects.toThrow(/already partial/);
      await expect(ledger.finishRun('nope', { status: 'ok', summary: null, errors: [] })).rejects.toThrow(LedgerError);
      clock = new Date('2024-06-01T07:00:00Z');
      const second = await ledger.startRun('status', [], { host: os.hostname(), pid: process.pid });
      expect(await ledger.lastRun()).toMatchObject({ id: second, status: 'running', finishedAt: null, summary: null, errors: [] });
      expect((await ledger.runs(10)).map((r) => r.id)).toEqual([second, first]);
      expect((await ledger.runs(1)).map((r) => r.id)).toEqual([second]);
    });
  });
});
