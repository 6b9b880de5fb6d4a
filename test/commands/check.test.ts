/**
 * `artifice check`: one report, PASS/FAIL per item, a closing line, exit 0 only when every
 * item passes (2 otherwise).
 */
import { existsSync } from 'node:fs';
import { cleanTempDirs } from '../helpers/tmp.js';
import { hasAnsi, plan, run, writeCloud, RATES } from '../operator/fixture.js';

afterAll(cleanTempDirs);

/** The fixture's rates plus every other service of the default meters.ini. */
const FULL = [
  RATES,
  '*,ip.floating,hour,0.005',
  '*,image.size,gigabyte-hour,0.00009',
  '*,storage.objects.size,gigabyte-hour,0.00004',
  '*,network.incoming.bytes,gigabyte,0',
  '*,network.outgoing.bytes,gigabyte,0.09',
].join('\n');

interface Report {
  ok: boolean;
  failed: number;
  items: { name: string; ok: boolean; detail: string }[];
}

describe('check', () => {
  it('a good setup: every item PASS, "all N checks passed", exit 0; it creates no ledger', async () => {
    const cloud = writeCloud(plan(1), { rates: FULL });
    const result = await run(['check', '--config', cloud.ini], { cwd: cloud.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^config\s+PASS\s+/m);
    expect(result.stdout).toMatch(/^adapter\s+PASS\s+csv loads/m);
    expect(result.stdout).toMatch(/^price coverage\s+PASS\s+east: all \d+ services priced$/m);
    expect(result.stdout).toMatch(/^price coverage\s+PASS\s+RegionOne: all \d+ services priced$/m);
    expect(result.stdout).toMatch(/^ledger\s+PASS\s+.*does not exist yet; the first bill creates it/m);
    expect(result.stdout).toMatch(/^status file\s+PASS\s+.*status\.json \(written by the first bill run\)/m);
    expect(result.stdout).toMatch(/\nall \d+ checks passed\n$/);
    expect(result.stdout).not.toContain('FAIL');
    expect(existsSync(cloud.database)).toBe(false);
  });

  it('after a bill, the flavors on the latest bills are checked too; a missing price is a FAIL naming the pair (exit 2)', async () => {
    const cloud = writeCloud(plan(2), { rates: FULL.replace('*,m1.medium,hour,0.05\n', '') });
    // tenant-01 (m1.small) bills; tenant-02 (m1.medium) fails for want of a price.
    expect((await run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05'], { cwd: cloud.dir })).code).toBe(1);
    const ok = await run(['check', '--config', cloud.ini, '--json'], { cwd: cloud.dir });
    const report = JSON.parse(ok.stdout) as Report;
    const coverage = report.items.filter((i) => i.name === 'price coverage');
    expect(coverage.length).toBeGreaterThan(1);
    expect(coverage.every((i) => i.ok)).toBe(true);
    expect(report.items.find((i) => i.name === 'ledger')).toMatchObject({ ok: true, detail: expect.stringMatching(/2 tenants, 0 pending claims, last run \S+ \(partial\)/) });

    const noVolume = writeCloud(plan(1), { rates: FULL.replace('*,volume.size,gigabyte-hour,0.0001\n', '') });
    const result = await run(['check', '--config', noVolume.ini], { cwd: noVolume.dir });
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/^price coverage\s+FAIL\s+RegionOne: no price for volume\.size$/m);
    expect(result.stdout).toMatch(/^price coverage\s+FAIL\s+east: no price for volume\.size$/m);
    expect(result.stdout).toMatch(/\n2 of \d+ checks failed: price coverage \(exit 2\)\n$/);
  });

  it('a config that does not load: FAIL, exit 2, the other parts are not run', async () => {
    const cloud = writeCloud(plan(1), { mainExtra: ['colour = blue'] });
    const result = await run(['check', '--config', cloud.ini, '--json'], { cwd: cloud.dir });
    expect(result.code).toBe(2);
    const report = JSON.parse(result.stdout) as Report;
    expect(report).toMatchObject({ ok: false, failed: 1 });
    expect(report.items).toEqual([{ name: 'config', ok: false, detail: expect.stringMatching(/\[main\] colour: unknown key/) }]);
  });

  it('PASS/FAIL are coloured on a terminal only', async () => {
    const cloud = writeCloud(plan(1));
    expect(hasAnsi((await run(['check', '--config', cloud.ini], { cwd: cloud.dir, stdoutIsTTY: true })).stdout)).toBe(true);
    expect(hasAnsi((await run(['check', '--config', cloud.ini], { cwd: cloud.dir, stdoutIsTTY: true, env: { NO_COLOR: 'x' } })).stdout)).toBe(false);
  });
});
