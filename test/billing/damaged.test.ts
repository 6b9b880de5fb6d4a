/**
 * A ledger found damaged in the middle of a `bill` run (docs/ledger.md, "Integrity"): the batch
 * stops (no new tenant starts), bills in progress are marked nothing more in the damaged file,
 * and the run exits 2 with the one-line advice; the status file is still written.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ledgerBills } from '../helpers/cli.js';
import { hookedFileCollector as wrapped } from '../helpers/collector.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { corruptRootPage } from '../ledger/corrupt.js';
import { plan, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const RESTORE = /the file is damaged \(.+\); stop billing and restore it from a backup made with `artifice ledger backup`, or salvage what is readable with `sqlite3 .+ "\.recover"`/;

/** `bill --all` of 5 tenants, damaging `page` of the ledger when tenant-02's samples are first asked for. */
async function damagedRun(cloud: Cloud, page: string, concurrency: number) {
  let damaged = false;
  const started: string[] = [];
  const result = await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05', '--concurrency', String(concurrency)], {
    cwd: cloud.dir,
    openCollector: wrapped((tenant, phase) => {
      if (phase !== 'start') return;
      if (!started.includes(tenant)) started.push(tenant);
      if (tenant === 'tenant-02' && !damaged) {
        damaged = true;
        corruptRootPage(cloud.database, page);
      }
    }),
  });
  return { ...result, started };
}

function runStatuses(database: string): string[] {
  const db = new Database(database, { readonly: true });
  try {
    return db.prepare('SELECT status FROM runs ORDER BY started_at').pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe.each([
  ['lines', 1],
  ['lines', 2],
  ['bills', 1],
])('the ledger (its %s table) damaged while tenant-02 is measured, --concurrency %i', (page, concurrency) => {
  it('stops the batch: no new tenant, nothing more written, exit 2 with one line; the status file says why', async () => {
    const cloud = writeCloud(plan(5));
    const result = await damagedRun(cloud, page, concurrency);
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(result.stderr).toMatch(/^artifice: ledger .+: cannot .+: the file is damaged/);
    expect(result.stderr).toMatch(RESTORE);
    // No tenant starts after the damage; with two workers tenant-01 was under way beside tenant-02.
    expect(result.started).toEqual(['tenant-01', 'tenant-02']);
    if (page !== 'bills') {
      // The bills in progress stay pending: neither failed nor committed in the damaged file.
      expect(ledgerBills(cloud.database).map((r) => [r.tenant, r.status])).toEqual([
        ['tenant-01', concurrency === 1 ? 'committed' : 'pending'],
        ['tenant-02', 'pending'],
      ]);
    }
    // Nor is the run finished there: the status file is the record of this run.
    expect(runStatuses(cloud.database)).toEqual(['running']);
    const status = JSON.parse(readFileSync(cloud.statusFile, 'utf8')) as { healthy: boolean; errors: { message: string }[]; run: { exit_code: number; status: string } | null };
    expect(status.healthy).toBe(false);
    expect(status.run).toMatchObject({ exit_code: 2, status: 'failed' });
    expect(status.errors).toEqual([{ message: expect.stringMatching(RESTORE) }]);
  });
});
