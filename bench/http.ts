/**
 * `npm run bench -- --backend ceilometer|gnocchi --tenants N --resources R [--interval S]
 * [--latency MS] [--concurrency N] [--http-concurrency N] [--json]`
 *
 * Starts the synthetic telemetry server (bench/synthetic/) in its own process, runs
 * `artifice bill --all` over a fresh ledger against it (in its own process, bench/child.ts),
 * then the floor (bench/floor.ts): the same requests with the same concurrency, bodies read and
 * parsed, nothing else. Prints both wall times, their ratio, samples per second, requests in all
 * and per tenant, artifice's peak RSS and the ledger's size.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { replay } from './floor.js';
import { MONTH } from './synthetic/model.js';
import { tenantConcurrency } from '../src/config/defaults.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

export interface HttpBenchOptions {
  backend: 'ceilometer' | 'gnocchi';
  tenants: number;
  resources: number;
  interval: number;
  latency: number;
  /** Tenants at once (`--concurrency`); artifice's default when undefined. */
  concurrency?: number;
  /** `[telemetry] concurrency`: requests in flight; artifice's default (8) when undefined. */
  httpConcurrency?: number;
  json: boolean;
}

export interface ChildStats {
  code: number;
  wall_ms: number;
  cpu_user_us: number;
  cpu_system_us: number;
  max_rss_bytes: number;
  heap_after_gc_bytes: number;
}

/** Spawns `node first args` (a script, or a flag then the script), resolving to its output once it exits. */
export function run(first: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [first, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

/** Runs artifice (bench/child.ts) with `args`; its summary and resource figures. */
export async function runArtifice(args: string[], dir: string): Promise<{ stats: ChildStats; summary: Record<string, unknown> }> {
  const statsFile = path.join(dir, 'child-stats.json');
  const result = await run('--expose-gc', [path.join(root, 'dist', 'bench', 'child.js'), ...args, '--json'], { BENCH_STATS: statsFile });
  if (!existsSync(statsFile)) throw new Error(`artifice did not finish (exit ${result.code}): ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as ChildStats;
  let summary: Record<string, unknown> = {};
  try {
    summary = (JSON.parse(result.stdout) as { summary?: Record<string, unknown> }).summary ?? {};
  } catch {
    // No JSON on stdout: the exit code says what happened.
  }
  if (stats.code !== 0) throw new Error(`artifice bill exited ${stats.code}: ${result.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  return { stats, summary };
}

function startSynthetic(options: HttpBenchOptions, log: string): Promise<{ url: string; stop: () => void }> {
  const args = ['--tenants', options.tenants, '--resources', options.resources, '--interval', options.interval, '--latency', options.latency].map(String);
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bench', 'synthetic', 'main.js'), ...args, '--log', log], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (c: Buffer) => {
      text += c.toString('utf8');
      const line = text.split('\n')[0];
      if (text.includes('\n') && line) resolve({ url: line.trim(), stop: () => child.kill('SIGTERM') });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`the synthetic server exited (${code}) before answering`)));
  });
}

async function control(url: string, what: string, method = 'GET'): Promise<{ requests: number; samples: number; bytes: number }> {
  const res = await fetch(`${url}/__bench/${what}`, { method });
  return (await res.json()) as { requests: number; samples: number; bytes: number };
}

function ini(options: HttpBenchOptions, url: string, dir: string): string {
  const telemetry = options.backend === 'gnocchi'
    ? `backend = gnocchi\nurl = ${url}/v1\n`
    : `backend = ceilometer\nurl = ${url}/v2\n`;
  return [
    '[main]', 'invoice:object = csv', `database = ${path.join(dir, 'ledger.sqlite')}`, 'timezone = UTC', 'currency = USD', '',
    '[telemetry]', telemetry.trim(), options.httpConcurrency ? `concurrency = ${options.httpConcurrency}` : '', '',
    ...(options.backend === 'gnocchi' ? ['[gnocchi]', 'auth_type = basic', 'keep_alive = true', `granularity = ${options.interval}`, ''] : []),
    '[invoice:object]', `output_dir = ${path.join(dir, 'invoices')}`, `rates = ${path.join(root, 'config', 'rates.csv')}`, '',
  ].join('\n');
}

function fileSize(file: string): number {
  return [file, `${file}-wal`].reduce((n, f) => n + (existsSync(f) ? statSync(f).size : 0), 0);
}

export async function httpBench(options: HttpBenchOptions): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifice-bench-'));
  const log = path.join(dir, 'requests.ndjson');
  const server = await startSynthetic(options, log);
  try {
    writeFileSync(path.join(dir, 'artifice.ini'), ini(options, server.url, dir));
    const billArgs = ['bill', '--config', path.join(dir, 'artifice.ini'), '--all', '--month', MONTH.label];
    if (options.concurrency) billArgs.push('--concurrency', String(options.concurrency));
    const { stats, summary } = await runArtifice(billArgs, dir);
    const served = await control(server.url, 'log?on=0', 'POST');
    const floor = await replay(log, server.url, { concurrency: options.httpConcurrency ?? 8, keepAlive: true });
    const committed = Number(summary.committed ?? NaN);
    return {
      backend: options.backend, tenants: options.tenants, resources: options.resources, interval_s: options.interval, latency_ms: options.latency,
      concurrency: options.concurrency ?? tenantConcurrency(options.backend), http_concurrency: options.httpConcurrency ?? 8,
      artifice_ms: Math.round(stats.wall_ms), floor_ms: Math.round(floor.ms), ratio: Number((stats.wall_ms / floor.ms).toFixed(3)),
      artifice_cpu_s: Number(((stats.cpu_user_us + stats.cpu_system_us) / 1e6).toFixed(2)),
      samples: served.samples, samples_per_second: Math.round(served.samples / (stats.wall_ms / 1000)),
      requests: served.requests, requests_per_tenant: Number((served.requests / options.tenants).toFixed(2)), floor_requests: floor.requests,
      response_bytes: served.bytes, peak_rss_bytes: stats.max_rss_bytes, heap_after_gc_bytes: stats.heap_after_gc_bytes, ledger_bytes: fileSize(path.join(dir, 'ledger.sqlite')),
      committed, failed: Number(summary.failed ?? NaN), cores: os.cpus().length, load_average: Number(os.loadavg()[0]!.toFixed(2)),
    };
  } finally {
    server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const MIB = 2 ** 20;

export function printHttp(r: Record<string, unknown>): void {
  const n = (k: string) => Number(r[k]);
  const rows: [string, string][] = [
    ['cloud', `${r.backend}: ${r.tenants} tenants × ${r.resources} resources, a sample every ${r.interval_s} s, latency ${r.latency_ms} ms`],
    ['artifice', `${n('artifice_ms')} ms wall, ${r.artifice_cpu_s} s CPU (bill --all, fresh ledger; ${r.committed} committed, ${r.failed} failed)`],
    ['floor', `${n('floor_ms')} ms (the same ${r.floor_requests} requests, ${r.http_concurrency} in flight, bodies parsed)`],
    ['ratio', `${n('ratio').toFixed(2)} (artifice / floor)`],
    ['samples', `${r.samples} (${n('samples_per_second')} per second)`],
    ['requests', `${r.requests} (${r.requests_per_tenant} per tenant; ${(n('response_bytes') / MIB).toFixed(1)} MiB of answers)`],
    ['peak RSS', `${(n('peak_rss_bytes') / MIB).toFixed(0)} MiB (artifice process; heap held at the end, after a full GC: ${(n('heap_after_gc_bytes') / MIB).toFixed(0)} MiB)`],
    ['ledger', `${(n('ledger_bytes') / MIB).toFixed(1)} MiB`],
    ['machine', `${r.cores} cores, load average ${r.load_average}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}
