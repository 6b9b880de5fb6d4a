/**
 * contrib/systemd: the service and timer units pass `systemd-analyze verify` (skipped, saying so,
 * on a machine without systemd-analyze), with ExecStart pointed at this checkout's bin/artifice
 * (verify insists the binary exists).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/model/paths.js';

const ROOT = packageRoot();
const UNITS = path.join(ROOT, 'contrib', 'systemd');
const hasAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

function verify(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifice-units-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
    const run = spawnSync('systemd-analyze', ['verify', ...Object.keys(files)], { cwd: dir, encoding: 'utf8' });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const unit = (name: string) => readFileSync(path.join(UNITS, name), 'utf8');

(hasAnalyze ? describe : describe.skip)('contrib/systemd (systemd-analyze verify)', () => {
  it('the timer and its service verify cleanly', () => {
    const service = unit('artifice.service').replace('/usr/bin/artifice', path.join(ROOT, 'bin', 'artifice'));
    const result = verify({ 'artifice.service': service, 'artifice.timer': unit('artifice.timer') });
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it('verify does catch a broken unit (the check is not vacuous)', () => {
    const result = verify({ 'artifice.service': unit('artifice.service').replace('/usr/bin/artifice', 'artifice-relative') });
    expect(result.output).toMatch(/artifice-relative|ExecStart/);
  });

  it('runs monthly, catches up after downtime, and bills every tenant quietly', () => {
    expect(unit('artifice.timer')).toMatch(/^OnCalendar=\*-\*-02 /m);
    expect(unit('artifice.timer')).toMatch(/^Persistent=true$/m);
    expect(unit('artifice.service')).toMatch(/^ExecStart=\/usr\/bin\/artifice bill --all --quiet$/m);
  });
});
