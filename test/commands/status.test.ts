/**
 * `artifice status`: the last run, pending claims and whose they are, settled months that are
 * not billed, and when the next run is due; exit 0 healthy, 1 not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import Database from 'better-sqlite3';
import { Ledger } from '../../src/ledger.js';
import { monthWindow } from '../../src/period.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { AFTER_MAY, plan, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const MAY = monthWindow({ year: 2024, month: 5 }, 'UTC');

interface Health {
  healthy: boolean;
  problems: string[];
  last_run: { command: string; args: string[]; status: string; duration_ms: number | null; errors: { tenant?: string; message: string }[]; alive: boolean | null } | null;
  pending: { tenant: string; window: string; owner: { host: string; pid: number } | null; alive: boolean }[];
  unbilled: { tenant: string; month: string; why: string }[];
  checked: { from: string | null; through: string; months_back: number };
  last_billed: Record<string, { window: string }>;
  next_run_expected_by: string;
  status_file: { path: string; exists: boolean };
}

async function status(cloud: Cloud, now: Date): Promise<{ code: number; health: Health; text: string }> {
  const json = await run(['status', '--config', cloud.ini, '--json'], { cwd: cloud.dir, now });
  const text = await run(['status', '--config', cloud.ini], { cwd: cloud.dir, now });
  expect(text.code).toBe(json.code);
  return { code: json.code, health: JSON.parse(json.stdout) as Health, text: text.stdout };
}

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid!;
}

describe('status', () => {
  it('before anything was billed: says so, exit 0, and creates no ledger', async () => {
    const cloud = writeCloud(plan(1));
    const result = await run(['status', '--config', cloud.ini], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^no ledger at .*artifice\.sqlite yet: nothing has been billed with this config$/m);
    expect(existsSync(cloud.database)).toBe(false);
  });

  describe('after a good monthly run', () => {
    let cloud: Cloud;
    beforeAll(async () => {
      cloud = writeCloud(plan(3));
      expect((await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05'], { cwd: cloud.dir })).code).toBe(0);
    });

    it('is healthy: the last run, no claims, nothing unbilled, the next run due by 2024-07-02 06:00 (exit 0)', async () => {
      const { code, health, text } = await status(cloud, new Date('2024-06-10T00:00:00Z'));
      expect(code).toBe(0);
      expect(health).toMatchObject({
        healthy: true, problems: [], pending: [], unbilled: [],
        last_run: { command: 'bill', args: ['--all', '2024-05'], status: 'ok', errors: [] },
        checked: { from: '2024-05', through: '2024-05', months_back: 24 },
        next_run_expected_by: '2024-07-02T06:00:00.000Z',
        status_file: { exists: true },
      });
      expect(Object.keys(health.last_billed)).toEqual(['tenant-01', 'tenant-02', 'tenant-03']);
      expect(text).toMatch(/^last run {5}bill --all 2024-05 on \S+ pid \d+: started 2024-06-02T00:00:00\.000Z, took [\d.]+ s, ok$/m);
      expect(text).toContain('pending claims: none');
      expect(text).toMatch(/^settled months not billed \(each known tenant from the month of its first bill \(at most 24 months back\) through 2024-05, the last settled month\): none$/m);
      expect(text.trim().split('\n').pop()).toBe('healthy');
    });

    it('June, billable since 1 July 06:00, is reported only once overdue (a day of grace: 2 July 06:00)', async () => {
      const early = await status(cloud, new Date('2024-07-02T05:59:00Z'));
      expect(early.health.checked.through).toBe('2024-06');
      expect(early.health.unbilled).toEqual([]);
      expect(early.code).toBe(0);
      const late = await status(cloud, new Date('2024-07-02T06:01:00Z'));
      expect(late.health.unbilled.map((u) => u.month)).toEqual(['2024-06', '2024-06', '2024-06']);
      expect(late.code).toBe(1);
    });

    it('a missed cron run: the overdue months of every tenant, and the run that did not come (exit 1)', async () => {
      const { code, health, text } = await status(cloud, new Date('2024-08-05T00:00:00Z'));
      expect(code).toBe(1);
      expect(health.checked.through).toBe('2024-07');
      expect(health.unbilled.map((u) => `${u.tenant} ${u.month}`)).toEqual([
        'tenant-01 2024-06', 'tenant-01 2024-07', 'tenant-02 2024-06', 'tenant-02 2024-07', 'tenant-03 2024-06', 'tenant-03 2024-07',
      ]);
      expect(health.unbilled[0]!.why).toBe('not billed, and no `bill --all` run for 2024-06 ran to its end (missed or crashed run?)');
      expect(health.problems).toEqual([
        '6 settled months are not billed (3 tenants)',
        'no bill run has finished since 2024-06-02T00:00:00.000Z; the next was expected by 2024-07-02T06:00:00.000Z',
      ]);
      expect(text).toMatch(/^UNHEALTHY: 6 settled months are not billed/m);
    });
  });

  it('a failed tenant: the run\'s errors and the month it left unbilled (exit 1)', async () => {
    const cloud = writeCloud(plan(2, (t) => (t.id === 'tenant-02' ? { ...t, flavor: 'x9.unpriced' } : t)));
    expect((await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05'], { cwd: cloud.dir })).code).toBe(1);
    const { code, health, text } = await status(cloud, AFTER_MAY);
    expect(code).toBe(1);
    expect(health.last_run).toMatchObject({ status: 'partial', errors: [{ tenant: 'tenant-02', message: expect.stringMatching(/^no price for east\/x9\.unpriced/) }] });
    expect(health.unbilled).toEqual([expect.objectContaining({ tenant: 'tenant-02', month: '2024-05', why: expect.stringMatching(/^failed: no price for east\/x9\.unpriced/) })]);
    expect(health.problems[0]).toMatch(/^the last run \(bill --all 2024-05, 2024-06-02T00:00:00\.000Z\) had failures: 1 error$/);
    expect(text).toMatch(/^ {2}error {6}tenant-02: no price for east\/x9\.unpriced/m);
  });

  it('pending claims: whose they are and whether their run is alive; a dead one is a month to resume', async () => {
    const cloud = writeCloud(plan(2));
    const ledger = Ledger.open(cloud.database, { now: () => AFTER_MAY });
    const dead = deadPid();
    try {
      await ledger.claim({ id: 'tenant-01' }, MAY, { host: os.hostname(), pid: dead, runId: 'run-gone' });
      await ledger.claim({ id: 'tenant-02' }, MAY, { host: os.hostname(), pid: process.pid, runId: 'run-alive' });
    } finally {
      await ledger.close();
    }
    const { code, health, text } = await status(cloud, new Date('2024-06-02T01:00:00Z'));
    expect(health.pending).toEqual([
      expect.objectContaining({ tenant: 'tenant-01', window: '2024-05', owner: expect.objectContaining({ pid: dead }), alive: false }),
      expect.objectContaining({ tenant: 'tenant-02', window: '2024-05', owner: expect.objectContaining({ pid: process.pid }), alive: true }),
    ]);
    // The live claim is being billed right now: not a problem. The dead one waits for the next run.
    expect(health.unbilled).toEqual([expect.objectContaining({ tenant: 'tenant-01', why: expect.stringMatching(/^pending, its run is gone \(.* pid \d+\): the next bill run resumes it$/) })]);
    expect(code).toBe(1);
    expect(text).toMatch(new RegExp(`tenant-01\\s+2024-05\\s+\\w{8}\\s+\\S+ pid ${dead}\\s+no \\(the next run resumes it\\)`));
    // The holder is host, pid and run (README "Running it from cron").
    expect(text).toMatch(/^tenant-01\s.*\srun-gone$/m);
    expect(text).toMatch(/^tenant-02\s.*\srun-alive$/m);
  });

  it('a run that never finished (its process is gone) is unhealthy', async () => {
    const cloud = writeCloud(plan(1));
    expect((await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05'], { cwd: cloud.dir })).code).toBe(0);
    const ledger = Ledger.open(cloud.database, { now: () => new Date('2024-06-03T00:00:00Z') });
    const runId = await ledger.startRun('bill', ['--all', '2024-06'], { host: os.hostname(), pid: process.pid });
    await ledger.close();
    const db = new Database(cloud.database);
    db.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(deadPid(), runId);
    db.close();
    const { code, health } = await status(cloud, new Date('2024-06-04T00:00:00Z'));
    expect(code).toBe(1);
    expect(health.last_run).toMatchObject({ status: 'running', alive: false });
    expect(health.problems).toEqual([expect.stringMatching(/^the last run \(2024-06-03T00:00:00\.000Z, \S+ pid \d+\) never finished: its process is gone$/)]);
  });

  it('a tenant with no telemetry in a month that a complete `bill --all` run covered is not missing; a voided bill not billed again is', async () => {
    const cloud = writeCloud(plan(3, (t) => (t.id === 'tenant-03' ? t : { ...t, to: '2024-07-01T00:00:00Z' })));
    expect((await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05'], { cwd: cloud.dir })).code).toBe(0);
    const june = await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-06', '--json'], { cwd: cloud.dir, now: new Date('2024-07-02T00:00:00Z') });
    expect(june.code).toBe(0);
    expect((JSON.parse(june.stdout) as { bills: unknown[] }).bills).toHaveLength(2); // tenant-03 was quiet in June
    const quiet = await status(cloud, new Date('2024-07-20T00:00:00Z'));
    expect(quiet.health.unbilled).toEqual([]);
    expect(quiet.code).toBe(0);

    const voided = await run(['void', '--config', cloud.ini, '--tenant', 'tenant-01', '--month', '2024-05', '--reason', 'wrong flavor'], { cwd: cloud.dir, now: new Date('2024-07-20T00:00:00Z') });
    expect(voided.code).toBe(0);
    const after = await status(cloud, new Date('2024-07-20T00:00:00Z'));
    expect(after.health.unbilled).toEqual([expect.objectContaining({ tenant: 'tenant-01', month: '2024-05', why: 'voided (wrong flavor) and not billed again' })]);
    expect(after.code).toBe(1);
  });
});
