/**
 * A damaged ledger end to end (docs/ledger.md, "Integrity", "Backups"): `bill` refuses it with
 * exit 2 and one line saying how to restore it, writing nothing; `check` FAILs its integrity
 * item; `artifice ledger backup FILE` makes a checked copy that restores a working ledger.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ACME, demo, expectOneLine, ledgerBills, run, type Demo } from '../helpers/cli.js';
import { cleanTempDirs, filesIn } from '../helpers/tmp.js';
import { corruptRootPage } from '../ledger/corrupt.js';
import { Ledger, MIGRATIONS, currentOwner } from '../../src/ledger.js';

afterEach(cleanTempDirs);

/** Each test bills the demo first: seconds alone, but far more on a loaded machine. */
const SLOW_MS = 180_000;

const MAY = ['--month', '2024-05'];
const RESTORE = /the file is damaged \(.+\); stop billing and restore it from a backup made with `artifice ledger backup`, or salvage what is readable with `sqlite3 .+ "\.recover"`/;

interface Report {
  ok: boolean;
  items: { name: string; ok: boolean; detail: string }[];
}

async function bill(d: Demo, ...args: string[]) {
  return run(['bill', '--config', d.ini, ...MAY, ...args], { cwd: d.dir });
}

/** The demo with ACME's May billed: a ledger with bills, usage and lines. */
async function billedDemo(): Promise<Demo> {
  const d = demo();
  expect((await bill(d, '--tenant', ACME)).code).toBe(0);
  return d;
}

/** The ledger file and any WAL next to it, byte for byte. */
function snapshot(database: string): string[] {
  return ['', '-wal'].map((suffix) => (fs.existsSync(database + suffix) ? fs.readFileSync(database + suffix).toString('base64') : ''));
}

describe.each([
  ['an index (usage_bill)', 'usage_bill'],
  ['the usage table', 'usage'],
  ['the lines table', 'lines'],
])('a damaged page of %s', (_, page) => {
  it('bill: exit 2, one line naming the ledger and how to restore it, nothing written', async () => {
    const d = await billedDemo();
    corruptRootPage(d.database, page);
    const before = snapshot(d.database);
    const invoices = filesIn(d.outDir);
    const result = await bill(d, '--all');
    expect(result.code).toBe(2);
    const line = expectOneLine(result.stderr);
    expect(line).toContain(`ledger ${d.database}`);
    expect(line).toMatch(RESTORE);
    expect(snapshot(d.database)).toEqual(before);
    expect(filesIn(d.outDir)).toEqual(invoices);
  }, SLOW_MS);

  it('check: the ledger integrity item FAILs with the same advice (exit 2)', async () => {
    const d = await billedDemo();
    const sound = JSON.parse((await run(['check', '--config', d.ini, '--json'], { cwd: d.dir })).stdout) as Report;
    expect(sound.items.find((i) => i.name === 'ledger integrity')).toMatchObject({ ok: true });
    corruptRootPage(d.database, page);
    const result = await run(['check', '--config', d.ini, '--json'], { cwd: d.dir });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.items.find((i) => i.name === 'ledger integrity')).toMatchObject({ ok: false, detail: expect.stringMatching(RESTORE) });
  }, SLOW_MS);
});

describe('artifice ledger backup FILE', () => {
  it('backup, damage, restore by copying the backup back: a working ledger with the same bills', async () => {
    const d = demo();
    expect((await bill(d, '--all')).code).toBe(0);
    const bills = ledgerBills(d.database);
    expect(bills.length).toBeGreaterThan(1);
    const backup = path.join(d.dir, 'backups', 'ledger-2024-06.sqlite');
    const made = await run(['ledger', 'backup', backup, '--config', d.ini], { cwd: d.dir });
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toMatch(/^backed up ledger .+ \(\d+ bytes, integrity check ok\)\n$/);
    // One self-contained file: no WAL beside it.
    expect(fs.readdirSync(path.dirname(backup))).toEqual(['ledger-2024-06.sqlite']);

    corruptRootPage(d.database, 'lines');
    expect((await bill(d, '--all')).code).toBe(2);
    // The restore of docs/ledger.md: the damaged file and its -wal/-shm out, the backup in.
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(d.database + suffix, { force: true });
    fs.copyFileSync(backup, d.database);

    expect(ledgerBills(d.database)).toEqual(bills);
    // The restored ledger works and still knows May is billed: nothing billed twice (exit 3).
    const again = await bill(d, '--all');
    expect(again).toMatchObject({ code: 3, stderr: '' });
    expect(again.stdout).toContain(`0 committed, ${bills.length} skipped, 0 failed`);
    expect(ledgerBills(d.database)).toEqual(bills);
    const history = await run(['history', '--config', d.ini, '--json'], { cwd: d.dir });
    expect(history.code).toBe(0);
    const check = JSON.parse((await run(['check', '--config', d.ini, '--json'], { cwd: d.dir })).stdout) as Report;
    expect(check.items.find((i) => i.name === 'ledger integrity')).toMatchObject({ ok: true });
  }, SLOW_MS);

  it('is consistent while another connection is writing (WAL): the copy has what was committed', async () => {
    const d = await billedDemo();
    const writer = new Database(d.database);
    try {
      writer.prepare('BEGIN IMMEDIATE').run();
      writer.prepare(`UPDATE bills SET reference = 'uncommitted'`).run();
      const backup = path.join(d.dir, 'backup.sqlite');
      expect((await run(['ledger', 'backup', backup, '--config', d.ini], { cwd: d.dir })).code).toBe(0);
      expect(ledgerBills(backup).map((b) => b.reference)).not.toContain('uncommitted');
      expect(ledgerBills(backup)).toHaveLength(1);
    } finally {
      writer.prepare('ROLLBACK').run();
      writer.close();
    }
  }, SLOW_MS);

  it('refuses an existing FILE (exit 2, FILE untouched) unless --force', async () => {
    const d = await billedDemo();
    const backup = path.join(d.dir, 'backup.sqlite');
    fs.writeFileSync(backup, 'keep me');
    const refused = await run(['ledger', 'backup', backup, '--config', d.ini], { cwd: d.dir });
    expect(refused.code).toBe(2);
    expect(expectOneLine(refused.stderr)).toContain(`backup file ${backup} exists: give a new file name, or --force to replace it`);
    expect(fs.readFileSync(backup, 'utf8')).toBe('keep me');
    expect((await run(['ledger', 'backup', backup, '--force', '--config', d.ini], { cwd: d.dir })).code).toBe(0);
    expect(ledgerBills(backup)).toEqual(ledgerBills(d.database));
  }, SLOW_MS);

  it('never creates a ledger: without one, exit 2 and no file anywhere', async () => {
    const d = demo();
    const result = await run(['ledger', 'backup', 'backup.sqlite', '--config', d.ini], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain(`there is no ledger ${d.database}`);
    expect(fs.existsSync(d.database)).toBe(false);
    expect(fs.existsSync(path.dirname(d.database))).toBe(false);
    expect(fs.existsSync(path.join(d.dir, 'backup.sqlite'))).toBe(false);
  }, SLOW_MS);

  it('refuses a damaged ledger: no backup is written', async () => {
    const d = await billedDemo();
    corruptRootPage(d.database, 'usage');
    const result = await run(['ledger', 'backup', 'backup.sqlite', '--config', d.ini], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toMatch(RESTORE);
    expect(fs.readdirSync(d.dir).filter((f) => f.startsWith('backup'))).toEqual([]);
  }, SLOW_MS);

  it('refuses to back the ledger up onto itself', async () => {
    const d = await billedDemo();
    const result = await run(['ledger', 'backup', d.database, '--force', '--config', d.ini], { cwd: d.dir });
    expect(result.code).toBe(2);
    expect(expectOneLine(result.stderr)).toContain('onto itself');
    expect(ledgerBills(d.database)).toHaveLength(1);
  }, SLOW_MS);
});

describe('ledger copy: what it refuses before touching anything', () => {
  it('needs an SQLite file that exists to copy from, and a PostgreSQL URL to copy to', async () => {
    const d = demo();
    const copy = (...args: string[]) => run(['ledger', 'copy', ...args], { cwd: d.dir });
    const missing = await copy('--from', 'nope.sqlite', '--to', 'postgresql://billing@127.0.0.1:1/artifice');
    expect(missing.code).toBe(2);
    expect(expectOneLine(missing.stderr)).toMatch(/^artifice: there is no ledger .*nope\.sqlite, so nothing to copy/);
    const toFile = await copy('--from', 'a.sqlite', '--to', 'b.sqlite');
    expect(toFile.code).toBe(2);
    expect(expectOneLine(toFile.stderr)).toMatch(/--to b\.sqlite: give the PostgreSQL URL to copy to/);
    const fromUrl = await copy('--from', 'postgresql://db/a', '--to', 'postgresql://db/b');
    expect(expectOneLine(fromUrl.stderr)).toMatch(/--from .*: give the SQLite ledger file to copy from/);
    expect(filesIn(d.dir).filter((f) => f.endsWith('.sqlite'))).toEqual([]);
  });

  it('never shows a password written in --from or --to', async () => {
    const d = demo();
    const fromUrl = await run(['ledger', 'copy', '--from', 'postgresql://billing:s3cret-from-pw@db/a', '--to', 'postgresql://billing:s3cret-to-pw@127.0.0.1:1/b'], { cwd: d.dir });
    expect(fromUrl.code).toBe(2);
    expect(expectOneLine(fromUrl.stderr)).toMatch(/^artifice: ledger copy --from postgresql:\/\/billing@db\/a: give the SQLite ledger file/);
    expect(fromUrl.stdout + fromUrl.stderr).not.toMatch(/s3cret/);
  });

  it('reads the source without changing it: refuses an old schema, and pending bills or running runs unless --force', async () => {
    const d = demo();
    const unreachable = 'postgresql://billing@127.0.0.1:1/artifice';
    const copy = (file: string, ...extra: string[]) => run(['ledger', 'copy', '--from', file, '--to', unreachable, ...extra], { cwd: d.dir });
    // A ledger at schema version 1, in the rollback journal: neither is changed by a copy.
    const old = path.join(d.dir, 'old.sqlite');
    const db = new Database(old);
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.close();
    const refused = await copy(old);
    expect(refused.code).toBe(2);
    expect(expectOneLine(refused.stderr)).toMatch(/old\.sqlite has schema version 1, not the current \d+: run any artifice command on it first/);
    const after = new Database(old, { readonly: true });
    expect([after.pragma('user_version', { simple: true }), after.pragma('journal_mode', { simple: true })]).toEqual([1, 'delete']);
    after.close();

    const busy = path.join(d.dir, 'busy.sqlite');
    const ledger = Ledger.open(busy, { journal: 'delete' });
    await ledger.claim({ id: 't' }, { start: 0, end: 1_000_000 }, currentOwner('run-1'));
    await ledger.startRun('bill', [], { host: 'h', pid: 1 });
    await ledger.close();
    const unsettled = await copy(busy);
    expect(unsettled.code).toBe(2);
    expect(expectOneLine(unsettled.stderr)).toMatch(/busy\.sqlite has 1 pending bills and 1 running runs: a run may be billing it; .*--force copies it/);
    // --force goes on to the target (here unreachable), the source still in its journal mode.
    const forced = await copy(busy, '--force');
    expect(expectOneLine(forced.stderr)).toMatch(/cannot open ledger postgresql:\/\/billing@127\.0\.0\.1:1\/artifice/);
    const source = new Database(busy, { readonly: true });
    expect(source.pragma('journal_mode', { simple: true })).toBe('delete');
    source.close();
    expect(fs.existsSync(`${busy}-wal`)).toBe(false);
  });
});
