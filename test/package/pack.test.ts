/**
 * The package as an operator installs it: `npm pack` (which builds on prepack), the tarball
 * installed into a temporary prefix with `npm install --global --prefix`, then the installed
 * `artifice` run from another directory: `--version`, and `bill` on the demo config the package
 * ships. Its own suite (`npm run test:package`, run by CI): the install compiles the SQLite
 * driver, which takes a minute or two.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageRoot } from '../../src/model/paths.js';

const ROOT = packageRoot();
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };


let work: string;
let tarball: string;
let installed: string;
let artifice: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'artifice-pack-'));
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  const prefix = path.join(work, 'prefix');
  execFileSync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball], { cwd: work, stdio: 'ignore' });
  installed = path.join(prefix, 'lib', 'node_modules', manifest.name);
  artifice = path.join(prefix, 'bin', 'artifice');
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function tarballFiles(): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
}

describe('the packed tarball', () => {
  it('holds what runs (the build, the packaged config, the docs) and no tests, sources or demo output', () => {
    const files = tarballFiles();
    expect(files).toEqual(expect.arrayContaining(['bin/artifice', 'dist/src/cli.js', 'dist/invoices/csv/index.js', 'config/meters.ini', 'config/rates.csv', 'config/demo/samples.ndjson.gz', 'README.md']));
    expect(files.filter((f) => /^(test|src|bench)\/|^dist\/(test|bench)\/|\.ts$|\/out\/|\.sqlite/.test(f))).toEqual([]);
  });
});

describe('the installed artifice, run from another directory', () => {
  let elsewhere: string;
  beforeAll(() => {
    elsewhere = path.join(work, 'elsewhere');
    mkdirSync(elsewhere);
  });

  it('prints the version of package.json', () => {
    const run = spawnSync(artifice, ['--version'], { cwd: elsewhere, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe(manifest.version);
    expect(run.status).toBe(0);
  });

  it('bills the demo month from the demo config it ships', () => {
    // The demo config writes beside itself: copy it (and the rates it names) out of the package.
    const demo = path.join(work, 'demo', 'config');
    cpSync(path.join(installed, 'config'), demo, { recursive: true });
    const run = spawnSync(artifice, ['bill', '--config', path.join(demo, 'demo', 'artifice.ini'), '--all', '--month', '2024-05', '--json'], {
      cwd: elsewhere, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const bills = (JSON.parse(run.stdout) as { bills: { status: string; total: string }[] }).bills;
    expect(bills.map((b) => b.status)).toEqual(['committed', 'committed', 'committed']);
    expect(bills.map((b) => b.total).sort()).toEqual(['183.90', '248.00', '34.82']); // test/cli.test.ts prices them by hand
    const invoices = path.join(demo, 'demo', 'out', 'invoices');
    expect(existsSync(invoices) && readdirSync(invoices).filter((f) => f.endsWith('.csv'))).toHaveLength(3);
    expect(readdirSync(elsewhere)).toEqual([]);
  });
});
