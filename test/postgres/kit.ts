/**
 * The PostgreSQL suite's kit (`npm run test:postgres`): a server from ARTIFICE_TEST_PG_URL (CI
 * starts one with test/services/postgres-up.sh; without it every test fails, saying so), a new
 * database per test, and `bin/artifice` processes run against it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { BIN, REPO } from '../helpers/cli.js';
import { createTestDatabase, dropTestDatabase, PG_URL } from '../helpers/ledgers.js';

export function serverUrl(): string {
  if (!PG_URL) throw new Error('ARTIFICE_TEST_PG_URL is not set: start a PostgreSQL with test/services/postgres-up.sh and export the URL it prints');
  return PG_URL;
}

const created: string[] = [];

export async function newDatabase(): Promise<string> {
  const url = await createTestDatabase(serverUrl());
  created.push(url);
  return url;
}

export async function dropDatabases(): Promise<void> {
  for (const url of created.splice(0)) await dropTestDatabase(serverUrl(), url);
}

/** Rows of `sql` on a connection of its own (int8 as numbers). */
export async function query<R extends pg.QueryResultRow = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({
    connectionString: url,
    types: { getTypeParser: (oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text')) },
  } as pg.ClientConfig);
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** `ini` with `[main] database` replaced. */
export function withDatabase(ini: string, database: string, to: string): string {
  const text = fs.readFileSync(ini, 'utf8').replace(/^database = .*$/m, `database = ${database}`);
  fs.writeFileSync(to, text);
  return to;
}

export interface Proc {
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

/** `bin/artifice ARGS` as its own process (dist/ must be built: npm run test:postgres builds it). */
/**
 * `bin/artifice args` in its own process. With `barrier` (a path prefix), the process waits after
 * start-up for `<barrier>.go` (test/postgres/start-barrier.mjs; see startTogether).
 */
export function artifice(args: string[], cwd: string, barrier?: string): Proc {
  if (!fs.existsSync(path.join(REPO, 'dist', 'src', 'cli.js'))) throw new Error('dist/ is not built: run npx tsc -p tsconfig.json');
  const preload = barrier ? ['--import', pathToFileURL(path.join(REPO, 'test', 'postgres', 'start-barrier.mjs')).href] : [];
  const env = { ...process.env, NO_COLOR: '1', ...(barrier ? { ARTIFICE_TEST_BARRIER: barrier } : {}) };
  const child = spawn(process.execPath, [...preload, BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { pid: child.pid!, done, kill: (signal) => child.kill(signal) };
}

/** Starts `n` processes of `args` and lets them go at once, when all of them are ready. */
export async function startTogether(n: number, args: string[], cwd: string): Promise<Proc[]> {
  const barrier = path.join(cwd, `barrier-${process.pid}`);
  const runs = Array.from({ length: n }, () => artifice(args, cwd, barrier));
  const ready = () => fs.readdirSync(cwd).filter((name) => name.startsWith(`${path.basename(barrier)}.ready.`)).length;
  for (let waited = 0; ready() < n; waited += 20) {
    if (waited > 120_000) throw new Error(`only ${ready()} of ${n} processes started in 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  fs.writeFileSync(`${barrier}.go`, '');
  return runs;
}
