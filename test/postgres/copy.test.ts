/**
 * Moving a ledger to PostgreSQL (docs/ledger.md, "Moving to PostgreSQL"): `ledger copy` of the demo
 * ledger gives the same history and status on both backends; `check` and `ledger backup` on a
 * PostgreSQL ledger.
 */
import path from 'node:path';
import { ACME, demo, run } from '../helpers/cli.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';
import { Decimal } from '../../src/model/decimal.js';
import { Ledger, copyLedger, currentOwner } from '../../src/ledger.js';
import { dropDatabases, newDatabase, query, withDatabase } from './kit.js';

afterEach(async () => {
  await dropDatabases();
  cleanTempDirs();
});

/** The JSON output of a command, without the keys that name where the ledger and status file are. */
function shown(stdout: string): unknown {
  const { ledger: _, status_file: __, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  return rest;
}

test('ledger copy of the demo ledger: every row kept, the same history --json and status --json on both backends', async () => {
  const d = demo();
  const month = ['--month', '2024-05'];
  expect((await run(['bill', '--config', d.ini, '--all', ...month, '--quiet'], { cwd: d.dir })).code).toBe(0);
  // A voided bill and its revision 2 must survive the copy too.
  expect((await run(['void', '--config', d.ini, '--tenant', ACME, ...month, '--reason', 'wrong rate'], { cwd: d.dir })).code).toBe(0);
  expect((await run(['bill', '--config', d.ini, '--tenant', ACME, ...month, '--quiet'], { cwd: d.dir })).code).toBe(0);

  const url = await newDatabase();
  const copied = await run(['ledger', 'copy', '--from', d.database, '--to', url], { cwd: d.dir });
  expect(copied.stderr).toBe('');
  expect(copied.stdout).toMatch(/^copied ledger .+ to postgresql:\/\/.+: 4 bills, \d+ usage rows, \d+ lines, 2 runs\n$/);
  const pgIni = withDatabase(d.ini, url, path.join(d.dir, 'pg.ini'));
  for (const command of [['history', '--json'], ['status', '--json']]) {
    const onSqlite = await run([...command, '--config', d.ini], { cwd: d.dir });
    const onPostgres = await run([...command, '--config', pgIni], { cwd: d.dir });
    expect(onPostgres.stderr).toBe(onSqlite.stderr);
    expect(onPostgres.code).toBe(onSqlite.code);
    expect(shown(onPostgres.stdout)).toEqual(shown(onSqlite.stdout));
  }
  expect(await query(url, `SELECT revision, status FROM bills WHERE tenant = $1 ORDER BY seq`, [ACME])).toEqual([
    { revision: 1, status: 'voided' },
    { revision: 2, status: 'committed' },
  ]);

  // A ledger that holds bills is never copied into.
  const again = await run(['ledger', 'copy', '--from', d.database, '--to', url], { cwd: d.dir });
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already holds 4 bills and 2 runs: ledger copy only fills an empty ledger/);
  expect((await query(url, 'SELECT count(*)::int AS n FROM bills'))[0]).toEqual({ n: 4 });
});

test('check reports the backend, its version, the constraint and the migration level; ledger backup points to pg_dump', async () => {
  const d = demo();
  const url = await newDatabase();
  const pgIni = withDatabase(d.ini, url, path.join(d.dir, 'pg.ini'));
  expect((await run(['bill', '--config', pgIni, '--all', '--month', '2024-05', '--quiet'], { cwd: d.dir })).code).toBe(0);
  const checked = await run(['check', '--config', pgIni, '--json'], { cwd: d.dir });
  const items = (JSON.parse(checked.stdout) as { items: { name: string; ok: boolean; detail: string }[] }).items;
  expect(items.find((i) => i.name === 'ledger')).toEqual({
    name: 'ledger', ok: true,
    detail: expect.stringMatching(/^postgresql:\/\/.+: PostgreSQL \d+\.\d+.*, schema 2 of 2, overlaps refused by constraint bills_no_overlap \(EXCLUDE USING gist .+\), 3 tenants, 0 pending claims, last run/),
  });
  const backup = await run(['ledger', 'backup', 'copy.sqlite', '--config', pgIni], { cwd: d.dir });
  expect(backup.code).toBe(2);
  expect(backup.stderr).toMatch(/^artifice: ledger postgresql:\/\/.+ is a PostgreSQL database: back it up with pg_dump .+\n$/);
});

test('a line that covers part of the window keeps its period and basis through the copy; so do usage rows, in order', async () => {
  const file = path.join(tempDir('artifice-copy-'), 'ledger.sqlite');
  const may = { start: Date.parse('2024-05-01T00:00:00Z') * 1000, end: Date.parse('2024-06-01T00:00:00Z') * 1000 };
  const half = { start: may.start, end: may.start + 14 * 86_400_000_000 };
  const basis = { kind: 'rate', row: 7, scope: 'tenant t' } as const;
  const line = { datacenter: 'dc1', name: 'm1.small', quantity: new Decimal('336'), unit: 'hour', rate: new Decimal('0.025'), amount: new Decimal('8.40') };
  const usage = ['b', 'a', 'c'].map((id) => ({
    meter: 'instance', resourceId: `vm-${id}`, service: 'm1.small', datacenter: 'dc1', quantity: new Decimal('1.000000001'), unit: 'hour',
    samples: 2, firstSample: may.start, lastSample: null, gaps: [{ start: may.start + 1, end: may.start + 2 }],
  }));
  const sqlite = Ledger.open(file);
  const claim = await sqlite.claim({ id: 't', name: 'T' }, may, currentOwner('run-1'));
  if (claim.kind !== 'claimed') throw new Error(claim.kind);
  await sqlite.recordUsage(claim.bill.id, usage, [{ ...line, period: half, basis }, line]);
  await sqlite.markCommitted(claim.bill.id, 'INV-1', '16.80', 'USD');
  const expected = { bill: await sqlite.bill(claim.bill.id), usage: await sqlite.usage(claim.bill.id), lines: await sqlite.lines(claim.bill.id) };
  await sqlite.close();

  const url = await newDatabase();
  await copyLedger(file, url);
  const pg = await Ledger.connect(url);
  try {
    expect({ bill: await pg.bill(claim.bill.id), usage: await pg.usage(claim.bill.id), lines: await pg.lines(claim.bill.id) }).toEqual(expected);
    expect(expected.lines[0]).toMatchObject({ period: half, basis });
  } finally {
    await pg.close();
  }
});
