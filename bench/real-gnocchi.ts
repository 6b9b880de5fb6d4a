/**
 * `npm run bench -- --gnocchi URL [--tenants N] [--resources R] [--json]`: artifice against a
 * real Gnocchi 4.4 (test/services/gnocchi-up.sh, basic auth, its Ceilometer resource types and
 * the `billing-1h` policy).
 *
 * 1. Seeds, once, N tenants × R instances with a month of hourly `vcpus` measures
 *    (bench/gnocchi-seed.ts), and waits until metricd has processed them.
 * 2. Runs `artifice bill --all` (fresh ledger, own process) through a counting proxy, so the
 *    requests are counted without touching either side.
 * 3. Reports the wall time, the requests per tenant, artifice's CPU seconds, and the Gnocchi
 *    API's CPU seconds over the same run: the uwsgi processes of `$GNOCCHI_STATE_DIR/api.pid`
 *    (default /tmp/gnocchi-dev) and their children, read from /proc before and after.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runArtifice } from './http.js';
import { seedGnocchi } from './gnocchi-seed.js';
import { MONTH } from './synthetic/model.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RealOptions {
  url: string;
  tenants: number;
  resources: number;
  concurrency?: number;
  httpConcurrency?: number;
}

/** CPU seconds (user + system) of a process and its descendants, from /proc. */
function treeCpuSeconds(rootPid: number): number {
  const tick = 100; // USER_HZ on Linux
  const parents = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(entry);
      const ppid = Number(fields[1]);
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / tick);
      parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
    } catch {
      // Gone meanwhile.
    }
  }
  let total = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    total += cpu.get(pid) ?? 0;
    stack.push(...(parents.get(pid) ?? []));
  }
  return total;
}

function apiPid(): number {
  const file = path.join(process.env.GNOCCHI_STATE_DIR ?? '/tmp/gnocchi-dev', 'api.pid');
  if (!existsSync(file)) throw new Error(`no ${file}: start Gnocchi with test/services/gnocchi-up.sh (set GNOCCHI_STATE_DIR to its state directory)`);
  return Number(readFileSync(file, 'utf8').trim());
}

/** A pass-through proxy on 127.0.0.1 that counts requests; the Host header is kept, so Gnocchi's `Link`s name the proxy. */
function countingProxy(target: string): Promise<{ url: string; count: () => number; close: () => void }> {
  const to = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const upstream = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ url: `http://127.0.0.1:${port}`, count: () => requests, close: () => server.close() });
  }));
}

export async function realGnocchiBench(options: RealOptions): Promise<Record<string, unknown>> {
  const base = options.url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const pid = apiPid();
  const seeded = await seedGnocchi(base, options.tenants, options.resources);
  const proxy = await countingProxy(base);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifice-bench-gnocchi-'));
  try {
    writeFileSync(path.join(dir, 'artifice.ini'), [
      '[main]', 'invoice:object = csv', `database = ${path.join(dir, 'ledger.sqlite')}`, 'timezone = UTC', 'currency = USD', '',
      '[telemetry]', 'backend = gnocchi', `url = ${proxy.url}/v1`, options.httpConcurrency ? `concurrency = ${options.httpConcurrency}` : '', '',
      '[gnocchi]', 'auth_type = basic', '',
      '[invoice:object]', `output_dir = ${path.join(dir, 'invoices')}`, `rates = ${path.join(root, 'config', 'rates.csv')}`, '',
    ].join('\n'));
    const args = ['bill', '--config', path.join(dir, 'artifice.ini'), '--all', '--month', MONTH.label];
    if (options.concurrency) args.push('--concurrency', String(options.concurrency));
    const before = treeCpuSeconds(pid);
    const { stats, summary } = await runArtifice(args, dir);
    const gnocchiCpu = treeCpuSeconds(pid) - before;
    const artificeCpu = (stats.cpu_user_us + stats.cpu_system_us) / 1e6;
    return {
      gnocchi: base, tenants: options.tenants, resources: options.resources, seeded_now: seeded, artifice_ms: Math.round(stats.wall_ms),
      requests: proxy.count(), requests_per_tenant: Number((proxy.count() / options.tenants).toFixed(2)),
      artifice_cpu_s: Number(artificeCpu.toFixed(2)), gnocchi_api_cpu_s: Number(gnocchiCpu.toFixed(2)),
      cpu_ratio: Number((artificeCpu / gnocchiCpu).toFixed(3)), peak_rss_bytes: stats.max_rss_bytes,
      committed: Number(summary.committed ?? NaN), failed: Number(summary.failed ?? NaN), cores: os.cpus().length, load_average: Number(os.loadavg()[0]!.toFixed(2)),
    };
  } finally {
    proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printReal(r: Record<string, unknown>): void {
  const rows: [string, string][] = [
    ['gnocchi', `${r.gnocchi}: ${r.tenants} tenants × ${r.resources} instances, a month of hourly vcpus${r.seeded_now ? ' (seeded by this run)' : ''}`],
    ['artifice', `${r.artifice_ms} ms wall (bill --all, fresh ledger; ${r.committed} committed, ${r.failed} failed)`],
    ['requests', `${r.requests} (${r.requests_per_tenant} per tenant)`],
    ['CPU', `artifice ${r.artifice_cpu_s} s, Gnocchi API ${r.gnocchi_api_cpu_s} s: ratio ${r.cpu_ratio}`],
    ['peak RSS', `${(Number(r.peak_rss_bytes) / 2 ** 20).toFixed(0)} MiB (artifice process)`],
    ['machine', `${r.cores} cores, load average ${r.load_average}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}
