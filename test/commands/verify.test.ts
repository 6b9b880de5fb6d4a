/**
 * `artifice verify`: a committed bill recomputed from the telemetry. A fixed point right after
 * billing; drift, resource by resource and line by line, after late samples reach the source.
 */
import { appendFileSync } from 'node:fs';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';
import { instanceOf, plan, run, sample, volumeOf, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

const T = 'tenant-01';
const MONTH = ['--month', '2024-05'];
/**
 * tenant-01's instance reports nothing on 10 May: 24 h uncovered, 720 h billed (120 samples in
 * the window; the look-back sample at 04-30 18:00 holds only up to the window start). Its 11 GB
 * volume adds 11 × 744 × 0.0001 = 0.8184 → 0.82, so the bill is 18.00 + 0.82 = 18.82 USD.
 */
const SILENT = ['2024-05-10T00:00:00Z', '2024-05-10T06:00:00Z', '2024-05-10T12:00:00Z', '2024-05-10T18:00:00Z'];

let cloud: Cloud;
const verify = (...args: string[]) => run(['verify', '--config', cloud.ini, '--tenant', T, ...MONTH, ...args], { cwd: cloud.dir });

beforeAll(async () => {
  cloud = writeCloud(plan(2, (t) => (t.id === T ? { ...t, skip: SILENT } : t)));
  const billed = await run(['bill', '--config', cloud.ini, '--tenant', T, ...MONTH, '--json'], { cwd: cloud.dir });
  expect(billed.code).toBe(0);
  const [bill] = (JSON.parse(billed.stdout) as { bills: { lines: { name: string; quantity: string; amount: string }[] }[] }).bills;
  expect(bill!.lines.find((l) => l.name === 'm1.small')).toMatchObject({ quantity: '720', amount: '18.00' });
});

describe('verify', () => {
  it('right after billing: a fixed point, exit 0', async () => {
    const result = await verify();
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^fixed point: recomputing the window from the telemetry gives exactly the usage that was billed \(2 resource records, 2 lines\)$/m);
    expect(result.stdout).not.toContain('DRIFT');
  });

  it('a late sample inside a covered stretch changes a sample count, not the bill: still a fixed point, with a note', async () => {
    appendFileSync(cloud.samples, `${sample(T, 'volume.size', volumeOf(T), '2024-05-05T03:00:00Z', 11, { status: 'in-use' })}\n`);
    const result = await verify();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('fixed point');
    expect(result.stdout).toContain(`note: 1 resource has a different sample count but the same quantity (${volumeOf(T)} 124→125)`);
  });

  it('late samples that change usage: exit 1 and a diff per resource and per line, amounts at the stored rate', async () => {
    // The instance reported after all at 12:00 on 10 May (6 more hours), and a second instance
    // of another flavor turned up for 6 hours: a line the bill did not have.
    appendFileSync(cloud.samples, [
      sample(T, 'instance', instanceOf(T), '2024-05-10T12:00:00Z', 1, { 'flavor.name': 'm1.small', status: 'active' }),
      sample(T, 'instance', 'vm-late', '2024-05-20T00:00:00Z', 1, { 'flavor.name': 'm1.medium', status: 'active' }),
      '',
    ].join('\n'));
    const result = await verify();
    expect(result.code).toBe(1);
    const out = result.stdout;
    expect(out).toContain('DRIFT: the telemetry now gives different usage than was billed');
    expect(out).toContain('resources that changed (2 of 3):');
    expect(out).toMatch(new RegExp(`east\\s+m1\\.small\\s+${instanceOf(T)}\\s+instance\\s+720\\s+726\\s+\\+6\\s+hour\\s+120 → 121`));
    expect(out).toMatch(/east\s+m1\.medium\s+vm-late\s+instance\s+0\s+6\s+\+6\s+hour\s+new \(1\)/);
    expect(out).toContain('lines that changed (2 of 3), amounts at the stored rate:');
    expect(out).toMatch(/east\s+m1\.small\s+720\s+726\s+\+6\s+hour\s+0\.025\s+18\.00\s+18\.15\s+\+0\.15/);
    expect(out).toMatch(/east\s+m1\.medium\s+0\s+6\s+\+6\s+hour\s+0\.05 \(current\)\s+0\.00\s+0\.30\s+\+0\.30/);
    expect(out).toMatch(/^total: billed 18\.82 USD, now 19\.27 USD, difference \+0\.45 USD$/m);
    expect(out).toContain(`artifice void --tenant ${T} --month 2024-05`);
  });

  it('--json: the same diff for machines', async () => {
    const result = await verify('--json');
    expect(result.code).toBe(1);
    const diff = JSON.parse(result.stdout) as {
      fixed_point: boolean; resources: { resource_id: string; stored: string; now: string; delta: string }[];
      lines: { name: string; delta: string; amount_delta: string; rate_source: string }[]; total: { stored: string; now: string; delta: string };
    };
    expect(diff.fixed_point).toBe(false);
    expect(diff.resources.map((r) => [r.resource_id, r.stored, r.now, r.delta])).toEqual([
      [instanceOf(T), '720', '726', '6'],
      ['vm-late', '0', '6', '6'],
    ]);
    expect(diff.lines.map((l) => [l.name, l.delta, l.amount_delta, l.rate_source])).toEqual([
      ['m1.small', '6', '0.15', 'stored'],
      ['m1.medium', '6', '0.30', 'current'],
    ]);
    expect(diff.total).toEqual({ stored: '18.82', now: '19.27', delta: '0.45' });
  });

  it('nothing to verify: exit 3 with a clear message; a missing --tenant is exit 2', async () => {
    const april = await run(['verify', '--config', cloud.ini, '--tenant', T, '--month', '2024-04'], { cwd: cloud.dir });
    expect(april.code).toBe(3);
    expect(april.stderr).toMatch(/no committed bill of tenant-01 for 2024-04, so there is nothing to verify/);
    const other = await run(['verify', '--config', cloud.ini, '--tenant', 'tenant-02', ...MONTH], { cwd: cloud.dir });
    expect(other.code).toBe(3);
    const none = await run(['verify', '--config', cloud.ini, ...MONTH], { cwd: cloud.dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/verify takes exactly one --tenant/);
  });

  it('--tenant also takes the name the tenant was billed under (--all records the names the telemetry gives)', async () => {
    const all = await run(['bill', '--config', cloud.ini, '--all', ...MONTH], { cwd: cloud.dir });
    expect(all.code).toBe(0); // tenant-02 committed, tenant-01 already billed
    const result = await run(['verify', '--config', cloud.ini, '--tenant', 'tenant-02-name', ...MONTH], { cwd: cloud.dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('fixed point');
    expect(result.stdout).toContain('tenant-02');
  });
});

describe('verify of a window it cannot price again', () => {
  /** An adapter whose m1.medium rate is the [invoice:object] key `medium`, here hex: '0x19' would be 25. */
  const HEX = `
export class Hex {
  constructor(tenant, config) { this.config = config; }
  cost(datacenter, service) { return { 'm1.small': '0.025', 'volume.size': '0.0001', 'm1.medium': this.config.medium }[service]; }
  addSection() {}
  addLine() {}
  commit() { return 'hex'; }
}
`;
  const refused = "the invoice adapter's cost(east, m1.medium) returned '0x19', not a rate ≥ 0 in plain decimal notation";

  it('bill refuses a rate of 0x19; verify says it cannot check the bill, and why, rather than compare lines it cannot price', async () => {
    const hex = writeCloud(plan(2), { invoice: './hex.mjs:Hex', invoiceKeys: ['medium = 0x19'] });
    writeIn(hex.dir, 'hex.mjs', HEX);
    const billed = await run(['bill', '--config', hex.ini, '--all', ...MONTH, '--json'], { cwd: hex.dir });
    expect(billed.code).toBe(1);
    const bills = (JSON.parse(billed.stdout) as { bills: { tenant: string; status: string; error?: string }[] }).bills;
    expect(bills.find((b) => b.tenant === 'tenant-01')?.status).toBe('committed');
    expect(bills.find((b) => b.tenant === 'tenant-02')).toMatchObject({ status: 'failed', error: expect.stringContaining(refused) });

    // tenant-01 turns out to have run an m1.medium too: its window cannot be priced as bill would.
    appendFileSync(hex.samples, `${sample(T, 'instance', 'vm-late', '2024-05-20T00:00:00Z', 1, { 'flavor.name': 'm1.medium', status: 'active' })}\n`);
    for (const json of [[], ['--json']]) {
      const result = await run(['verify', '--config', hex.ini, '--tenant', T, ...MONTH, ...json], { cwd: hex.dir });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(`cannot price ${T} 2024-05 again as bill would, so its lines cannot be compared: ${refused}`);
    }
  });
});
