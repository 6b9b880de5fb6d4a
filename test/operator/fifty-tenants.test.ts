/**
 * The monthly cron run over 50 tenants where 3 fail in different ways: a flavor with no price,
 * a sample with a non-numeric volume (bad data in the file), and a telemetry error for one
 * tenant. The batch bills the other 47, reports the 3 with their reasons, exits 1, records the
 * errors in the runs table and the status file; once the causes are fixed, a re-run bills
 * exactly those 3 and skips the 47.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { TelemetryError } from '../../src/model/errors.js';
import { hookedFileCollector } from '../helpers/collector.js';
import { ledgerBills } from '../helpers/cli.js';
import { cleanTempDirs, filesIn } from '../helpers/tmp.js';
import Database from 'better-sqlite3';
import { bills, plan, run, sample, tenantId, volumeOf, writeCloud, RATES, type Cloud } from './fixture.js';

afterAll(cleanTempDirs);

const NO_PRICE = tenantId(7);
const BAD_DATA = tenantId(13);
const TELEMETRY = tenantId(29);
const FAILING = [NO_PRICE, BAD_DATA, TELEMETRY];

/** A line with a volume that is not a number, charged to BAD_DATA, in May. */
const BAD_LINE = sample(BAD_DATA, 'volume.size', volumeOf(BAD_DATA), '2024-05-20T03:00:00Z', 'lots', {});

/** The file collector, except that the failing tenants' samples fail like an API returning 503. */
function flakyCollector(failing: Set<string>) {
  return hookedFileCollector((projectId, phase) => {
    if (phase === 'start' && failing.has(projectId)) throw new TelemetryError(`ceilometer: HTTP 503 Service Unavailable for project ${projectId} (after 3 tries)`);
  });
}

const ARGS = ['bill', '--all', '--month', '2024-05'];

let cloud: Cloud;
const failingTelemetry = new Set([TELEMETRY]);

beforeAll(() => {
  const plans = plan(50, (t) => (t.id === NO_PRICE ? { ...t, flavor: 'x1.special' } : t));
  cloud = writeCloud(plans, { extra: [BAD_LINE] });
});

describe('bill --all over 50 tenants, 3 failing', () => {
  let first: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    first = await run([...ARGS, '--config', cloud.ini], {
      cwd: cloud.dir, openCollector: flakyCollector(failingTelemetry),
    });
  });

  it('exits 1 and writes 47 invoices', () => {
    expect(first.code).toBe(1);
    const files = filesIn(cloud.outDir).filter((f) => f.endsWith('.csv'));
    expect(files).toHaveLength(47);
    for (const id of FAILING) expect(files.some((f) => f.startsWith(`${id}_`))).toBe(false);
  });

  it('reports each failure with its reason, in the table and again after the summary line', () => {
    expect(first.stdout).toContain('47 committed, 0 skipped, 3 failed; billed');
    const block = first.stdout.slice(first.stdout.indexOf('failed (3):'));
    expect(block).toMatch(new RegExp(`${NO_PRICE}.*no price for east/x1\\.special`));
    expect(block).toMatch(new RegExp(`${BAD_DATA}.*bad sample for project ${BAD_DATA}: volume must be a number, got "lots"`));
    expect(block).toMatch(new RegExp(`${TELEMETRY}.*HTTP 503`));
    expect(block.trim().split('\n')).toHaveLength(4);
  });

  it('plain output for cron: no progress line, no colour', () => {
    expect(first.stderr).not.toContain('\r');
    expect(first.stdout + first.stderr).not.toContain('\x1b[');
  });

  it('ledger: 47 committed, 3 failed, nothing pending; the run row holds the 3 errors', () => {
    const rows = ledgerBills(cloud.database);
    expect(rows.filter((r) => r.status === 'committed')).toHaveLength(47);
    expect(rows.filter((r) => r.status === 'failed').map((r) => r.tenant).sort()).toEqual([...FAILING].sort());
    expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
    const db = new Database(cloud.database, { readonly: true });
    try {
      const runs = db.prepare('SELECT status, errors, finished_at FROM runs').all() as { status: string; errors: string; finished_at: string | null }[];
      expect(runs).toHaveLength(1);
      expect(runs[0]!.status).toBe('partial');
      expect(runs[0]!.finished_at).not.toBeNull();
      expect((JSON.parse(runs[0]!.errors) as { tenant: string }[]).map((e) => e.tenant).sort()).toEqual([...FAILING].sort());
    } finally {
      db.close();
    }
  });

  it('the status file says what failed, and status exits 1', async () => {
    const status = JSON.parse(readFileSync(cloud.statusFile, 'utf8')) as {
      healthy: boolean; errors: { tenant: string; message: string }[]; last_billed: Record<string, unknown>; unbilled: { tenant: string; why: string }[];
      next_run_expected_by: string; run: { exit_code: number };
    };
    expect(status.healthy).toBe(false);
    expect(status.run.exit_code).toBe(1);
    expect(status.errors.map((e) => e.tenant).sort()).toEqual([...FAILING].sort());
    expect(Object.keys(status.last_billed)).toHaveLength(47);
    expect(status.unbilled.map((u) => u.tenant).sort()).toEqual([...FAILING].sort());
    expect(status.unbilled.every((u) => u.why.startsWith('failed: '))).toBe(true);
    expect(status.next_run_expected_by).toBe('2024-07-02T06:00:00.000Z');
    const result = await run(['status', '--config', cloud.ini], { cwd: cloud.dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('UNHEALTHY');
    for (const id of FAILING) expect(result.stdout).toContain(id);
  });

  describe('after the causes are fixed', () => {
    let second: Awaited<ReturnType<typeof run>>;
    beforeAll(async () => {
      // No price: the rate is added (a new rates file: the csv adapter reads a rates file once per process).
      writeFileSync(`${cloud.dir}/rates-fixed.csv`, `${RATES}\n*,x1.special,hour,0.40\n`);
      writeFileSync(cloud.ini, readFileSync(cloud.ini, 'utf8').replace('rates = rates.csv', 'rates = rates-fixed.csv'));
      // Bad data: the broken line is removed from the samples file.
      const text = readFileSync(cloud.samples, 'utf8');
      expect(text).toContain(BAD_LINE);
      writeFileSync(cloud.samples, text.replace(`${BAD_LINE}\n`, ''));
      // Telemetry: the API answers again.
      failingTelemetry.clear();
      second = await run([...ARGS, '--config', cloud.ini, '--json'], { cwd: cloud.dir, openCollector: flakyCollector(failingTelemetry) });
    });

    it('a re-run commits exactly the 3 and skips the 47 as already billed (exit 0)', () => {
      expect(second.code).toBe(0);
      const result = bills(second.stdout);
      expect(result).toHaveLength(50);
      expect(result.filter((b) => b.status === 'committed').map((b) => b.tenant).sort()).toEqual([...FAILING].sort());
      const skipped = result.filter((b) => b.status === 'skipped');
      expect(skipped).toHaveLength(47);
      expect(skipped.every((b) => /^already billed/.test(b.reason ?? ''))).toBe(true);
      const special = result.find((b) => b.tenant === NO_PRICE)!;
      expect(special.lines.find((l) => l.name === 'x1.special')).toMatchObject({ quantity: '744', rate: '0.4', amount: '297.60' });
    });

    it('50 invoices, one per tenant; each tenant has exactly one committed bill', () => {
      expect(filesIn(cloud.outDir).filter((f) => f.endsWith('.csv'))).toHaveLength(50);
      const rows = ledgerBills(cloud.database);
      const committed = rows.filter((r) => r.status === 'committed').map((r) => r.tenant);
      expect(committed).toHaveLength(50);
      expect(new Set(committed).size).toBe(50);
      expect(rows.filter((r) => r.status === 'failed')).toHaveLength(3);
    });

    it('status is healthy again (exit 0)', async () => {
      const result = await run(['status', '--config', cloud.ini, '--json'], { cwd: cloud.dir });
      const health = JSON.parse(result.stdout) as { healthy: boolean; unbilled: unknown[]; problems: string[] };
      expect(health.problems).toEqual([]);
      expect(health.unbilled).toEqual([]);
      expect(result.code).toBe(0);
      const file = JSON.parse(readFileSync(cloud.statusFile, 'utf8')) as { healthy: boolean; errors: unknown[] };
      expect(file).toMatchObject({ healthy: true, errors: [] });
    });
  });
});
