/**
 * `npm run bench [-- OPTIONS]`:
 *
 *   (no options) | --backend file       the samples-file figures on the demo month (bench/file.ts)
 *   --backend ceilometer|gnocchi --tenants N --resources R [--interval S] [--latency MS]
 *     [--concurrency N] [--http-concurrency N] [--json]
 *                                         a synthetic month over HTTP, artifice vs the floor (bench/http.ts)
 *   --gnocchi URL [--tenants N] [--json]  a real Gnocchi (bench/real-gnocchi.ts)
 *   --ledger URL [--tenants N] [--rounds N]  PostgreSQL vs SQLite ledger (bench/ledger.ts)
 */
import { fileBench } from './file.js';
import { httpBench, printHttp } from './http.js';
import { realGnocchiBench, printReal } from './real-gnocchi.js';

function option(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

function count(argv: string[], name: string, fallback: number | undefined, min = 1): number | undefined {
  const text = option(argv, name);
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${text}'`);
  return n;
}

async function main(argv: string[]): Promise<void> {
  const json = argv.includes('--json');
  const gnocchi = option(argv, 'gnocchi');
  if (gnocchi !== undefined) {
    const result = await realGnocchiBench({ url: gnocchi, tenants: count(argv, 'tenants', 1000)!, resources: count(argv, 'resources', 5)!, concurrency: count(argv, 'concurrency', undefined), httpConcurrency: count(argv, 'http-concurrency', undefined) });
    if (json) console.log(JSON.stringify(result));
    else printReal(result);
    return;
  }
  const ledger = option(argv, 'ledger') ?? (argv.includes('--ledger-env') ? process.env.ARTIFICE_TEST_PG_URL || '' : undefined);
  if (ledger === '') throw new Error('npm run bench:ledger needs ARTIFICE_TEST_PG_URL (test/services/postgres-up.sh prints one), or use npm run bench -- --ledger URL');
  if (ledger !== undefined) return (await import('./ledger.js')).ledgerBench({ url: ledger, tenants: count(argv, 'tenants', 1000)!, rounds: count(argv, 'rounds', 2)! });
  const backend = option(argv, 'backend') ?? 'file';
  if (backend === 'file') return fileBench();
  if (backend !== 'ceilometer' && backend !== 'gnocchi') throw new Error(`--backend must be file, ceilometer or gnocchi, got '${backend}'`);
  const result = await httpBench({
    backend,
    tenants: count(argv, 'tenants', 100)!,
    resources: count(argv, 'resources', 20)!,
    interval: count(argv, 'interval', backend === 'gnocchi' ? 3600 : 600)!,
    latency: count(argv, 'latency', 0, 0)!,
    concurrency: count(argv, 'concurrency', undefined),
    httpConcurrency: count(argv, 'http-concurrency', undefined),
    json,
  });
  if (json) console.log(JSON.stringify(result));
  else printHttp(result);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
