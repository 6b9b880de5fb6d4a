/**
 * The month the real-Gnocchi suite bills: March 2026 (UTC) of a small cloud, as data. One
 * description gives both what is seeded into Gnocchi (resources with back-dated history,
 * measures) and the same month as Ceilometer samples for the file collector, so the two
 * backends can be compared. Deterministic: ids are hashes of SCENARIO_VERSION and a name.
 *
 * Samples come every 10 minutes on the minute (instances, volumes, traffic) or every hour
 * (floating IP, image), from 2026-02-28T22:00Z (look-back) to 2026-04-01T01:00Z. Gnocchi gets
 * one measure per sample — for instances the `vcpus` metric, posted only while the instance is
 * active (a stopped instance has no measure: that is how Gnocchi uptime sees it stopped).
 */
import { createHash } from 'node:crypto';

/** Bump when the scenario changes: ids change with it, so an old seed never mixes in. */
export const SCENARIO_VERSION = 'artifice-gnocchi-live-5';
export const MONTH = '2026-03';
/** When March 2026 is settled (end + settle_hours has passed). */
export const AFTER_MONTH = new Date('2026-04-02T00:00:00Z');

const MIN = 60_000;
const HOUR = 60 * MIN;
export const utc = (iso: string): number => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
const FIRST = utc('2026-02-28T22:00:00');
const LAST = utc('2026-04-01T01:00:00');

function hex(name: string, length = 32): string {
  return createHash('sha1').update(`${SCENARIO_VERSION}:${name}`).digest('hex').slice(0, length);
}

function uuid(name: string): string {
  const h = hex(name);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface Flavor {
  name: string;
  id: string;
  vcpus: number;
}
export const M1_TINY: Flavor = { name: 'm1.tiny', id: '1', vcpus: 1 };
export const M1_SMALL: Flavor = { name: 'm1.small', id: '2', vcpus: 1 };
export const M1_MEDIUM: Flavor = { name: 'm1.medium', id: '3', vcpus: 2 };
export const M1_LARGE: Flavor = { name: 'm1.large', id: '4', vcpus: 4 };

export interface ScenarioTenant {
  key: string;
  name: string;
  id: string;
}

function tenant(key: string, name: string): ScenarioTenant {
  return { key, name, id: hex(`project:${key}`) };
}

export const ACME = tenant('acme', 'acme-webshop');
export const GLOBEX = tenant('globex', 'globex-research');
export const INITECH = tenant('initech', 'initech-labs');
/** Its instance's vcpus metric is on `ceilometer-low` (5 min only): granularity 3600 is not there. */
export const UMBRELLA = tenant('umbrella', 'umbrella-granularity');
/** Its instance's vcpus metric is on `artifice-mean-1h` (mean only): asking for max must fail. */
export const HOOLI = tenant('hooli', 'hooli-mean-only');
export const TENANTS = [ACME, GLOBEX, INITECH, UMBRELLA, HOOLI];

/** Archive policies the seed creates if missing (besides gnocchi-up.sh's ceilometer-* and billing-1h). */
export const POLICIES = [
  { name: 'artifice-mean-1h', back_window: 0, aggregation_methods: ['mean'], definition: [{ granularity: '1 hour', timespan: '400 days' }] },
];

/** One Ceilometer sample of the month (file collector) and whether it is also a Gnocchi measure. */
export interface ScenarioSample {
  meter: string;
  type: 'gauge' | 'cumulative' | 'delta';
  unit: string;
  /** Epoch ms. */
  t: number;
  volume: number;
  metadata: Record<string, string>;
  /** The Gnocchi metric and value, when this sample is posted as a measure. */
  measure?: { metric: string; value: number };
}

export interface ScenarioResource {
  key: string;
  tenant: ScenarioTenant;
  type: 'instance' | 'volume' | 'network' | 'image' | 'instance_network_interface';
  id: string;
  /** Type attributes at creation. */
  attributes: Record<string, string>;
  startedAt: number;
  endedAt?: number;
  /** Attribute changes after creation (PATCH), each back-dated to `at` in resource_history. */
  changes: { at: number; attributes: Record<string, string> }[];
  /** Gnocchi metric → archive policy. */
  metrics: Record<string, string>;
  samples: ScenarioSample[];
}

function grid(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t < to; t += step) out.push(t);
  return out;
}

function flavorMetadata(f: Flavor): Record<string, string> {
  return { 'flavor.name': f.name, 'flavor.id': f.id, instance_type: f.name };
}

interface InstancePlan {
  key: string;
  tenant: ScenarioTenant;
  name: string;
  startedAt: number;
  endedAt?: number;
  flavor: (t: number) => Flavor;
  /** Resize instants (the flavor changes there). */
  resizes?: number[];
  stopped?: [number, number][];
  step: number;
  /** Offset of the samples within each step. */
  offset?: number;
  policy?: string;
}

function instance(plan: InstancePlan): ScenarioResource {
  const id = uuid(`instance:${plan.tenant.key}:${plan.key}`);
  const from = Math.max(FIRST, plan.startedAt);
  const to = Math.min(LAST, plan.endedAt ?? LAST);
  const samples: ScenarioSample[] = [];
  for (const g of grid(from - (plan.offset ?? 0), to - (plan.offset ?? 0), plan.step)) {
    const t = g + (plan.offset ?? 0);
    if (t < from || t >= to) continue;
    const stopped = (plan.stopped ?? []).some(([a, b]) => t >= a && t < b);
    const f = plan.flavor(t);
    samples.push({
      meter: 'instance', type: 'gauge', unit: 'instance', t, volume: 1,
      metadata: { ...flavorMetadata(f), status: stopped ? 'stopped' : 'active', display_name: plan.name },
      measure: stopped ? undefined : { metric: 'vcpus', value: f.vcpus },
    });
  }
  if (plan.endedAt !== undefined && plan.endedAt < LAST) {
    const f = plan.flavor(plan.endedAt);
    samples.push({
      meter: 'instance', type: 'gauge', unit: 'instance', t: plan.endedAt, volume: 1,
      metadata: { ...flavorMetadata(f), status: 'deleted', display_name: plan.name },
    });
  }
  const first = plan.flavor(plan.startedAt);
  return {
    key: plan.key, tenant: plan.tenant, type: 'instance', id,
    attributes: { display_name: plan.name, flavor_id: first.id, flavor_name: first.name, host: 'compute-1' },
    startedAt: plan.startedAt, endedAt: plan.endedAt,
    changes: (plan.resizes ?? []).map((at) => ({ at, attributes: { flavor_id: plan.flavor(at).id, flavor_name: plan.flavor(at).name } })),
    metrics: { vcpus: plan.policy ?? 'billing-1h' },
    samples,
  };
}

function gaugeResource(options: {
  key: string; tenant: ScenarioTenant; type: ScenarioResource['type']; attributes: Record<string, string>; startedAt: number;
  meter: string; unit: string; step: number; value: (t: number) => number; metadata?: Record<string, string>;
  /** Attribute changes (a retype), also reported in the metadata of the samples from `at` on. */
  changes?: ScenarioResource['changes'];
}): ScenarioResource {
  const changes = options.changes ?? [];
  const changed = (t: number) => Object.assign({}, ...changes.filter((c) => c.at <= t).map((c) => c.attributes)) as Record<string, string>;
  const samples = grid(Math.max(FIRST, options.startedAt), LAST, options.step).map((t): ScenarioSample => ({
    meter: options.meter, type: 'gauge', unit: options.unit, t, volume: options.value(t), metadata: { ...options.metadata, ...changed(t) },
    measure: { metric: options.meter, value: options.value(t) },
  }));
  return {
    key: options.key, tenant: options.tenant, type: options.type, id: uuid(`${options.type}:${options.tenant.key}:${options.key}`),
    attributes: options.attributes, startedAt: options.startedAt, changes, metrics: { [options.meter]: 'billing-1h' }, samples,
  };
}

const MIB = 1024 * 1024;
export const WEB1_RESIZE = utc('2026-03-10T14:30:00');
export const BATCH1_START = utc('2026-03-05T09:40:00');
export const BATCH1_END = utc('2026-03-20T16:10:00');
export const BATCH1_STOP: [number, number] = [utc('2026-03-12T00:30:00'), utc('2026-03-13T00:00:00')];
export const VOLUME_EXTEND = utc('2026-03-15T12:30:00');
/** data-1 is retyped hdd → ssd (inside the 06:00 bucket). */
export const VOLUME_RETYPE = utc('2026-03-20T06:20:00');
/** The interface counter of app-1 restarts from 1 MiB at 03:10 (a reboot at 03:05). */
export const COUNTER_RESET = utc('2026-03-17T03:05:00');

/** Cumulative bytes sent by app-1's interface at t: +10 MiB per 10 minutes, reset by the reboot. */
function appTraffic(t: number): number {
  const steps = (from: number) => Math.floor((t - from) / (10 * MIN));
  if (t < COUNTER_RESET) return 5000 * MIB + steps(FIRST) * 10 * MIB;
  return 1 * MIB + steps(utc('2026-03-17T03:10:00')) * 10 * MIB;
}

export const RESOURCES: ScenarioResource[] = [
  // acme: an instance resized mid-month (in the middle of an hour), one started and deleted
  // mid-month with a day stopped, a volume extended and retyped mid-month, a floating IP.
  instance({
    key: 'web-1', tenant: ACME, name: 'web-1', startedAt: utc('2026-02-20T08:00:00'), step: 10 * MIN,
    flavor: (t) => (t < WEB1_RESIZE ? M1_SMALL : M1_MEDIUM), resizes: [WEB1_RESIZE],
  }),
  instance({
    key: 'batch-1', tenant: ACME, name: 'batch-1', startedAt: BATCH1_START, endedAt: BATCH1_END, step: 10 * MIN,
    flavor: () => M1_LARGE, stopped: [BATCH1_STOP],
  }),
  gaugeResource({
    key: 'data-1', tenant: ACME, type: 'volume', attributes: { display_name: 'data-1', volume_type: 'hdd' }, startedAt: utc('2026-01-10T00:00:00'),
    meter: 'volume.size', unit: 'GB', step: 10 * MIN, value: (t) => (t < VOLUME_EXTEND ? 100 : 150), metadata: { status: 'in-use', volume_type: 'hdd' },
    changes: [{ at: VOLUME_RETYPE, attributes: { volume_type: 'ssd' } }],
  }),
  gaugeResource({
    key: 'fip-1', tenant: ACME, type: 'network', attributes: {}, startedAt: utc('2026-01-10T00:00:00'),
    meter: 'ip.floating', unit: 'ip', step: HOUR, value: () => 1,
  }),
  // globex: an instance all month, a private image, traffic with a counter reset.
  instance({ key: 'app-1', tenant: GLOBEX, name: 'app-1', startedAt: utc('2026-01-01T00:00:00'), step: 10 * MIN, flavor: () => M1_TINY }),
  gaugeResource({
    key: 'base-image', tenant: GLOBEX, type: 'image', attributes: { name: 'globex-base' }, startedAt: utc('2026-01-05T00:00:00'),
    meter: 'image.size', unit: 'B', step: HOUR, value: () => 2_415_919_104,
  }),
  (() => {
    const app = uuid(`instance:${GLOBEX.key}:app-1`);
    const r = gaugeResource({
      key: 'app-1-tap', tenant: GLOBEX, type: 'instance_network_interface', attributes: { name: 'tap-app-1', instance_id: app },
      startedAt: utc('2026-01-01T00:00:00'), meter: 'network.outgoing.bytes', unit: 'B', step: 10 * MIN, value: appTraffic,
    });
    // The same interface also reports the bytes it received: +1 MiB per 10 minutes, no reset.
    const received = (t: number) => 200 * MIB + Math.floor((t - FIRST) / (10 * MIN)) * MIB;
    r.samples.push(...r.samples.map((s) => ({ ...s, meter: 'network.incoming.bytes', volume: received(s.t), measure: { metric: 'network.incoming.bytes', value: received(s.t) } })));
    for (const s of r.samples) s.type = 'cumulative';
    r.metrics['network.incoming.bytes'] = 'billing-1h';
    return r;
  })(),
  // initech: an instance created mid-month, sampled once an hour at :30.
  instance({
    key: 'jumphost', tenant: INITECH, name: 'jumphost', startedAt: utc('2026-03-03T10:30:00'), step: HOUR, offset: 30 * MIN,
    flavor: () => M1_TINY,
  }),
  // Tenants whose metrics cannot be read as configured (error messages).
  instance({ key: 'legacy', tenant: UMBRELLA, name: 'legacy', startedAt: utc('2026-02-01T00:00:00'), step: 10 * MIN, flavor: () => M1_SMALL, policy: 'ceilometer-low' }),
  instance({ key: 'meanie', tenant: HOOLI, name: 'meanie', startedAt: utc('2026-02-01T00:00:00'), step: 10 * MIN, flavor: () => M1_SMALL, policy: 'artifice-mean-1h' }),
];

/** The generic resource created last: its presence means the seed is complete. */
export const SEED_MARKER = `${SCENARIO_VERSION}-complete`;

/** Python's isoformat of naive UTC with microseconds, as Ceilometer writes it. */
function naive(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '').replace(/\.(\d{3})$/, '.$1000');
}

/** The month as newline-delimited Ceilometer v2 samples (what `[telemetry] backend = file` reads). */
export function scenarioNdjson(): string {
  const lines: string[] = [];
  for (const r of RESOURCES) {
    r.samples.forEach((s, i) => {
      lines.push(JSON.stringify({
        id: `${r.id}-${s.meter}-${i}`, meter: s.meter, type: s.type, unit: s.unit, volume: s.volume,
        user_id: hex(`user:${r.tenant.key}`), project_id: r.tenant.id, resource_id: r.id, source: 'openstack',
        timestamp: naive(s.t), recorded_at: naive(s.t + 1000), metadata: { ...s.metadata, project_name: r.tenant.name },
      }));
    });
  }
  return `${lines.join('\n')}\n`;
}
