/**
 * `artifice bill` as an operator sees it: output on a terminal and in cron (progress, colour,
 * --quiet, --verbose, --json, --explain), concurrency, and a window another run holds. The
 * run's life cycle (interrupted, cannot start, --all finds nobody) is test/billing/run.test.ts.
 */
import os from 'node:os';
import { Ledger } from '../../src/ledger.js';
import { monthWindow } from '../../src/period.js';
import { ledgerBills } from '../helpers/cli.js';
import { hookedFileCollector as wrapped } from '../helpers/collector.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { AFTER_MAY, bills, hasAnsi, plan, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const MONTH = ['--month', '2024-05'];
const MAY = monthWindow({ year: 2024, month: 5 }, 'UTC');
const bill = (cloud: Cloud, ...args: string[]) => ['bill', '--config', cloud.ini, ...args];

/** A clock that moves 1 s per reading, so the progress line has a rate and a time left. */
function ticking(start = AFTER_MAY): () => Date {
  let t = start.getTime();
  return () => new Date((t += 1000));
}

describe('output for cron and for a terminal', () => {
  it('cron (stderr not a terminal): a table and a summary line on stdout, nothing on stderr, no \\r, no colour', async () => {
    const cloud = writeCloud(plan(3));
    const result = await run([...bill(cloud, '--all', ...MONTH)], { cwd: cloud.dir, now: ticking() });
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^tenant\s+window\s+status\s+lines\s+total\s+invoice \/ reason$/m);
    expect(result.stdout).toContain('3 committed, 0 skipped, 0 failed; billed');
    expect(hasAnsi(result.stdout)).toBe(false);
    expect(result.stdout).not.toContain('\r');
  });

  it('a terminal: a progress line on stderr (done/total, rate, time left), erased before the summary', async () => {
    const cloud = writeCloud(plan(3));
    const result = await run([...bill(cloud, '--all', ...MONTH, '--concurrency', '1')], { cwd: cloud.dir, now: ticking(), isTTY: true });
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/\rbilling: 0\/3 tenants/);
    expect(result.stderr).toMatch(/\rbilling: 1\/3 tenants · [\d.]+ s each · about [\d.]+ s left · tenant-01-name committed/);
    expect(result.stderr).toMatch(/\rbilling: 3\/3 tenants · [\d.]+ s each · done in [\d.]+ s · tenant-03-name committed/);
    // The last thing on stderr blanks the line and returns the cursor.
    expect(result.stderr).toMatch(/\r {10,}\r$/);
    // Progress is stderr only: stdout is the same report as in cron.
    expect(result.stdout).not.toContain('\r');
  });

  it('--json and --quiet never draw progress, even on a terminal', async () => {
    const cloud = writeCloud(plan(2));
    const json = await run([...bill(cloud, '--all', ...MONTH, '--json')], { cwd: cloud.dir, isTTY: true });
    expect(json.stderr).toBe('');
    expect(bills(json.stdout)).toHaveLength(2);
  });

  it('colour only on a terminal: stdout by its own terminal test; NO_COLOR turns it off; FORCE_COLOR forces it', async () => {
    const cloud = writeCloud(plan(2));
    const args = bill(cloud, '--all', ...MONTH, '--dry-run');
    const tty = await run(args, { cwd: cloud.dir, isTTY: true, stdoutIsTTY: true });
    expect(hasAnsi(tty.stdout)).toBe(true);
    // Colour codes never skew the columns: the status column still lines up.
    const plain = tty.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).toMatch(/^tenant-01-name \(tenant-01\)\s+2024-05\s+preview\s+2/m);
    expect(hasAnsi((await run(args, { cwd: cloud.dir, isTTY: true, stdoutIsTTY: true, env: { NO_COLOR: '1' } })).stdout)).toBe(false);
    expect(hasAnsi((await run(args, { cwd: cloud.dir, isTTY: false, stdoutIsTTY: false })).stdout)).toBe(false);
    expect(hasAnsi((await run(args, { cwd: cloud.dir, stdoutIsTTY: false, env: { FORCE_COLOR: '1' } })).stdout)).toBe(true);
    expect(hasAnsi((await run(args, { cwd: cloud.dir, stdoutIsTTY: true, env: { FORCE_COLOR: '0' } })).stdout)).toBe(false);
    expect(hasAnsi((await run(args, { cwd: cloud.dir, stdoutIsTTY: true, env: { TERM: 'dumb' } })).stdout)).toBe(false);
  });

  it('the summary table of a run over several tenants counts each bill\'s lines', async () => {
    const cloud = writeCloud(plan(3));
    const result = await run([...bill(cloud, '--all', ...MONTH)], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    // Each tenant of the plan bills 2 lines (see the --verbose test above).
    for (const tenant of ['tenant-01', 'tenant-02', 'tenant-03']) expect(result.stdout).toMatch(new RegExp(`^${tenant}-name \\(${tenant}\\)\\s+2024-05\\s+committed\\s+2\\s`, 'm'));
  });

  it('--quiet: the failures on stderr and the summary line on stdout, nothing else', async () => {
    const cloud = writeCloud(plan(3, (t) => (t.id === 'tenant-02' ? { ...t, flavor: 'x9.unpriced' } : t)));
    const result = await run([...bill(cloud, '--all', ...MONTH, '--quiet')], { cwd: cloud.dir, isTTY: true });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^2 committed, 0 skipped, 1 failed; billed [\d.]+ USD\n$/);
    expect(result.stderr.replace(/\x1b\[[0-9;]*m/g, '')).toBe('error: tenant-02 2024-05: no price for east/x9.unpriced (datacenter/service); add them to the rates, or set [main] allow_unpriced = true\n');
  });

  it('--verbose: one line per tenant on stderr as it finishes, plain in cron', async () => {
    const cloud = writeCloud(plan(2));
    const result = await run([...bill(cloud, '--all', ...MONTH, '--verbose')], { cwd: cloud.dir, now: ticking() });
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^billing 2 tenants for 2024-05 \[2024-05-01T00:00:00Z, 2024-06-01T00:00:00Z\), 2 at once$/);
    // Lines come in the order the tenants finish (either one first): sort them without the counter.
    const done = lines.slice(1);
    expect(done.map((l) => l.slice(0, 6)).sort()).toEqual(['[1/2] ', '[2/2] ']);
    expect(done.map((l) => l.replace(/^\[\d\/2\] /, '')).sort()).toEqual([
      expect.stringMatching(/^tenant-01-name \(tenant-01\) 2024-05 committed · 2 lines from 2 resources · 19\.42 USD · .*tenant-01_20240501T000000Z_20240601T000000Z\.csv · in [\d.]+ s$/),
      expect.stringMatching(/^tenant-02-name \(tenant-02\) 2024-05 committed · 2 lines from 2 resources · /),
    ]);
    expect(hasAnsi(result.stderr)).toBe(false);
  });
});

describe('--explain', () => {
  const GAP = ['2024-05-10T00:00:00Z', '2024-05-10T06:00:00Z', '2024-05-10T12:00:00Z', '2024-05-10T18:00:00Z'];
  let cloud: Cloud;
  beforeAll(() => {
    cloud = writeCloud(plan(2, (t) => (t.id === 'tenant-01' ? { ...t, skip: GAP } : t)));
  });

  it('bill --json --explain: an `explain` array per bill (resources, samples, first/last sample, gaps, rate); DESIGN keys unchanged', async () => {
    const result = await run([...bill(cloud, '--tenant', 'tenant-01', ...MONTH, '--json', '--explain')], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    const [b] = bills(result.stdout);
    const design = ['tenant', 'start', 'end', 'status', 'total', 'currency', 'invoice', 'lines'];
    expect(Object.keys(b!).filter((key) => design.includes(key))).toEqual(design);
    expect((b as unknown as { tenant_name?: string }).tenant_name).toBe('tenant-01-name'); // --tenant by id: the name the telemetry gives
    expect(b!.lines.map((l) => [l.name, l.quantity, l.rate, l.amount])).toEqual([['m1.small', '720', '0.025', '18.00'], ['volume.size', '8184', '0.0001', '0.82']]);
    expect(b!.explain).toEqual([
      {
        datacenter: 'east', name: 'm1.small', unit: 'hour', quantity: '720', rate: '0.025', amount: '18.00',
        // What priced it: row 2 of the rates file (the header is row 1), everyone's price.
        basis: { kind: 'rate', row: 2, scope: '*' }, why: 'rates row 2 (everyone)',
        resources: [{
          resource_id: 'vm-tenant-01', meter: 'instance', quantity: '720', unit: 'hour', samples: 120,
          first_sample: '2024-05-01T00:00:00Z', last_sample: '2024-05-31T18:00:00Z',
          gaps: [{ start: '2024-05-10T00:00:00Z', end: '2024-05-11T00:00:00Z' }], gap_hours: '24',
        }],
      },
      {
        datacenter: 'east', name: 'volume.size', unit: 'gigabyte-hour', quantity: '8184', rate: '0.0001', amount: '0.82',
        basis: { kind: 'rate', row: 4, scope: '*' }, why: 'rates row 4 (everyone)',
        resources: [expect.objectContaining({ resource_id: 'vol-tenant-01', meter: 'volume.size', quantity: '8184', samples: 124, gaps: [], gap_hours: '0' })],
      },
    ]);
  });

  it('bill --explain of a billed window shows what the ledger stored for it', async () => {
    const result = await run([...bill(cloud, '--tenant', 'tenant-01', ...MONTH, '--explain')], { cwd: cloud.dir });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^tenant-01-name \(tenant-01\) 2024-05: how each line came to be \(bill \w{8}, as stored in the ledger\)$/m);
    expect(result.stdout).toMatch(/^ {2}east \/ m1\.small: 720 hour × 0\.025 = 18\.00 USD \(1 resource\)$/m);
    expect(result.stdout).toMatch(/^ {4}priced by rates row 2 \(everyone\)$/m);
    expect(result.stdout).toMatch(/vm-tenant-01\s+instance\s+720\s+120\s+2024-05-01T00:00:00Z\s+2024-05-31T18:00:00Z\s+1 \(24 h\): 2024-05-10T00:00:00Z\.\.2024-05-11T00:00:00Z/);
  });

  it('usage --explain explains a tenant that cannot be priced too', async () => {
    const odd = writeCloud(plan(1, (t) => ({ ...t, flavor: 'x9.unpriced' })));
    const result = await run(['usage', '--config', odd.ini, '--tenant', 'tenant-01', ...MONTH, '--explain'], { cwd: odd.dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}east \/ x9\.unpriced: 744 hour not priced \(1 resource\)$/m);
  });
});

describe('concurrency', () => {
  async function most(cloud: Cloud, args: string[]): Promise<number> {
    const active = new Map<string, number>();
    let peak = 0;
    const result = await run([...bill(cloud, '--all', ...MONTH, '--dry-run', ...args)], {
      cwd: cloud.dir,
      openCollector: wrapped((tenant, phase) => {
        active.set(tenant, (active.get(tenant) ?? 0) + (phase === 'start' ? 1 : -1));
        if (active.get(tenant) === 0) active.delete(tenant);
        peak = Math.max(peak, active.size);
      }),
    });
    expect(result.code).toBe(0);
    return peak;
  }

  it('--concurrency N bills N tenants at once; without it, [main] concurrency (default 4)', async () => {
    const cloud = writeCloud(plan(8));
    expect(await most(cloud, ['--concurrency', '2'])).toBe(2);
    expect(await most(cloud, [])).toBe(4);
    const three = writeCloud(plan(8), { mainExtra: ['concurrency = 3'] });
    expect(await most(three, [])).toBe(3);
    expect(await most(three, ['--concurrency', '1'])).toBe(1);
  });

  it('--concurrency 0 is a usage error (exit 2)', async () => {
    const cloud = writeCloud(plan(1));
    const result = await run([...bill(cloud, '--all', ...MONTH, '--concurrency', '0')], { cwd: cloud.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--concurrency must be a whole number ≥ 1/);
  });
});

describe('a window another run holds', () => {
  it('is skipped, naming the holder; the others are billed (exit 0)', async () => {
    const cloud = writeCloud(plan(3));
    const other = Ledger.open(cloud.database);
    try {
      expect((await other.claim({ id: 'tenant-02' }, MAY, { host: os.hostname(), pid: process.pid, runId: 'feedface-other-run' })).kind).toBe('claimed');
    } finally {
      await other.close();
    }
    const result = await run([...bill(cloud, '--all', ...MONTH)], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`tenant-02.*skipped.*being billed by another run: ${os.hostname()} pid ${process.pid} \\(run feedface\\), claimed \\S+, last heartbeat \\S+; left to it`));
    expect(result.stderr).toMatch(/warning: 1 tenant was being billed by another run \(.* pid \d+ \(run feedface\)\): left to it; `artifice status` shows the claims/);
    expect(ledgerBills(cloud.database).map((r) => [r.tenant, r.status])).toEqual([
      ['tenant-01', 'committed'], ['tenant-02', 'pending'], ['tenant-03', 'committed'],
    ]);
  });

  it('all windows held or billed: exit 3', async () => {
    const cloud = writeCloud(plan(1));
    const other = Ledger.open(cloud.database);
    try {
      await other.claim({ id: 'tenant-01' }, MAY, { host: os.hostname(), pid: process.pid, runId: 'feedface-other-run' });
    } finally {
      await other.close();
    }
    const result = await run([...bill(cloud, '--tenant', 'tenant-01', ...MONTH)], { cwd: cloud.dir });
    expect(result.code).toBe(3);
  });
});
