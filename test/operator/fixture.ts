/**
 * A small generated cloud for the operator tests: N tenants, each with one instance and one
 * volume, sampled every 6 hours (max_gap = 6 h, so every hour is covered), written as a
 * Ceilometer v2 samples file with its own ini and rates in a temp dir. Quantities are known by
 * construction: a tenant sampled all of May has 744 instance-hours and 744 × size GB-hours.
 */
import path from 'node:path';
import { main } from '../../src/cli.js';
import type { OnSignal } from '../../src/deps.js';
import { testDeps } from '../helpers/deps.js';
import type { Collector } from '../../src/telemetry/contract.js';
import type { Config } from '../../src/config.js';
import { tempDir, writeIn } from '../helpers/tmp.js';

export const STEP_HOURS = 6;
export const MAY_START = '2024-04-30T18:00:00Z';
export const MAY_END = '2024-06-01T00:00:00Z';
/** May 2024 is billable from 2024-06-01T06:00Z (settle 6 h); this is a day later. */
export const AFTER_MAY = new Date('2024-06-02T00:00:00Z');

export const tenantId = (i: number) => `tenant-${String(i).padStart(2, '0')}`;

export interface TenantPlan {
  id: string;
  flavor: string;
  volumeGb: number;
  /** Sample times [from, to), ISO; default MAY_START..MAY_END. */
  from?: string;
  to?: string;
  /** Instance sample times to leave out (ISO, exact). */
  skip?: string[];
}

export function plan(n: number, edit: (t: TenantPlan, i: number) => TenantPlan = (t) => t): TenantPlan[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return edit({ id: tenantId(i), flavor: i % 2 ? 'm1.small' : 'm1.medium', volumeGb: 10 + i }, i);
  });
}

let serial = 0;

export function sample(tenant: string, meter: 'instance' | 'volume.size', resource: string, at: string, volume: unknown, metadata: Record<string, unknown>): string {
  serial++;
  return JSON.stringify({
    id: `s-${serial}-${resource}-${at}`,
    meter,
    type: 'gauge',
    unit: meter === 'instance' ? 'instance' : 'GB',
    volume,
    user_id: 'u-1',
    project_id: tenant,
    resource_id: resource,
    source: 'openstack',
    timestamp: at.replace('Z', ''),
    metadata: { availability_zone: 'az-1', project_name: `${tenant}-name`, ...metadata },
  });
}

export const instanceOf = (tenant: string) => `vm-${tenant}`;
export const volumeOf = (tenant: string) => `vol-${tenant}`;

/** The samples of one tenant, every STEP_HOURS in [from, to). */
export function tenantSamples(t: TenantPlan): string[] {
  const lines: string[] = [];
  const from = Date.parse(t.from ?? MAY_START);
  const to = Date.parse(t.to ?? MAY_END);
  for (let ms = from; ms < to; ms += STEP_HOURS * 3_600_000) {
    const at = new Date(ms).toISOString().replace('.000Z', 'Z');
    if (!t.skip?.includes(at)) lines.push(sample(t.id, 'instance', instanceOf(t.id), at, 1, { 'flavor.name': t.flavor, status: 'active' }));
    lines.push(sample(t.id, 'volume.size', volumeOf(t.id), at, t.volumeGb, { status: 'in-use' }));
  }
  return lines;
}

export function samplesText(plans: TenantPlan[], extra: string[] = []): string {
  return `${[...plans.flatMap(tenantSamples), ...extra].join('\n')}\n`;
}

export const RATES = [
  'datacenter,service,unit,rate',
  '*,m1.small,hour,0.025',
  '*,m1.medium,hour,0.05',
  '*,volume.size,gigabyte-hour,0.0001',
].join('\n');

export interface Cloud {
  dir: string;
  ini: string;
  samples: string;
  rates: string;
  database: string;
  outDir: string;
  statusFile: string;
}

/** Writes samples, rates and an ini into a fresh temp dir. `mainExtra` lines go into [main]. */
export function writeCloud(plans: TenantPlan[], options: { extra?: string[]; rates?: string; mainExtra?: string[]; invoice?: string; invoiceKeys?: string[] } = {}): Cloud {
  const dir = tempDir('artifice-op-');
  const samples = writeIn(dir, 'samples.ndjson', samplesText(plans, options.extra));
  const rates = writeIn(dir, 'rates.csv', `${options.rates ?? RATES}\n`);
  const ini = writeIn(dir, 'artifice.ini', [
    '[main]',
    `invoice:object = ${options.invoice ?? 'csv'}`,
    'database = ledger/artifice.sqlite',
    'timezone = UTC',
    'currency = USD',
    `max_gap = ${STEP_HOURS * 3600}`,
    ...(options.mainExtra ?? []),
    '',
    '[telemetry]',
    'backend = file',
    'file = samples.ndjson',
    'region = RegionOne',
    '',
    '[datacenters]',
    'az-1 = east',
    '',
    '[invoice:object]',
    'output_dir = out',
    'rates = rates.csv',
    ...(options.invoiceKeys ?? []),
    '',
  ].join('\n'));
  return {
    dir, ini, samples, rates,
    database: path.join(dir, 'ledger', 'artifice.sqlite'),
    outDir: path.join(dir, 'out'),
    statusFile: path.join(dir, 'ledger', 'status.json'),
  };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  now?: Date | (() => Date);
  env?: Record<string, string | undefined>;
  isTTY?: boolean;
  stdoutIsTTY?: boolean;
  openCollector?: (config: Config) => Promise<Collector>;
  onSignal?: OnSignal;
  pid?: number;
  host?: string;
}

/** `artifice <args…>` through main() with captured output and injected deps. */
export async function run(args: string[], options: RunOptions): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const now = options.now ?? AFTER_MAY;
  const deps = testDeps({
    cwd: options.cwd,
    env: options.env ?? {},
    now: typeof now === 'function' ? now : () => now,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    isTTY: options.isTTY ?? false,
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.pid !== undefined ? { pid: options.pid } : {}),
    // Tests never install process signal handlers (testDeps): a signal is whatever the test calls.
    ...(options.onSignal ? { onSignal: options.onSignal } : {}),
    ...(options.openCollector ? { openCollector: options.openCollector } : {}),
  });
  const code = await main(['node', 'artifice', ...args], deps);
  return { code, stdout, stderr };
}

export interface JsonBill {
  tenant: string;
  status: string;
  total: string | null;
  invoice: string | null;
  error?: string;
  reason?: string;
  lines: { datacenter: string; name: string; quantity: string; rate: string; amount: string }[];
  explain?: {
    datacenter: string; name: string; quantity: string; rate: string | null; amount: string | null;
    resources: { resource_id: string; meter: string; quantity: string; samples: number; first_sample: string | null; last_sample: string | null; gaps: { start: string; end: string }[]; gap_hours: string }[];
  }[];
}

export function bills(stdout: string): JsonBill[] {
  return (JSON.parse(stdout) as { bills: JsonBill[] }).bills;
}

/** A chunk of text has ANSI escape codes. */
export const hasAnsi = (text: string) => text.includes('\x1b[');
