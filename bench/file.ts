/**
 * `npm run bench` (or `-- --backend file`): speed and memory of the billing pipeline on the demo month, reported as
 * ratios against baselines measured in the same run on the same machine (so the numbers
 * compare across machines), plus the raw figures for context.
 *
 *   load ratio     FileCollector load ÷ (gunzip + JSON.parse of the same file): indexing overhead
 *   usage ratio    computeUsage per sample ÷ sorting the same samples by timestamp: transform cost
 *   scale ratio    usage of 4× the samples ÷ 4 × usage of 1×: ~1.0 means linear
 *   memory ratio   heap held by the loaded index ÷ the uncompressed file size
 *   bill           wall time of billing the whole demo month (3 tenants) into CSV with a fresh ledger
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import { datacenterResolver } from '../src/billing/measure.js';
import { main } from '../src/cli.js';
import { loadConfig } from '../src/config.js';
import { processDeps, type Deps } from '../src/deps.js';
import { packageFile } from '../src/model/paths.js';
import { monthWindow } from '../src/period.js';
import { FileCollector } from '../src/telemetry/file.js';
import { computeUsage } from '../src/usage/index.js';
import type { Sample } from '../src/model/types.js';

const demoIni = packageFile('config', 'demo', 'artifice.ini');
const samplesFile = packageFile('config', 'demo', 'samples.ndjson.gz');

/** Median of `runs` timings of fn, in ms. */
async function time(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function fileBench(): Promise<void> {
  const config = await loadConfig({ flag: demoIni, env: {}, cwd: process.cwd() });
  const window = monthWindow({ year: 2024, month: 5 }, 'UTC');
  const raw = readFileSync(samplesFile);
  const text = gunzipSync(raw).toString('utf8');

  const parseMs = await time(3, () => gunzipSync(raw).toString('utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => JSON.parse(l)));
  const loadMs = await time(3, async () => {
    const c = new FileCollector(samplesFile);
    await c.prepare();
  });

  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const collector = new FileCollector(samplesFile, { region: config.telemetry.region });
  await collector.prepare();
  gc();
  const heapIndex = process.memoryUsage().heapUsed - heapBefore;

  const tenants = await collector.tenants(window.start, window.end);
  const samples: Sample[] = [];
  for (const tenant of tenants) {
    for (const spec of config.meterSpecs) {
      samples.push(...(await collector.samples({ projectId: tenant.id, meter: spec.meter, start: window.start - spec.lookbackUs, end: window.end })));
    }
  }
  const options = { window, trustSources: config.main.trustSources, datacenterOf: datacenterResolver(config), flavorNames: config.flavors };
  const usageMs = await time(5, () => computeUsage(samples, config.meterSpecs, options));
  const sortMs = await time(5, () => [...samples].sort((a, b) => a.timestamp - b.timestamp));

  // 4× the samples: the same resources under three more renamed copies.
  const four = [0, 1, 2, 3].flatMap((copy) => samples.map((s) => ({ ...s, resourceId: `${s.resourceId}#${copy}`, id: s.id && `${s.id}#${copy}` })));
  const usage4Ms = await time(3, () => computeUsage(four, config.meterSpecs, options));

  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifice-bench-'));
  const ini = path.join(dir, 'artifice.ini');
  writeFileSync(ini, readFileSync(demoIni, 'utf8')
    .replace(/^file = .*$/m, `file = ${samplesFile}`)
    .replace(/^rates = .*$/m, `rates = ${packageFile('config', 'rates.csv')}`));
  const quiet: Deps = { ...processDeps(), cwd: dir, env: {}, stdout: () => {}, stderr: () => {}, isTTY: false, stdoutIsTTY: false };
  const start = performance.now();
  const code = await main(['node', 'artifice', 'bill', '--config', ini, '--all', '--month', '2024-05'], quiet);
  const billMs = performance.now() - start;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`bench: bill exited ${code}`);

  const rows: [string, string, string][] = [
    ['load ratio', (loadMs / parseMs).toFixed(2), `load ${loadMs.toFixed(0)} ms vs gunzip+parse ${parseMs.toFixed(0)} ms (${samples.length} samples in window)`],
    ['usage ratio', (usageMs / sortMs).toFixed(2), `computeUsage ${usageMs.toFixed(1)} ms vs sort ${sortMs.toFixed(1)} ms; ${((samples.length / usageMs) * 1000).toFixed(0)} samples/s`],
    ['scale ratio', (usage4Ms / (4 * usageMs)).toFixed(2), `4× samples ${usage4Ms.toFixed(1)} ms vs 4 × ${usageMs.toFixed(1)} ms`],
    ['memory ratio', (heapIndex / text.length).toFixed(2), `index heap ${(heapIndex / 2 ** 20).toFixed(1)} MiB vs file ${(text.length / 2 ** 20).toFixed(1)} MiB${(globalThis as { gc?: unknown }).gc ? '' : ' (run with --expose-gc for a steadier figure)'}`],
    ['bill', `${billMs.toFixed(0)} ms`, `whole demo month, ${tenants.length} tenants, CSV + fresh SQLite ledger; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [name, value, detail] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(8)}  ${detail}`);
}
