/**
 * A damaged ledger is never used (docs/ledger.md, "Integrity"): opening it runs
 * `PRAGMA quick_check`, and SQLite's corruption errors met later are the same LedgerDamagedError
 * (exit 2, saying how to restore), whatever page is damaged.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { Decimal } from '../../src/model/decimal.js';
import { EXIT } from '../../src/model/errors.js';
import { Ledger, LedgerDamagedError, checkLedger, currentOwner } from '../../src/ledger.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';
import { DAMAGED_PAGES, corruptRootPage } from './corrupt.js';

const MAY = { start: Date.parse('2024-05-01T00:00:00Z') * 1000, end: Date.parse('2024-06-01T00:00:00Z') * 1000 };
const RESTORE = /the file is damaged \(.+\); stop billing and restore it from a backup made with `artifice ledger backup`, or salvage what is readable with `sqlite3 .+ "\.recover"`/;

afterEach(cleanTempDirs);

/** A ledger file with one committed bill, its usage and lines; closed. */
async function billedLedger(): Promise<{ file: string; billId: string }> {
  const file = path.join(tempDir('artifice-integrity-'), 'ledger.sqlite');
  const ledger = Ledger.open(file);
  try {
    const claim = await ledger.claim({ id: 'tenant-a' }, MAY, currentOwner('run-1'));
    if (claim.kind !== 'claimed') throw new Error(claim.kind);
    const usage = Array.from({ length: 3 }, (_, i) => ({
      meter: 'volume.size', resourceId: `vol-${i}`, service: 'volume.size', datacenter: 'dc1', quantity: new Decimal(i + 1),
      unit: 'gigabyte-hour', samples: 2, firstSample: MAY.start, lastSample: MAY.end - 1, gaps: [],
    }));
    await ledger.recordUsage(claim.bill.id, usage, [
      { datacenter: 'dc1', name: 'volume.size', quantity: new Decimal(6), unit: 'gigabyte-hour', rate: new Decimal('0.5'), amount: new Decimal(3) },
    ]);
    await ledger.markCommitted(claim.bill.id, 'INV-1', '3.00', 'USD');
    return { file, billId: claim.bill.id };
  } finally {
    await ledger.close();
  }
}

async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe.each(DAMAGED_PAGES)('a damaged root page of %s', (name) => {
  test('opening the ledger is a LedgerDamagedError (exit 2): one line naming the file and how to restore it', async () => {
    const { file } = await billedLedger();
    corruptRootPage(file, name);
    const before = fs.readFileSync(file);
    const error = await thrown(() => Ledger.open(file));
    expect(error).toBeInstanceOf(LedgerDamagedError);
    expect((error as LedgerDamagedError).exitCode).toBe(EXIT.usage);
    expect(error.message).toMatch(new RegExp(`^cannot open ledger ${file}: `));
    expect(error.message).toMatch(RESTORE);
    expect(error.message).not.toContain('\n');
    expect(fs.readFileSync(file).equals(before)).toBe(true);
  });

  test('the full integrity check fails with the same advice', async () => {
    const { file } = await billedLedger();
    expect(checkLedger(file)).toEqual({ ok: true });
    corruptRootPage(file, name);
    const checked = checkLedger(file);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.message).toMatch(RESTORE);
  });
});

test('damage noticed halfway through a run (after the open-time check) is the same LedgerDamagedError', async () => {
  const { file, billId } = await billedLedger();
  const ledger = Ledger.open(file);
  try {
    corruptRootPage(file, 'lines');
    // Drop the pages the open-time check left in the connection's cache, so SQLite reads the file.
    (ledger as unknown as { db: Database.Database }).db.pragma('shrink_memory');
    const error = await thrown(() => ledger.lines(billId));
    expect(error).toBeInstanceOf(LedgerDamagedError);
    expect(error.message).toMatch(new RegExp(`^ledger ${file}: cannot read lines: `));
    expect(error.message).toMatch(RESTORE);
  } finally {
    await ledger.close();
  }
});

test('a file that is not a database at all gets the same advice', async () => {
  const file = path.join(tempDir('artifice-integrity-'), 'ledger.sqlite');
  fs.writeFileSync(file, 'not a database, but some text long enough to be read as one '.repeat(20));
  const error = await thrown(() => Ledger.open(file));
  expect(error).toBeInstanceOf(LedgerDamagedError);
  expect(error.message).toMatch(RESTORE);
});

test('a sound ledger opens and passes the full check', async () => {
  const { file, billId } = await billedLedger();
  expect(checkLedger(file)).toEqual({ ok: true });
  const ledger = Ledger.open(file);
  try {
    expect(await ledger.lines(billId)).toHaveLength(1);
  } finally {
    await ledger.close();
  }
});
