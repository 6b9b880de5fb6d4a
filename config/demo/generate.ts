/**
 * Generates the demo telemetry: May 2024 (UTC) of a small cloud, as newline-delimited
 * Ceilometer v2 samples, gzipped. Deterministic: every random draw comes from a PRNG seeded by
 * the resource's name, so the same source always writes the same bytes, and changing one
 * resource does not reshuffle the others. See README.md next to this file for what the month
 * contains and which billing rule each resource exercises.
 *
 *   npm run build && node dist/config/demo/generate.js [output]   (from the repository root)
 *
 * The output defaults to config/demo/samples.ndjson.gz, relative to the current directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

type Micros = number;

const US_PER_SECOND = 1_000_000;
const STEP = 10 * 60 * US_PER_SECOND;

function utc(y: number, mo: number, d: number, h = 0, mi = 0): Micros {
  return Date.UTC(y, mo - 1, d, h, mi) * 1000;
}

/** Samples span the last two hours of April to the first hour of June (look-back, window end). */
const FIRST = utc(2024, 4, 30, 22);
const LAST = utc(2024, 6, 1, 1);
const MAY = utc(2024, 5, 1);
const JUNE = utc(2024, 6, 1);
const REGION_SOURCE = 'openstack';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

/** FNV-1a: a string → 32-bit seed. */
function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

type Rand = () => number;

/** mulberry32: small, fast, good enough for demo data. */
function prng(name: string): Rand {
  let a = seedOf(name);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(rand: Rand, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(rand() * 16).toString(16);
  return out;
}

/** A version-4-shaped UUID from the PRNG. */
function uuid(rand: Rand): string {
  const h = hex(rand, 32);
  const variant = (8 + Math.floor(rand() * 4)).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Python's `isoformat()` of a naive UTC datetime, as Ceilometer writes it. */
function isoformat(us: Micros): string {
  const ms = Math.floor(us / 1000);
  const micros = Math.round(us - Math.floor(us / US_PER_SECOND) * US_PER_SECOND);
  const base = new Date(ms).toISOString().slice(0, 19);
  return micros === 0 ? base : `${base}.${String(micros).padStart(6, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// Tenants and resources

interface Tenant {
  key: string;
  name: string;
  projectId: string;
  userId: string;
}

function tenant(key: string, name: string): Tenant {
  return { key, name, projectId: hex(prng(`project:${key}`), 32), userId: hex(prng(`user:${key}`), 32) };
}

const ACME = tenant('acme', 'acme-webshop');
const GLOBEX = tenant('globex', 'globex-research');
const INITECH = tenant('initech', 'initech-labs');

interface Flavor {
  name: string;
  id: string;
}
const M1_TINY: Flavor = { name: 'm1.tiny', id: '1' };
const M1_SMALL: Flavor = { name: 'm1.small', id: '2' };
const M1_MEDIUM: Flavor = { name: 'm1.medium', id: '3' };
const M1_LARGE: Flavor = { name: 'm1.large', id: '4' };
const C1_XLARGE: Flavor = { name: 'c1.xlarge', id: '7' };

const RESOURCES: Resource[] = [];

/** One resource's sampling context: its own PRNG and pollster offset within each 10-minute cycle. */
class Resource {
  readonly rand: Rand;
  readonly id: string;
  private readonly offset: Micros;

  constructor(
    readonly tenant: Tenant,
    readonly key: string,
    id?: string,
  ) {
    this.rand = prng(`${tenant.key}:${key}`);
    this.id = id ?? uuid(this.rand);
    this.offset = Math.floor((1 + this.rand() * 40) * US_PER_SECOND);
    RESOURCES.push(this);
  }

  /** When the pollster of the cycle starting at `grid` sampled this resource: a few seconds of jitter. */
  stamp(grid: Micros): Micros {
    return grid + this.offset + Math.floor(this.rand() * 4 * US_PER_SECOND);
  }
}

interface Line {
  t: Micros;
  resource: string;
  meter: string;
  grid: Micros;
  json: string;
}

const lines: Line[] = [];

function emit(
  res: Resource,
  grid: Micros,
  meter: string,
  type: 'gauge' | 'cumulative' | 'delta',
  unit: string,
  volume: number,
  metadata: Record<string, string>,
  options: { source?: string; resourceId?: string; at?: Micros } = {},
): void {
  const t = options.at ?? res.stamp(grid);
  const recorded = t + Math.floor((0.02 + res.rand() * 1.5) * US_PER_SECOND);
  const sample = {
    id: uuid(res.rand),
    meter,
    type,
    unit,
    volume,
    user_id: res.tenant.userId,
    project_id: res.tenant.projectId,
    resource_id: options.resourceId ?? res.id,
    source: options.source ?? REGION_SOURCE,
    timestamp: isoformat(t),
    recorded_at: isoformat(recorded),
    metadata: { ...metadata, project_name: res.tenant.name },
  };
  lines.push({ t, resource: sample.resource_id, meter, grid, json: JSON.stringify(sample) });
}

/** Grid times (cycle starts) in [from, to). */
function* grid(from: Micros, to: Micros): Generator<Micros> {
  for (let t = Math.ceil(from / STEP) * STEP; t < to; t += STEP) yield t;
}

// ---------------------------------------------------------------------------------------------
// Instances: `instance` meter, gauge, volume 1, one sample per cycle

interface Phase {
  from: Micros;
  /** null: the pollster reported no status at all. */
  status: string | null;
  flavor: Flavor;
}

/** Nova's vm_state for an API status (Ceilometer reports both). */
const VM_STATE: Record<string, string> = {
  active: 'active',
  stopped: 'stopped',
  paused: 'paused',
  verify_resize: 'resized',
  deleted: 'deleted',
};

interface Instance {
  res: Resource;
  name: string;
  zone: string;
  host: string;
  phases: Phase[];
  /** Samples stop before this (exclusive); a `deleted` phase gets exactly one sample. */
  end: Micros;
}

function instance(t: Tenant, name: string, zone: string, host: string, phases: Phase[], end = LAST): Instance {
  return { res: new Resource(t, `instance:${name}`), name, zone, host, phases, end };
}

function instanceMetadata(inst: Instance, phase: Phase): Record<string, string> {
  const meta: Record<string, string> = {
    display_name: inst.name,
    'flavor.id': phase.flavor.id,
    'flavor.name': phase.flavor.name,
    instance_type: phase.flavor.name,
    availability_zone: inst.zone,
    host: inst.host,
  };
  if (phase.status !== null) {
    meta.status = phase.status;
    meta.state = VM_STATE[phase.status] ?? phase.status;
  }
  return meta;
}

function phaseAt(phases: Phase[], t: Micros): Phase | undefined {
  let current: Phase | undefined;
  for (const phase of phases) if (phase.from <= t) current = phase;
  return current;
}

function emitInstance(inst: Instance): void {
  const start = inst.phases[0].from;
  for (const g of grid(start, inst.end)) {
    const phase = phaseAt(inst.phases, g)!;
    emit(inst.res, g, 'instance', 'gauge', 'instance', 1, instanceMetadata(inst, phase));
    if (phase.status === 'deleted') break;
  }
}

const on = (from: Micros, status: string | null, flavor: Flavor): Phase => ({ from, status, flavor });

const WEB1 = instance(ACME, 'web-1', 'az-north', 'compute-n1', [on(FIRST, 'active', M1_SMALL)]);
// Started mid-April: the latest April sample is the look-back that bills from 05-01T00:00.
const DB1 = instance(ACME, 'db-1', 'az-south', 'compute-s2', [on(utc(2024, 4, 15, 9, 20), 'active', M1_LARGE)]);
const BATCH1 = instance(GLOBEX, 'batch-1', 'az-north', 'compute-n2', [
  on(FIRST, 'active', C1_XLARGE),
  on(utc(2024, 5, 3, 18), 'stopped', C1_XLARGE),
  on(utc(2024, 5, 6, 8), 'active', C1_XLARGE),
  on(utc(2024, 5, 10, 20), 'stopped', C1_XLARGE),
  on(utc(2024, 5, 13, 7, 30), 'active', C1_XLARGE),
  // Pollster samples without any status: the instance keeps its last reported state (active).
  on(utc(2024, 5, 13, 7, 40), null, C1_XLARGE),
  on(utc(2024, 5, 13, 19, 40), 'active', C1_XLARGE),
  // Stopped 00:00, active 00:30: the Distil stale-point bug would bill 1 h here instead of 30 min.
  on(utc(2024, 5, 20, 0, 0), 'stopped', C1_XLARGE),
  on(utc(2024, 5, 20, 0, 30), 'active', C1_XLARGE),
  on(utc(2024, 5, 24, 22), 'stopped', C1_XLARGE),
  on(utc(2024, 5, 27, 6, 10), 'active', C1_XLARGE),
]);
const APP1 = instance(GLOBEX, 'app-1', 'az-south', 'compute-s1', [
  on(FIRST, 'active', M1_MEDIUM),
  on(utc(2024, 5, 15, 14), 'verify_resize', M1_LARGE),
  on(utc(2024, 5, 15, 14, 20), 'active', M1_LARGE),
]);
const JUMPHOST = instance(INITECH, 'jumphost', 'az-north', 'compute-n1', [
  on(FIRST, 'active', M1_TINY),
  on(utc(2024, 5, 9, 13), 'paused', M1_TINY),
  on(utc(2024, 5, 9, 17), 'active', M1_TINY),
]);
const CI_RUNNER = instance(INITECH, 'ci-runner', 'az-south', 'compute-s2', [
  on(FIRST, 'active', M1_MEDIUM),
  on(utc(2024, 5, 20, 9, 30), 'deleted', M1_MEDIUM),
]);

const INSTANCES = [WEB1, DB1, BATCH1, APP1, JUMPHOST, CI_RUNNER];

// ---------------------------------------------------------------------------------------------
// Network counters: cumulative bytes per interface, sampled with their instance

interface Nic {
  inst: Instance;
  /** Average bytes/s at the daily peak. */
  rateIn: number;
  rateOut: number;
  initialIn: number;
  initialOut: number;
  /** A reboot: the tap device is recreated and its counters restart from zero. */
  resetAt?: Micros;
}

/** Traffic by hour of day: low at night, peak in the afternoon (UTC). */
function diurnal(t: Micros): number {
  const hour = (t / (3600 * US_PER_SECOND)) % 24;
  return 0.55 + 0.45 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
}

/**
 * May's traffic by the counter rule (docs/architecture.md, "Samples to usage"): increases between consecutive samples, counted
 * in the window of the later one; after a decrease the new value counts from zero. Printed so
 * the README can state what a correct bill shows.
 */
function mayIncrease(points: Array<[Micros, number]>): number {
  let previous: number | undefined;
  let total = 0;
  for (const [t, value] of points) {
    if (t >= JUNE) break;
    if (t >= MAY && previous !== undefined) total += value >= previous ? value - previous : value;
    previous = value;
  }
  return total;
}

const traffic: string[] = [];

function emitNic(nic: Nic): void {
  const res = new Resource(nic.inst.res.tenant, `nic:${nic.inst.name}`);
  const tap = `tap${hex(res.rand, 8)}-${hex(res.rand, 2)}`;
  const resourceId = `instance-${nic.inst.res.id}-${tap}`;
  const meta = {
    instance_id: nic.inst.res.id,
    name: tap,
    availability_zone: nic.inst.zone,
    host: nic.inst.host,
  };
  let bytesIn = nic.initialIn;
  let bytesOut = nic.initialOut;
  let reset = false;
  const pointsIn: Array<[Micros, number]> = [];
  const pointsOut: Array<[Micros, number]> = [];
  for (const g of grid(FIRST, LAST)) {
    const load = diurnal(g) * 600;
    const stepIn = Math.round(nic.rateIn * load * (0.7 + 0.6 * res.rand()));
    const stepOut = Math.round(nic.rateOut * load * (0.7 + 0.6 * res.rand()));
    if (nic.resetAt !== undefined && !reset && g >= nic.resetAt) {
      // Only the few minutes since the reboot are counted by the new device.
      reset = true;
      bytesIn = Math.round(stepIn * 0.3);
      bytesOut = Math.round(stepOut * 0.3);
    } else {
      bytesIn += stepIn;
      bytesOut += stepOut;
    }
    const t = res.stamp(g);
    emit(res, g, 'network.incoming.bytes', 'cumulative', 'B', bytesIn, meta, { resourceId, at: t });
    emit(res, g, 'network.outgoing.bytes', 'cumulative', 'B', bytesOut, meta, { resourceId, at: t + 1200 });
    pointsIn.push([t, bytesIn]);
    pointsOut.push([t + 1200, bytesOut]);
  }
  const gb = (bytes: number): string => (bytes / 2 ** 30).toFixed(3);
  traffic.push(
    `  ${nic.inst.name} ${resourceId}: May in ${gb(mayIncrease(pointsIn))} GB, out ${gb(mayIncrease(pointsOut))} GB`,
  );
}

const NICS: Nic[] = [
  {
    inst: WEB1,
    rateIn: 150_000,
    rateOut: 600_000,
    initialIn: 412_734_118_906,
    initialOut: 1_733_029_554_117,
    resetAt: utc(2024, 5, 17, 3),
  },
  { inst: DB1, rateIn: 60_000, rateOut: 90_000, initialIn: 93_118_440_221, initialOut: 140_552_901_873 },
  { inst: JUMPHOST, rateIn: 2_000, rateOut: 1_000, initialIn: 561_220_114, initialOut: 309_887_402 },
];

// ---------------------------------------------------------------------------------------------
// Volumes (volume.size, GB), floating IPs (ip.floating), an image (image.size, B)

interface VolumePhase {
  from: Micros;
  size: number;
  status: string;
  /** Cinder's volume type; absent: the samples carry none (billed by the meters' fallback). */
  type?: string;
}

function emitVolume(t: Tenant, name: string, zone: string, phases: VolumePhase[]): Resource {
  const res = new Resource(t, `volume:${name}`);
  for (const g of grid(phases[0].from, LAST)) {
    let phase = phases[0];
    for (const p of phases) if (p.from <= g) phase = p;
    emit(res, g, 'volume.size', 'gauge', 'GB', phase.size, {
      display_name: name,
      status: phase.status,
      availability_zone: zone,
      ...(phase.type !== undefined ? { volume_type: phase.type } : {}),
    });
  }
  return res;
}

function emitFloatingIp(t: Tenant, address: string, from: Micros, to: Micros): void {
  const res = new Resource(t, `fip:${address}`);
  // No availability zone: floating IPs fall in the region's section.
  for (const g of grid(from, to)) {
    emit(res, g, 'ip.floating', 'gauge', 'ip', 1, { floating_ip_address: address, status: 'ACTIVE' });
  }
}

function emitImage(t: Tenant, name: string, bytes: number): void {
  const res = new Resource(t, `image:${name}`);
  for (const g of grid(FIRST, LAST)) {
    emit(res, g, 'image.size', 'gauge', 'B', bytes, { name, status: 'active', visibility: 'private' });
  }
}

// ---------------------------------------------------------------------------------------------
// The month

for (const inst of INSTANCES) emitInstance(inst);
for (const nic of NICS) emitNic(nic);

emitVolume(ACME, 'db-data', 'az-south', [
  { from: utc(2024, 4, 15, 9, 30), size: 100, status: 'available', type: 'ssd' },
  { from: utc(2024, 4, 15, 9, 40), size: 100, status: 'in-use', type: 'ssd' },
]);
// Detached, extended 20 → 50 GB, attached again; retyped hdd → ssd on 05-18 at 00:00.
const SCRATCH = emitVolume(GLOBEX, 'scratch', 'az-north', [
  { from: FIRST, size: 20, status: 'in-use', type: 'hdd' },
  { from: utc(2024, 5, 12, 10), size: 20, status: 'available', type: 'hdd' },
  { from: utc(2024, 5, 12, 10, 20), size: 50, status: 'available', type: 'hdd' },
  { from: utc(2024, 5, 12, 10, 40), size: 50, status: 'in-use', type: 'hdd' },
  { from: utc(2024, 5, 18), size: 50, status: 'in-use', type: 'ssd' },
]);
// No volume type in its samples: billed as volume.size.standard by the fallback.
emitVolume(INITECH, 'ci-cache', 'az-south', [{ from: FIRST, size: 10, status: 'available' }]);

emitFloatingIp(ACME, '203.0.113.10', FIRST, LAST);
emitFloatingIp(GLOBEX, '203.0.113.20', FIRST, LAST);
emitFloatingIp(GLOBEX, '203.0.113.21', utc(2024, 5, 8, 12), utc(2024, 5, 22, 16));
emitFloatingIp(INITECH, '203.0.113.30', FIRST, LAST);

emitImage(INITECH, 'initech-ci-base', 2_415_919_104); // 2.25 GiB

// A tenant-posted sample (`<project>:<source>`, forgeable through the API): it claims ci-runner
// ran again after its deletion and would add up to max_gap of m1.medium if it were trusted.
const FORGED_AT = utc(2024, 5, 20, 12);
emit(
  CI_RUNNER.res,
  FORGED_AT,
  'instance',
  'gauge',
  'instance',
  1,
  instanceMetadata(CI_RUNNER, on(FORGED_AT, 'active', M1_MEDIUM)),
  { source: `${INITECH.projectId}:tenant-posted` },
);

// File order: chronological, like a dump of the metering store.
lines.sort((a, b) => a.t - b.t || (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));

// Exact duplicates (same id, same line): a redelivered message a few lines further down.
const DUPLICATES: Array<[string, string, Micros]> = [
  [WEB1.res.id, 'instance', utc(2024, 5, 7, 12)],
  [SCRATCH.id, 'volume.size', utc(2024, 5, 21, 8)],
  [DB1.res.id, 'network.incoming.bytes', utc(2024, 5, 26, 18)],
];
for (const [resource, meter, at] of DUPLICATES) {
  const i = lines.findIndex((l) => (l.resource === resource || l.resource.startsWith(`instance-${resource}-`)) && l.meter === meter && l.grid === at);
  if (i < 0) throw new Error(`no sample to duplicate: ${resource} ${meter} ${isoformat(at)}`);
  lines.splice(i + 5, 0, lines[i]);
}

// ---------------------------------------------------------------------------------------------
// Output

const output = process.argv[2] ?? 'config/demo/samples.ndjson.gz';
const header = [
  '# artifice demo telemetry: May 2024 (UTC) in RegionOne, Ceilometer v2 samples, one per line.',
  '# Generated by config/demo/generate.ts (see config/demo/README.md); do not edit by hand.',
];
const text = `${[...header, ...lines.map((l) => l.json)].join('\n')}\n`;
const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
mkdirSync(dirname(output), { recursive: true });
writeFileSync(output, gz);

process.stderr.write(`wrote ${output}: ${lines.length} samples, ${text.length} bytes, ${gz.length} gzipped\n`);
for (const t of [ACME, GLOBEX, INITECH]) process.stderr.write(`  tenant ${t.name}: project ${t.projectId}, user ${t.userId}\n`);
for (const res of RESOURCES) {
  if (!res.key.startsWith('nic:')) process.stderr.write(`  ${res.tenant.name} ${res.key}: ${res.id}\n`);
}
for (const line of traffic) process.stderr.write(`${line}\n`);
