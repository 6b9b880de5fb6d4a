/**
 * src/billing/run.ts through `artifice bill`: a run that is interrupted (SIGTERM, a second
 * signal) or cannot start (telemetry, ledger) is still recorded in the runs table and the status
 * file, and `--all` finding no tenant after earlier bills is an error.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../../src/model/errors.js';
import { ledgerBills } from '../helpers/cli.js';
import { hookedFileCollector as wrapped } from '../helpers/collector.js';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';
import { plan, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const MONTH = ['--month', '2024-05'];
const bill = (cloud: Cloud, ...args: string[]) => ['bill', '--config', cloud.ini, ...args];

function runsOf(database: string): { status: string; errors: string; summary: string; finished_at: string | null }[] {
  const db = new Database(database, { readonly: true });
  try {
    return db.prepare('SELECT status, errors, summary, finished_at FROM runs ORDER BY started_at').all() as never;
  } finally {
    db.close();
  }
}

const statusFileOf = (cloud: Cloud) => JSON.parse(readFileSync(cloud.statusFile, 'utf8')) as {
  healthy: boolean; errors: { tenant?: string; message: string }[]; run: { exit_code: number; status: string; summary: { complete: boolean } } | null;
};

describe('a run that is interrupted, or cannot start, is still recorded', () => {
  it('SIGTERM: no new tenant starts, tenants before commit are failed (not pending), the run and status file say so; exit 1', async () => {
    const cloud = writeCloud(plan(6));
    let signal: ((name: string) => boolean | Promise<unknown>) | undefined;
    let sent = false;
    const result = await run([...bill(cloud, '--all', ...MONTH, '--concurrency', '2')], {
      cwd: cloud.dir,
      onSignal: (handler) => {
        signal = handler;
        return () => (signal = undefined);
      },
      openCollector: wrapped((tenant) => {
        if (tenant === 'tenant-03' && !sent) {
          sent = true;
          expect(signal!('SIGTERM')).toBe(false);
        }
      }),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('artifice: SIGTERM: finishing the bills in progress and starting no new ones');
    expect(result.stderr).toContain('the run was interrupted by SIGTERM');
    expect(signal).toBeUndefined(); // unsubscribed at the end
    const rows = ledgerBills(cloud.database);
    expect(rows.filter((r) => r.status === 'pending')).toEqual([]);
    expect(rows.filter((r) => r.status === 'committed').map((r) => r.tenant)).toEqual(['tenant-01', 'tenant-02']);
    expect(rows.filter((r) => r.status === 'failed').map((r) => r.tenant)).toContain('tenant-03');
    expect(result.stdout).toMatch(/tenant-05.*failed.*not attempted: the run was interrupted by SIGTERM/);
    const [runRow] = runsOf(cloud.database);
    expect(runRow!.status).toBe('partial');
    expect((JSON.parse(runRow!.summary) as { complete: boolean }).complete).toBe(false);
    expect(JSON.parse(runRow!.errors)).toHaveLength(4);
    const status = statusFileOf(cloud);
    expect(status.run).toMatchObject({ exit_code: 1, status: 'partial', summary: { complete: false } });
    expect(status.errors).toHaveLength(4);
  });

  it('a second signal records the run at once (the process then exits; bills in progress stay pending)', async () => {
    const cloud = writeCloud(plan(3));
    let signal: ((name: string) => boolean | Promise<unknown>) | undefined;
    const exits: (boolean | Promise<unknown>)[] = [];
    const result = await run([...bill(cloud, '--all', ...MONTH, '--concurrency', '1')], {
      cwd: cloud.dir,
      onSignal: (handler) => {
        signal = handler;
        return () => {};
      },
      openCollector: wrapped((tenant, phase) => {
        if (tenant === 'tenant-02' && phase === 'start' && exits.length === 0) exits.push(signal!('SIGINT'), signal!('SIGINT'));
      }),
    });
    // The second asks the process to exit once the run is recorded (a promise), the first not at all.
    expect(exits[0]).toBe(false);
    expect(exits[1]).toBeInstanceOf(Promise);
    await exits[1];
    expect(result.code).toBe(1);
    const [runRow] = runsOf(cloud.database);
    expect(runRow!.status).toBe('failed');
    expect(runRow!.finished_at).not.toBeNull();
    expect(runRow!.errors).toContain('stopped at once by a second SIGINT; bills in progress stay pending, the next run resumes them');
    expect(statusFileOf(cloud).run).toMatchObject({ exit_code: 1, status: 'failed' });
  });

  it('telemetry that cannot be read: exit 2, the ledger is not created, and the status file says so', async () => {
    const cloud = writeCloud(plan(2));
    const result = await run([...bill(cloud, '--all', ...MONTH)], {
      cwd: cloud.dir,
      openCollector: async () => ({
        description: 'broken',
        prepare: async () => {
          throw new ConfigError('keystone: authentication failed (401) for user billing; check [keystone] username');
        },
        samples: async () => [],
        tenants: async () => [],
        close: async () => {},
      }),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('artifice: keystone: authentication failed (401) for user billing; check [keystone] username\n');
    // Bad input touches no ledger (issue 2): no file, no bill, no run row.
    expect(existsSync(cloud.database)).toBe(false);
    const status = statusFileOf(cloud);
    expect(status).toMatchObject({ healthy: false, run: null });
    expect(status.errors[0]!.message).toContain('authentication failed');
  });

  it('a ledger that cannot be opened: exit 2, and the status file (next to it) carries the error', async () => {
    const cloud = writeCloud(plan(1));
    writeIn(path.join(cloud.dir, 'ledger'), 'artifice.sqlite', 'not a database, but some text long enough to be read as one '.repeat(20));
    const result = await run([...bill(cloud, '--all', ...MONTH)], { cwd: cloud.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^artifice: cannot open ledger/);
    const status = statusFileOf(cloud);
    expect(status.run).toBeNull();
    expect(status.healthy).toBe(false);
    expect(status.errors[0]!.message).toMatch(/cannot open ledger/);
  });
});

describe('--all finds no tenant', () => {
  it('on a first run: nothing to bill, exit 0', async () => {
    const cloud = writeCloud(plan(2));
    const result = await run([...bill(cloud, '--all', '--month', '2024-08')], { cwd: cloud.dir, now: new Date('2024-09-05T00:00:00Z') });
    expect(result).toMatchObject({ code: 0, stdout: 'no tenants with telemetry in this window\n' });
  });

  it('though the ledger has billed tenants before: exit 1 and an error, and the run does not count as complete', async () => {
    const cloud = writeCloud(plan(2));
    expect((await run([...bill(cloud, '--all', ...MONTH)], { cwd: cloud.dir })).code).toBe(0);
    const result = await run([...bill(cloud, '--all', '--month', '2024-08')], { cwd: cloud.dir, now: new Date('2024-09-05T00:00:00Z') });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`--all found no tenant with telemetry in 2024-08 in file ${cloud.samples}, though the ledger has bills of 2 tenants: check the telemetry source (artifice check)`);
    const status = statusFileOf(cloud);
    expect(status.healthy).toBe(false);
    expect(status.errors[0]!.message).toMatch(/^--all found no tenant/);
    expect(status.run!.summary.complete).toBe(false);
  });
});
