/**
 * End-to-end helpers: the demo config copied into a temp dir, `main()` with injected deps, the
 * real `bin/artifice` in a child process, and a read-only look into the ledger file.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../src/cli.js';
import { testDeps } from './deps.js';
import { packageFile } from '../../src/model/paths.js';
import { tempDir, writeIn } from './tmp.js';

export const REPO = packageFile();
export const BIN = path.join(REPO, 'bin', 'artifice');
export const DEMO_SAMPLES = path.join(REPO, 'config', 'demo', 'samples.ndjson.gz');
export const RATES = path.join(REPO, 'config', 'rates.csv');
export const DEMO_METERS = path.join(REPO, 'config', 'demo', 'meters.ini');

/** The demo's tenants (config/demo/README.md). */
export const ACME = '20bef52e4e1bf47d0fb39f90e12eb92d';
export const GLOBEX = '12401defeb592084bf8bac1b9fafaa7c';
export const INITECH = 'deee1cf5d038d5669b60a3df605510da';
export const MAY_SUFFIX = '_20240501T000000Z_20240601T000000Z';

/** When May 2024 is settled (end + 6 h has passed). */
export const AFTER_MAY = new Date('2024-06-02T00:00:00Z');

export interface Demo {
  dir: string;
  ini: string;
  database: string;
  outDir: string;
}

/**
 * config/demo/artifice.ini copied into a fresh temp dir, with absolute paths to the demo samples,
 * meters and rates, and the ledger and invoices inside the temp dir. `edit` rewrites the text further.
 */
export function demo(edit: (text: string) => string = (t) => t): Demo {
  const dir = tempDir('artifice-cli-');
  const database = path.join(dir, 'ledger', 'artifice.sqlite');
  const outDir = path.join(dir, 'out', 'invoices');
  const text = readFileSync(path.join(REPO, 'config', 'demo', 'artifice.ini'), 'utf8')
    .replace(/^database = .*$/m, `database = ${database}`)
    .replace(/^file = .*$/m, `file = ${DEMO_SAMPLES}`)
    .replace(/^output_dir = .*$/m, `output_dir = ${outDir}`)
    .replace(/^rates = .*$/m, `rates = ${RATES}`)
    .replace(/^meters = .*$/m, `meters = ${DEMO_METERS}`);
  for (const key of ['database', 'file', 'output_dir', 'rates', 'meters']) {
    if (!new RegExp(`^${key} = /`, 'm').test(text)) throw new Error(`config/demo/artifice.ini has no ${key} line to rewrite`);
  }
  const ini = writeIn(dir, 'artifice.ini', edit(text));
  return { dir, ini, database, outDir };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `artifice <args…>` through main() with captured output and an injected clock. */
export async function run(args: string[], options: { cwd: string; now?: Date; env?: Record<string, string | undefined> }): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const deps = testDeps({
    cwd: options.cwd,
    env: options.env ?? {},
    now: () => options.now ?? AFTER_MAY,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  const code = await main(['node', 'artifice', ...args], deps);
  return { code, stdout, stderr };
}

/** The real `bin/artifice` in a child process (needs dist/: `npm test` builds it first). */
export function runBin(args: string[], options: { cwd: string; env?: Record<string, string> }): SpawnSyncReturns<string> & Run {
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli.js'))) {
    throw new Error('dist/src/cli.js is missing: run `npm run build` (npm test does) before these tests');
  }
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...options.env };
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return Object.assign(result, { code: result.status ?? -1 });
}

export interface BillRow {
  id: string;
  tenant: string;
  start_us: number;
  end_us: number;
  status: string;
  revision: number;
  owner: string | null;
  reference: string | null;
  total: string | null;
  void_reason: string | null;
}

/** The ledger's bills, read straight from the file (never creating it). */
export function ledgerBills(database: string): BillRow[] {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT id, tenant, start_us, end_us, status, revision, owner, reference, total, void_reason FROM bills ORDER BY tenant, created_at, rowid')
      .all() as BillRow[];
  } finally {
    db.close();
  }
}

/** Rows of one table, read straight from the file. */
export function ledgerCount(database: string, table: 'usage' | 'lines' | 'runs', billId?: string): number {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    const sql = billId ? `SELECT count(*) AS n FROM ${table} WHERE bill_id = ?` : `SELECT count(*) AS n FROM ${table}`;
    return (db.prepare(sql).get(...(billId ? [billId] : [])) as { n: number }).n;
  } finally {
    db.close();
  }
}

/** A one-line message for users: one line on stderr, prefixed, no stack trace. */
export function expectOneLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}:\n${stderr}`);
  const [line] = lines as [string];
  if (!line.startsWith('artifice: ')) throw new Error(`expected 'artifice: …', got: ${line}`);
  if (/\n\s+at /.test(stderr) || /\.(ts|js):\d+/.test(line)) throw new Error(`stack trace in: ${stderr}`);
  return line;
}
