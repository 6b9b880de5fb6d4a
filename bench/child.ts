/**
 * `artifice` under measurement, in its own process: runs the CLI with the given arguments,
 * then writes `{"code", "wall_ms", "cpu_user_us", "cpu_system_us", "max_rss_bytes",
 * "heap_after_gc_bytes"}` to the file named by $BENCH_STATS. The wall time runs from loading the
 * CLI to its exit code; the heap after a full GC (with --expose-gc) is what the run still holds
 * at its end, apart from what the collector had not yet reclaimed.
 */
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const started = performance.now();
const cpu0 = process.cpuUsage();
const { main } = await import('../src/cli.js');
const code = await main(['node', 'artifice', ...process.argv.slice(2)]);
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpu0);
(globalThis as { gc?: () => void }).gc?.();
const heapAfterGc = process.memoryUsage().heapUsed;
const file = process.env.BENCH_STATS;
if (file) {
  writeFileSync(file, JSON.stringify({
    code, wall_ms: wallMs, cpu_user_us: cpu.user, cpu_system_us: cpu.system, max_rss_bytes: process.resourceUsage().maxRSS * 1024,
    heap_after_gc_bytes: heapAfterGc,
  }));
}
process.exitCode = code;
