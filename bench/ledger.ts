/**
 * `npm run bench -- --ledger postgresql://…` (or `npm run bench:ledger`, with ARTIFICE_TEST_PG_URL):
 * what billing costs on a PostgreSQL ledger next to an SQLite one, in one run (docs/ledger.md,
 * "PostgreSQL"): `artifice bill --all` of N tenants (default 1000; a generated samples file, CSV
 * invoices) in its own process, once on a fresh SQLite file and once on a fresh PostgreSQL
 * database (created on the server of the URL, dropped after), alternating, best of the rounds;
 * then the ledger alone (claim, record usage, commit per tenant, in this process). Reports each
 * time and the ratio PostgreSQL / SQLite (the target for the whole bill run is ≤ 1.5).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Ledger, currentOwner } from '../src/ledger.js';
import { Decimal } from '../src/model/decimal.js';
import { packageFile } from '../src/model/paths.js';

export interface LedgerBenchOptions {
  url: string;
  tenants: number;
  rounds: number;
}

const STEP_HOURS = 12;
const FROM = Date.parse('2024-04-30T12:00:00Z');
const TO = Date.parse('2024-06-01T00:00:00Z');

/** An instance and a volume per tenant, sampled every STEP_HOURS through May 2024. */
function writeSamples(file: string, tenants: number): void {
  const out = fs.openSync(file, 'w');
  let serial = 0;
  for (let t = 1; t <= tenants; t++) {
    const tenant = `tenant-${String(t).padStart(4, '0')}`;
    const lines: string[] = [];
    for (let ms = FROM; ms < TO; ms += STEP_HOURS * 3_600_000) {
      const at = new Date(ms).toISOString().replace('.000Z', '');
      const base = { type: 'gauge', user_id: 'u', project_id: tenant, source: 'openstack', timestamp: at };
      const meta = { availability_zone: 'az-1', project_name: `${tenant}-name` };
      lines.push(JSON.stringify({ ...base, id: `s${serial++}`, meter: 'instance', unit: 'instance', volume: 1, resource_id: `vm-${tenant}`, metadata: { ...meta, 'flavor.name': t % 2 ? 'm1.small' : 'm1.medium', status: 'active' } }));
      lines.push(JSON.stringify({ ...base, id: `s${serial++}`, meter: 'volume.size', unit: 'GB', volume: 10 + (t % 50), resource_id: `vol-${tenant}`, metadata: { ...meta, status: 'in-use' } }));
    }
    fs.writeSync(out, `${lines.join('\n')}\n`);
  }
  fs.closeSync(out);
}

function writeIni(dir: string, name: string, database: string): string {
  const ini = path.join(dir, `${name}.ini`);
  fs.writeFileSync(ini, [
    '[main]', 'invoice:object = csv', `database = ${database}`, 'timezone = UTC', 'currency = USD', `max_gap = ${STEP_HOURS * 3600}`,
    `status_file = ${path.join(dir, `${name}-status.json`)}`, '',
    '[telemetry]', 'backend = file', `file = ${path.join(dir, 'samples.ndjson')}`, 'region = RegionOne', '',
    '[datacenters]', 'az-1 = east', '',
    '[invoice:object]', `output_dir = ${path.join(dir, `out-${name}`)}`, `rates = ${path.join(dir, 'rates.csv')}`, '',
  ].join('\n'));
  return ini;
}

/** Wall time of one `bill --all` in its own process. */
function billOnce(ini: string, cwd: string): number {
  const t0 = performance.now();
  const result = spawnSync(process.execPath, [packageFile('bin', 'artifice'), 'bill', '--config', ini, '--all', '--month', '2024-05', '--quiet'], { cwd, encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`bill --all failed (${result.status}): ${result.stderr.trim()}`);
  return ms;
}

/** Claim, record usage and lines, commit, per tenant: the ledger's part of a bill run, alone. */
async function ledgerOnly(ledger: Ledger, tenants: number): Promise<number> {
  const owner = currentOwner(`bench-${randomBytes(4).toString('hex')}`);
  const window = { start: Date.parse('2024-05-01T00:00:00Z') * 1000, end: Date.parse('2024-06-01T00:00:00Z') * 1000 };
  const usage = [{ meter: 'instance', resourceId: 'vm', service: 'm1.small', datacenter: 'east', quantity: new Decimal(744), unit: 'hour', samples: 62, firstSample: window.start, lastSample: window.end - 1, gaps: [] }];
  const lines = [{ datacenter: 'east', name: 'm1.small', quantity: new Decimal(744), unit: 'hour', rate: new Decimal('0.025'), amount: new Decimal('18.60') }];
  const t0 = performance.now();
  for (let t = 0; t < tenants; t++) {
    const claim = await ledger.claim({ id: `t${t}` }, window, owner);
    if (claim.kind !== 'claimed') throw new Error(`claim: ${claim.kind}`);
    await ledger.recordUsage(claim.bill.id, usage, lines);
    await ledger.markCommitted(claim.bill.id, 'ref', '18.60', 'USD');
  }
  return performance.now() - t0;
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function ledgerBench(options: LedgerBenchOptions): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'artifice-bench-ledger-'));
  const dbs: string[] = [];
  const fresh = async (): Promise<string> => {
    const name = `artifice_bench_${randomBytes(5).toString('hex')}`;
    await admin(options.url, `CREATE DATABASE ${name}`);
    dbs.push(name);
    const at = new URL(options.url);
    at.pathname = `/${name}`;
    return at.toString();
  };
  try {
    writeSamples(path.join(dir, 'samples.ndjson'), options.tenants);
    fs.copyFileSync(packageFile('config', 'rates.csv'), path.join(dir, 'rates.csv'));
    const runs = { sqlite: [] as number[], postgresql: [] as number[] };
    for (let round = 0; round < options.rounds; round++) {
      runs.sqlite.push(billOnce(writeIni(dir, `sqlite-${round}`, path.join(dir, `ledger-${round}.sqlite`)), dir));
      runs.postgresql.push(billOnce(writeIni(dir, `pg-${round}`, await fresh()), dir));
    }
    const sqliteLedger = Ledger.open(path.join(dir, 'ledger-only.sqlite'));
    const sqliteOnly = await ledgerOnly(sqliteLedger, options.tenants);
    await sqliteLedger.close();
    const pgLedger = await Ledger.connect(await fresh());
    const pgOnly = await ledgerOnly(pgLedger, options.tenants);
    await pgLedger.close();
    const best = (ms: number[]) => Math.min(...ms);
    const line = (what: string, s: number, p: number) =>
      console.log(`${what.padEnd(34)} SQLite ${(s / 1000).toFixed(2).padStart(7)} s   PostgreSQL ${(p / 1000).toFixed(2).padStart(7)} s   ratio ${(p / s).toFixed(2)}`);
    console.log(`ledger bench: ${options.tenants} tenants, ${options.rounds} round(s), PostgreSQL at ${new URL(options.url).host}`);
    line(`bill --all (best of ${options.rounds})`, best(runs.sqlite), best(runs.postgresql));
    line('ledger alone (claim, record, commit)', sqliteOnly, pgOnly);
  } finally {
    for (const name of dbs) await admin(options.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
