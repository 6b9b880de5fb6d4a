/**
 * The metrics file ([main] metrics_file) read by a real parser: `promtool check metrics`, from
 * Prometheus (test/services/promtool-up.sh installs it; `npm run test:metrics` runs this suite,
 * .ci/run after promtool-up.sh). Runs of `artifice bill` that fail and succeed change it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cleanTempDirs } from '../helpers/tmp.js';
import { plan, RATES, run, writeCloud, type Cloud } from '../operator/fixture.js';

afterAll(cleanTempDirs);

/** promtool on PATH (or $PROMTOOL); this suite exists to run it, so its absence is a failure. */
function promtool(): string {
  if (process.env.PROMTOOL) return process.env.PROMTOOL;
  try {
    return execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('promtool is not installed: run test/services/promtool-up.sh (it installs Debian\'s prometheus package)');
  }
}

/** `promtool check metrics` of the file: its exit code and what it said (lint problems included). */
function check(file: string): { code: number | null; said: string } {
  const result = spawnSync(promtool(), ['check', 'metrics'], { input: readFileSync(file), encoding: 'utf8' });
  return { code: result.status, said: `${result.stdout}${result.stderr}`.trim() };
}

/** The metrics file's samples, `series` (exactly as written, labels included) → value. */
function samples(file: string): Record<string, number> {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
}

const metricsFile = (cloud: Cloud) => path.join(cloud.dir, 'textfile', 'artifice.prom');
const bill = (cloud: Cloud, now: string) => run(['bill', '--config', cloud.ini, '--all', '--month', '2024-05', '--quiet'], { cwd: cloud.dir, now: new Date(now) });

describe('the metrics file passes promtool check metrics and follows the runs', () => {
  it('a run with a failing tenant, then a good one, then one that cannot start', async () => {
    // tenant-02 runs a flavor the rates file does not price: it fails until the rate is added.
    const cloud = writeCloud(plan(3, (t, i) => (i === 2 ? { ...t, flavor: 'x1.special' } : t)), {
      mainExtra: ['metrics_file = textfile/artifice.prom'],
    });
    const file = metricsFile(cloud);

    const first = await bill(cloud, '2024-06-02T00:00:00Z');
    expect(first.code).toBe(1);
    expect(check(file)).toEqual({ code: 0, said: '' });
    expect(samples(file)).toMatchObject({
      'artifice_last_run_outcome{outcome="partial"}': 1,
      'artifice_last_run_tenants{outcome="committed"}': 2,
      'artifice_last_run_tenants{outcome="failed"}': 1,
      'artifice_last_run_exit_code': 1,
      'artifice_last_run_billed{currency="USD"}': expect.any(Number),
      'artifice_unbilled_months': 1,
      'artifice_healthy': 0,
      'artifice_last_run_end_timestamp_seconds': Date.parse('2024-06-02T00:00:00Z') / 1000,
      'artifice_next_run_expected_timestamp_seconds': Date.parse('2024-07-02T06:00:00Z') / 1000,
    });
    const billedFirst = samples(file)['artifice_last_run_billed{currency="USD"}']!;
    expect(billedFirst).toBeGreaterThan(0);

    // The operator adds the rate (in a new rates file: the adapter reads a rates file once per process).
    writeFileSync(path.join(cloud.dir, 'rates-2.csv'), `${RATES}\n*,x1.special,hour,0.5\n`);
    writeFileSync(cloud.ini, readFileSync(cloud.ini, 'utf8').replace('rates = rates.csv', 'rates = rates-2.csv'));
    const second = await bill(cloud, '2024-06-03T00:00:00Z');
    expect(second.code).toBe(0);
    expect(check(file)).toEqual({ code: 0, said: '' });
    expect(samples(file)).toMatchObject({
      'artifice_last_run_outcome{outcome="ok"}': 1,
      'artifice_last_run_outcome{outcome="partial"}': 0,
      'artifice_last_run_tenants{outcome="committed"}': 1,
      'artifice_last_run_tenants{outcome="skipped"}': 2,
      'artifice_last_run_tenants{outcome="failed"}': 0,
      'artifice_unbilled_months': 0,
      'artifice_healthy': 1,
      'artifice_last_run_start_timestamp_seconds': Date.parse('2024-06-03T00:00:00Z') / 1000,
    });

    // No samples file: the run stops before the ledger opens (exit 2), and the file still says so.
    rmSync(cloud.samples);
    const third = await bill(cloud, '2024-06-04T00:00:00Z');
    expect(third.code).toBe(2);
    expect(check(file)).toEqual({ code: 0, said: '' });
    expect(samples(file)).toMatchObject({
      'artifice_last_run_outcome{outcome="failed"}': 1,
      'artifice_last_run_exit_code': 2,
      'artifice_unbilled_months': 0, // read from the ledger that exists
    });
    expect(samples(file)).not.toHaveProperty(['artifice_last_run_start_timestamp_seconds']);
  });

  it('promtool is a real check: it refuses what breaks the conventions', () => {
    const cloud = writeCloud(plan(1));
    const bad = path.join(cloud.dir, 'bad.prom');
    writeFileSync(bad, '# HELP artifice_runs Runs.\n# TYPE artifice_runs counter\nartifice_runs 3\n');
    expect(check(bad).code).not.toBe(0);
  });
});
