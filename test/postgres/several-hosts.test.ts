/**
 * Several billing processes, one PostgreSQL ledger (docs/ledger.md, "PostgreSQL"): on a real
 * server, `bill --all` processes started together share the tenants and bill each exactly once,
 * also when one of them is killed mid-run; the database itself refuses overlapping windows.
 */
import fs from 'node:fs';
import path from 'node:path';
import { plan, writeCloud, type Cloud } from '../operator/fixture.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { runBin } from '../helpers/cli.js';
import { Ledger } from '../../src/ledger.js';
import { artifice, dropDatabases, newDatabase, query, startTogether, withDatabase } from './kit.js';

const TENANTS = 200;
const PROCESSES = 4;
const MONTH = ['--month', '2024-05'];

afterEach(async () => {
  await dropDatabases();
  cleanTempDirs();
});

interface Committed {
  tenant: string;
  status: string;
  total: string;
  run: string;
  error: string | null;
}

async function billsOf(url: string): Promise<Committed[]> {
  return query<Committed>(url, `SELECT tenant, status, total, (owner::jsonb) ->> 'runId' AS run, error FROM bills ORDER BY tenant, seq`);
}

/** One invoice file per tenant in `dir`: the tenant → file count. */
function invoiceFiles(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of fs.readdirSync(dir).filter((n) => !n.startsWith('.'))) {
    const tenant = /^(tenant-\d+)_/.exec(name)?.[1] ?? name;
    counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
  }
  return counts;
}

/** The totals of a single `bill --all` on an SQLite ledger of the same cloud. */
async function sqliteTotals(cloud: Cloud): Promise<Map<string, string>> {
  const ini = withDatabase(cloud.ini, 'sqlite/ledger.sqlite', path.join(cloud.dir, 'sqlite.ini'));
  fs.writeFileSync(ini, fs.readFileSync(ini, 'utf8').replace(/^output_dir = .*$/m, 'output_dir = out-sqlite'));
  const single = runBin(['bill', '--config', ini, '--all', ...MONTH, '--quiet'], { cwd: cloud.dir });
  expect(single.stderr).toBe('');
  const ledger = Ledger.open(path.join(cloud.dir, 'sqlite', 'ledger.sqlite'));
  try {
    return new Map((await ledger.bills({ status: ['committed'] })).map((b) => [b.tenant, b.total!]));
  } finally {
    await ledger.close();
  }
}

function expectExactlyOnce(bills: Committed[], outDir: string): void {
  // First the rows that break "once", whole (status, error, run): a count alone would not say why.
  const rows = new Map<string, number>();
  for (const b of bills) rows.set(b.tenant, (rows.get(b.tenant) ?? 0) + 1);
  expect(bills.filter((b) => b.status !== 'committed' || rows.get(b.tenant)! > 1)).toEqual([]);
  expect(bills).toHaveLength(TENANTS);
  expect(new Set(bills.map((b) => b.tenant)).size).toBe(TENANTS);
  const files = invoiceFiles(outDir);
  expect(files.size).toBe(TENANTS);
  expect([...files.values()].filter((n) => n !== 1)).toEqual([]);
}

describe(`${PROCESSES} bill --all processes on one PostgreSQL ledger, ${TENANTS} tenants`, () => {
  test('bill every tenant exactly once between them, each process some, with the totals of one run on SQLite', async () => {
    const cloud = writeCloud(plan(TENANTS));
    const url = await newDatabase();
    const ini = withDatabase(cloud.ini, url, path.join(cloud.dir, 'pg.ini'));
    const runs = await startTogether(PROCESSES, ['bill', '--config', ini, '--all', ...MONTH, '--quiet'], cloud.dir);
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) {
      expect(r.stderr).toBe('');
      // 0: billed some; 3: everything was billed (or busy) by the others.
      expect([0, 3]).toContain(r.code);
    }
    const bills = await billsOf(url);
    expectExactlyOnce(bills, cloud.outDir);
    const perRun = new Map<string, number>();
    for (const b of bills) perRun.set(b.run, (perRun.get(b.run) ?? 0) + 1);
    expect(perRun.size).toBe(PROCESSES);
    const single = await sqliteTotals(cloud);
    expect(new Map(bills.map((b) => [b.tenant, b.total]))).toEqual(single);
  });

  test('one process killed (SIGKILL) mid-run, then a re-run: still every tenant exactly once', async () => {
    const cloud = writeCloud(plan(TENANTS));
    const url = await newDatabase();
    const ini = withDatabase(cloud.ini, url, path.join(cloud.dir, 'pg.ini'));
    const runs = Array.from({ length: PROCESSES }, () => artifice(['bill', '--config', ini, '--all', ...MONTH, '--quiet'], cloud.dir));
    const victim = runs[0]!;
    // Kill it once it holds a claim: a pending bill of its run, with others committed around it.
    let holding = false;
    for (let i = 0; i < 1500 && !holding; i++) {
      const [held] = await query<{ n: number }>(url, `SELECT count(*) AS n FROM bills WHERE status = 'pending' AND (owner::jsonb ->> 'pid')::int = $1`, [victim.pid]).catch(() => [{ n: 0 }]);
      holding = held!.n > 0;
      if (!holding) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    victim.kill('SIGKILL');
    expect(holding).toBe(true);
    const results = await Promise.all(runs.map((r) => r.done));
    expect(results[0]!.signal).toBe('SIGKILL');
    // The others bill as if nothing happened: a tenant failed on their side would be billed by the re-run, unseen.
    for (const r of results.slice(1)) {
      expect(r.stderr).toBe('');
      expect([0, 3]).toContain(r.code);
    }
    // Its run never finished: the others (same host, its pid gone) or the re-run resume its claims.
    expect(await query(url, `SELECT status FROM runs WHERE pid = $1`, [victim.pid])).toEqual([{ status: 'running' }]);
    const again = artifice(['bill', '--config', ini, '--all', ...MONTH, '--quiet'], cloud.dir);
    const rerun = await again.done;
    expect(rerun.stderr).toBe('');
    expect([0, 3]).toContain(rerun.code);
    expectExactlyOnce(await billsOf(url), cloud.outDir);
  });
});

test('two overlapping windows of one tenant inserted with SQL: the exclusion constraint refuses the second', async () => {
  const url = await newDatabase();
  await (await Ledger.connect(url)).close(); // the schema
  const insert = `INSERT INTO bills (id, tenant, start_us, end_us, status, created_at) VALUES ($1, 't', $2, $3, $4, '2024-06-01T00:00:00Z')`;
  const may = [Date.parse('2024-05-01T00:00:00Z') * 1000, Date.parse('2024-06-01T00:00:00Z') * 1000];
  await query(url, insert, ['a', may[0], may[1], 'committed']);
  await expect(query(url, insert, ['b', may[0]! + 3_600_000_000, may[1]! + 3_600_000_000, 'pending'])).rejects.toThrow(
    /conflicting key value violates exclusion constraint "bills_no_overlap"/,
  );
  // Back to back, and history rows, are fine.
  await query(url, insert, ['c', may[1], may[1]! + 3_600_000_000, 'pending']);
  await query(url, insert, ['d', may[0], may[1], 'failed']);
  expect((await query<{ id: string }>(url, 'SELECT id FROM bills ORDER BY id')).map((r) => r.id)).toEqual(['a', 'c', 'd']);
});

test('hosts that start at once on an empty database migrate it once (the advisory lock), and all open it', async () => {
  const url = await newDatabase();
  const ledgers = await Promise.all(Array.from({ length: 6 }, () => Ledger.connect(url)));
  try {
    expect(await query(url, 'SELECT version FROM artifice_schema')).toEqual([{ version: 2 }]);
    expect((await Promise.all(ledgers.map((l) => l.info()))).map((i) => i.schema)).toEqual([2, 2, 2, 2, 2, 2]);
  } finally {
    for (const l of ledgers) await l.close();
  }
});
