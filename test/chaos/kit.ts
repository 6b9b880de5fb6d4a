/**
 * What every chaos test shares: the real `bin/artifice` spawned asynchronously (the fake servers
 * live in this process, so a synchronous spawn would starve them), a seeded random source, the
 * generated cloud the tests bill (N tenants, one instance and one volume each, May 2024), and
 * the tally of what was tried and what went wrong, which `teardown.mjs` prints as the suite's
 * closing line.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, REPO } from '../helpers/cli.js';
import { writeIn } from '../helpers/tmp.js';
import { plan, tenantSamples, writeCloud, type TenantPlan } from '../operator/fixture.js';
import type { RawSample } from '../fakes/ceilometer-server.js';

/** The seeded random source of kill moments (the same seed, the same moments). */
export { lcg as seeded } from '../fakes/ceilometer-server.js';

export const MONTH = ['--month', '2024-05'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface SpawnOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Kill the child (SIGKILL) this many ms after it started. */
  killAfterMs?: number;
  /** Receives the child's kill function as soon as it runs (e.g. to kill it from a server hook). */
  onStart?: (kill: () => void, pid: number) => void;
  /** Hard limit: the child is killed and the test fails after this long. Default 120 s. */
  limitMs?: number;
}

/** `node bin/artifice <args…>` in a child process, without blocking this process's servers. */
export function artifice(args: string[], options: SpawnOptions): Promise<Exit> {
  if (!existsSync(path.join(REPO, 'dist', 'src', 'cli.js'))) {
    throw new Error('dist/src/cli.js is missing: run `npm run build` (npm run test:chaos does) first');
  }
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), NO_COLOR: '1', ...options.env };
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  options.onStart?.(kill, child.pid!);
  const timers = [setTimeout(kill, options.limitMs ?? 120_000)];
  if (options.killAfterMs !== undefined) timers.push(setTimeout(kill, options.killAfterMs));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, pid: child.pid! });
    });
  });
}

// ---- the tally -------------------------------------------------------------------------------

export type Counter = 'faults' | 'kills' | 'badInputs' | 'duplicates' | 'lost' | 'wrong' | 'leaks';

/** Counts one event in the suite's tally (a file named by globalSetup; teardown.mjs sums it). */
export function tally(counter: Counter, n = 1, detail?: string): void {
  const file = process.env.ARTIFICE_CHAOS_TALLY;
  if (!file || n === 0) return;
  appendFileSync(file, `${JSON.stringify({ counter, n, detail })}\n`);
}

// ---- the cloud -------------------------------------------------------------------------------

/** Only the two meters the generated cloud has: fewer requests per tenant, same code paths. */
export const METERS = `[instance]
transform = uptime
service = flavor
unit = hour
sample_unit = instance
tracked_states = active

[volume.size]
transform = gauge
service = volume.size
unit = gigabyte-hour
sample_unit = GB
`;

export interface Cloud {
  plans: TenantPlan[];
  samples: RawSample[];
  /** The samples as newline-delimited JSON (the file backend). */
  ndjson: string;
}

export function cloud(tenants: number): Cloud {
  const plans = plan(tenants);
  const lines = plans.flatMap(tenantSamples);
  return { plans, samples: lines.map((l) => JSON.parse(l) as RawSample), ndjson: `${lines.join('\n')}\n` };
}

export interface Site {
  dir: string;
  ini: string;
  database: string;
  outDir: string;
  statusFile: string;
}

/** The telemetry section writeCloud writes (a samples file). */
export const FILE_TELEMETRY = '[telemetry]\nbackend = file\nfile = samples.ndjson\nregion = RegionOne';

/** A [telemetry] section of an HTTP backend: short timeout, a few retries, the page size given. */
export function httpTelemetry(backend: 'ceilometer' | 'gnocchi', url: string, retries: number, pageSize?: number): string {
  return [`[telemetry]`, `backend = ${backend}`, `url = ${url}`, 'region = RegionOne', 'timeout = 2', `retries = ${retries}`, ...(pageSize ? [`page_size = ${pageSize}`] : [])].join('\n');
}

/**
 * The operator tests' generated site (test/operator/fixture.ts: csv adapter, ledger in ledger/,
 * invoices in out/) with this suite's meters, the given telemetry section instead of the samples
 * file's, `main` lines in [main], and `invoiceSection` replacing [invoice:object] when given.
 */
export function site(telemetry: string, options: { invoice?: string; invoiceSection?: string; files?: Record<string, string>; main?: string } = {}): Site {
  const c = writeCloud([], { invoice: options.invoice, mainExtra: ['meters = meters.ini', ...(options.main ? [options.main] : [])] });
  writeIn(c.dir, 'meters.ini', METERS);
  for (const [name, text] of Object.entries(options.files ?? {})) writeIn(c.dir, name, text);
  const text = readFileSync(c.ini, 'utf8');
  if (!text.includes(FILE_TELEMETRY) || !text.includes('[invoice:object]\n')) throw new Error('writeCloud changed its ini: update site()');
  let ini = text.replace(FILE_TELEMETRY, telemetry.trim());
  if (options.invoiceSection !== undefined) ini = ini.replace(/\[invoice:object\]\n[\s\S]*$/, `[invoice:object]\n${options.invoiceSection}\n`);
  writeIn(c.dir, 'artifice.ini', ini);
  return { dir: c.dir, ini: c.ini, database: c.database, outDir: c.outDir, statusFile: c.statusFile };
}

// ---- reading results -------------------------------------------------------------------------

export interface LedgerBill {
  id: string;
  tenant: string;
  status: string;
  total: string | null;
  reference: string | null;
}

export function ledgerBills(database: string): LedgerBill[] {
  if (!existsSync(database)) return [];
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    // A run killed while it created the ledger may leave a file without tables yet.
    if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bills'").get()) return [];
    return db.prepare('SELECT id, tenant, status, total, reference FROM bills ORDER BY tenant, created_at, rowid').all() as LedgerBill[];
  } finally {
    db.close();
  }
}

/** Every row of every table of the ledger as text (to look for secrets in it). */
export function ledgerText(database: string): string {
  if (!existsSync(database)) return '';
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    return tables.map(({ name }) => JSON.stringify(db.prepare(`SELECT * FROM "${name}"`).all())).join('\n');
  } finally {
    db.close();
  }
}

/** Committed totals per tenant. */
export function committed(database: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const b of ledgerBills(database)) if (b.status === 'committed') out.set(b.tenant, b.total ?? '');
  return out;
}

/** Text of every file under `dir` (recursively), by relative path. */
export function filesText(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.set(path.relative(dir, p), readFileSync(p).toString('latin1'));
    }
  };
  walk(dir);
  return out;
}

/**
 * Compares a run's committed bills with the reference totals: each committed tenant must have
 * the reference total and at most one committed bill. Tallies duplicates and wrong bills, and
 * returns the problems found (empty when none).
 */
export function judge(database: string, reference: Map<string, string>, label: string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const b of ledgerBills(database)) {
    if (b.status !== 'committed') continue;
    seen.set(b.tenant, (seen.get(b.tenant) ?? 0) + 1);
    const want = reference.get(b.tenant);
    if (want === undefined || b.total !== want) {
      tally('wrong', 1, `${label}: ${b.tenant} committed ${b.total}, undisturbed ${want}`);
      problems.push(`${label}: ${b.tenant} committed with total ${b.total}, the undisturbed run billed ${want}`);
    }
  }
  for (const [tenant, n] of seen) {
    if (n > 1) {
      tally('duplicates', n - 1, `${label}: ${tenant}`);
      problems.push(`${label}: ${tenant} has ${n} committed bills`);
    }
  }
  return problems;
}
