/**
 * src/billing/metrics.ts: the metrics file is the status file as gauges (without promtool; the
 * suite test/metrics/ checks the same files with it), written only when [main] metrics_file is set.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { metricsText, writeRunMetrics } from '../../src/billing/metrics.js';
import type { StatusFile } from '../../src/billing/status-file.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanTempDirs);

const PARTIAL: StatusFile = {
  version: 1,
  written_at: '2024-06-01T07:31:02.120Z',
  healthy: false,
  problems: ['this run had 1 error'],
  run: {
    id: 'r1', command: 'bill', args: ['--all', '2024-05'], host: 'billing-1', pid: 4242, started_at: '2024-06-01T07:30:00.000Z',
    finished_at: '2024-06-01T07:31:02.120Z', status: 'partial', exit_code: 1,
    summary: { counts: { tenants: 4, committed: 2, skipped: 1, empty: 0, failed: 1 }, totals: { EUR: '3.50', USD: '12345.67' } },
  },
  errors: [{ tenant: 't3', message: 'no price for east/x1.special (datacenter/service)' }],
  last_billed: {},
  unbilled: [{ tenant: 't3', month: '2024-05', why: 'failed: no price' }, { tenant: 't3', month: '2024-04', why: 'failed' }] as StatusFile['unbilled'],
  pending: [{ alive: false }, { alive: true }, { alive: null }, { alive: false }] as unknown as StatusFile['pending'],
  next_run_expected_by: '2024-07-02T06:00:00.000Z',
};

/** The sample lines of `text` (no HELP/TYPE), as `name{labels} value`. */
const samples = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));

describe('metricsText', () => {
  it('says what the status file says: the run, its tenants and totals, unbilled months, claims, the next run', () => {
    expect(samples(metricsText(PARTIAL, { exitCode: 1, currency: 'USD' }))).toEqual([
      'artifice_last_run_start_timestamp_seconds 1717227000',
      'artifice_last_run_end_timestamp_seconds 1717227062.12',
      'artifice_last_run_outcome{outcome="ok"} 0',
      'artifice_last_run_outcome{outcome="partial"} 1',
      'artifice_last_run_outcome{outcome="failed"} 0',
      'artifice_last_run_exit_code 1',
      'artifice_last_run_errors 1',
      'artifice_last_run_tenants{outcome="committed"} 2',
      'artifice_last_run_tenants{outcome="skipped"} 1',
      'artifice_last_run_tenants{outcome="empty"} 0',
      'artifice_last_run_tenants{outcome="failed"} 1',
      'artifice_last_run_billed{currency="EUR"} 3.5',
      'artifice_last_run_billed{currency="USD"} 12345.67',
      'artifice_healthy 0',
      'artifice_unbilled_months 2',
      'artifice_pending_claims{owner="alive"} 1',
      'artifice_pending_claims{owner="gone"} 2',
      'artifice_pending_claims{owner="unknown"} 1',
      'artifice_next_run_expected_timestamp_seconds 1719900000',
    ]);
  });

  it('a run that stopped before the ledger opened: failed, no start, zero tenants, the currency billed 0', () => {
    const text = metricsText({ ...PARTIAL, run: null, unbilled: [], pending: [] }, { exitCode: 2, currency: 'NZD' });
    expect(text).not.toContain('artifice_last_run_start_timestamp_seconds');
    expect(samples(text)).toEqual(expect.arrayContaining([
      'artifice_last_run_outcome{outcome="failed"} 1', 'artifice_last_run_exit_code 2', 'artifice_last_run_tenants{outcome="committed"} 0',
      'artifice_last_run_billed{currency="NZD"} 0', 'artifice_pending_claims{owner="gone"} 0',
    ]));
  });

  it('every family has HELP and TYPE, is a gauge, and is listed in docs/operations.md', () => {
    const text = metricsText(PARTIAL, { exitCode: 1, currency: 'USD' });
    const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]);
    expect(new Set(families.map(([, type]) => type))).toEqual(new Set(['gauge']));
    const helped = [...text.matchAll(/^# HELP (\S+) /gm)].map((m) => m[1]);
    expect(helped).toEqual(families.map(([name]) => name));
    const docs = readFileSync(path.join(process.cwd(), 'docs', 'operations.md'), 'utf8');
    for (const [name] of families) expect(docs).toContain(`\`${name}\``);
  });
});

describe('writeRunMetrics', () => {
  it('writes the file (its directory too) when [main] metrics_file is set, replacing it whole', () => {
    const dir = tempDir('artifice-metrics-');
    const file = path.join(dir, 'textfile', 'artifice.prom');
    const errors: string[] = [];
    const ctx = { config: { main: { metricsFile: file, currency: 'USD' } }, out: { error: (t: string) => errors.push(t) } };
    writeRunMetrics(ctx, PARTIAL, 1);
    writeRunMetrics(ctx, { ...PARTIAL, healthy: true }, 0);
    expect(errors).toEqual([]);
    expect(readFileSync(file, 'utf8')).toContain('\nartifice_healthy 1\n');
    expect(readdirSync(path.dirname(file))).toEqual(['artifice.prom']);
  });

  it('writes nothing without metrics_file; a file it cannot write is one error line, not a throw', () => {
    const dir = tempDir('artifice-metrics-');
    const errors: string[] = [];
    writeRunMetrics({ config: { main: { currency: 'USD' } }, out: { error: (t) => errors.push(t) } }, PARTIAL, 1);
    expect(readdirSync(dir)).toEqual([]);
    const file = path.join(dir, 'not-a-dir', 'm.prom');
    writeFileSync(path.join(dir, 'not-a-dir'), 'a regular file');
    writeRunMetrics({ config: { main: { metricsFile: file, currency: 'USD' } }, out: { error: (t) => errors.push(t) } }, PARTIAL, 1);
    expect(existsSync(file)).toBe(false);
    expect(errors).toEqual([expect.stringMatching(/^cannot write the metrics file .*m\.prom: .*; check \[main\] metrics_file \(the monitor will see stale metrics\)$/)]);
  });
});
