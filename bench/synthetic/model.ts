/**
 * The synthetic cloud of the benchmark: N tenants × R resources over a fixed month, computed
 * from the indices on demand (nothing of the month is held in memory). Both API shapes
 * (ceilometer.ts, gnocchi.ts) read it.
 *
 * - Tenant i has the project id `<i as 8 hex>b3c4d5e6f708192a3b4c5d6e`.
 * - Its resource j is of kind KINDS[j % 5]: instance, volume, instance, floating IP,
 *   network interface (two cumulative counters).
 * - Each resource starts before the data (4 in 5) or inside the month, one in ten ends mid-month,
 *   one instance in four is resized on the 11th at 14:30, one in seven is stopped on the 21st
 *   and 22nd (Ceilometer: status `stopped`; Gnocchi: no measures).
 * - A sample or measure every `interval` seconds; Ceilometer samples have a per-resource phase.
 */
export const MONTH = { year: 2026, month: 10, label: '2026-10' } as const;
const US = 1_000_000;
export const WINDOW_START = Date.UTC(2026, 9, 1) * 1000;
export const WINDOW_END = Date.UTC(2026, 10, 1) * 1000;
/** Data begins 3 days before the window (look-backs are at most a day). */
export const DATA_START = WINDOW_START - 3 * 86400 * US;
export const DATA_END = WINDOW_END;
const DAY = 86400 * US;

export type Kind = 'instance' | 'volume' | 'network' | 'instance_network_interface';
export const KINDS: readonly Kind[] = ['instance', 'volume', 'instance', 'network', 'instance_network_interface'];
export const METERS_OF: Record<Kind, readonly string[]> = {
  instance: ['instance'],
  volume: ['volume.size'],
  network: ['ip.floating'],
  instance_network_interface: ['network.incoming.bytes', 'network.outgoing.bytes'],
};
const FLAVORS = ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large'] as const;

export interface Cloud {
  tenants: number;
  resources: number;
  /** Seconds between samples (Ceilometer) or measures (Gnocchi's granularity). */
  interval: number;
}

export interface Resource {
  tenant: number;
  index: number;
  kind: Kind;
  id: string;
  projectId: string;
  userId: string;
  startedAt: number;
  endedAt: number | null;
  /** Instances: when the flavor changed (else null), and the flavors before and after. */
  resizedAt: number | null;
  flavors: [string, string];
  /** Instances: a stop [from, to), else null. */
  stopped: [number, number] | null;
  /** Ceilometer: offset of this resource's samples from the interval grid, µs. */
  phase: number;
  seed: number;
}

export function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

function mix(a: number, b: number): number {
  let h = (Math.imul(a + 1, 0x9e3779b1) ^ Math.imul(b + 7, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

export function projectId(tenant: number): string {
  return `${hex(tenant, 8)}b3c4d5e6f708192a3b4c5d6e`;
}

/** `tttttttt-jjjj-4000-8000-be0c00000000`: tenant and index can be read back (paging markers). */
export function resourceId(tenant: number, index: number): string {
  return `${hex(tenant, 8)}-${hex(index, 4)}-4000-8000-be0c00000000`;
}

export function parseResourceId(id: string): { tenant: number; index: number } | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-4000-8000-be0c00000000$/.exec(id);
  return m ? { tenant: parseInt(m[1]!, 16), index: parseInt(m[2]!, 16) } : undefined;
}

export function resource(cloud: Cloud, tenant: number, index: number): Resource {
  const seed = mix(tenant, index);
  const kind = KINDS[index % KINDS.length]!;
  const startedAt = seed % 5 === 0 ? WINDOW_START + (seed % 27) * DAY + (seed % 24) * 3600 * US + 17 * 60 * US : DATA_START - (1 + (seed % 90)) * DAY;
  const endedAt = seed % 10 === 3 ? WINDOW_START + 15 * DAY + (seed % 600) * 60 * US : null;
  const flavor = FLAVORS[seed % 3]!;
  const instance = kind === 'instance';
  const resized = instance && seed % 4 === 1 ? WINDOW_START + 10 * DAY + 14.5 * 3600 * US : null;
  return {
    tenant, index, kind, seed,
    id: resourceId(tenant, index),
    projectId: projectId(tenant),
    userId: `${hex(seed, 8)}0a1b2c3d4e5f60718293a4b5c6d7e8`,
    startedAt, endedAt,
    resizedAt: resized !== null && resized > startedAt && (endedAt === null || resized < endedAt) ? resized : null,
    flavors: [flavor, FLAVORS[(seed % 3) + 1]!],
    stopped: instance && seed % 7 === 2 ? [WINDOW_START + 20 * DAY, WINDOW_START + 22 * DAY] : null,
    phase: (seed % cloud.interval) * US + (seed % 999_983),
  };
}

/** The resources of one tenant, optionally of one kind. */
export function resourcesOf(cloud: Cloud, tenant: number, kind?: Kind): Resource[] {
  const out: Resource[] = [];
  for (let j = 0; j < cloud.resources; j++) {
    if (kind === undefined || KINDS[j % KINDS.length] === kind) out.push(resource(cloud, tenant, j));
  }
  return out;
}

export function flavorAt(r: Resource, t: number): string {
  return r.resizedAt !== null && t >= r.resizedAt ? r.flavors[1] : r.flavors[0];
}

export function isStopped(r: Resource, t: number): boolean {
  return r.stopped !== null && t >= r.stopped[0] && t < r.stopped[1];
}

/** The value a meter reports at t: the level of a gauge, the running total of a counter. */
export function valueAt(r: Resource, meter: string, t: number, intervalUs: number): number {
  switch (meter) {
    case 'volume.size':
      return 10 + (r.seed % 50) * 10;
    case 'network.incoming.bytes':
    case 'network.outgoing.bytes': {
      const steps = Math.floor((t - Math.max(r.startedAt, DATA_START)) / intervalUs);
      return steps * (1000 + (r.seed % 997)) * (meter === 'network.incoming.bytes' ? 2048 : 1024);
    }
    default:
      return 1;
  }
}

/** Python's `isoformat()` of a naive UTC instant (Ceilometer): microseconds only when not 0. */
let day = { start: NaN, text: '' };

export function naiveIso(t: number): string {
  // The date part is made once per day: the server writes millions of these.
  const dayStart = Math.floor(t / (86400 * US)) * 86400 * US;
  if (dayStart !== day.start) day = { start: dayStart, text: new Date(dayStart / 1000).toISOString().slice(0, 11) };
  const s = Math.floor((t - dayStart) / US);
  const two = (n: number) => (n < 10 ? `0${n}` : String(n));
  const iso = `${day.text}${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  const us = t % US;
  return us === 0 ? iso : `${iso}.${String(us).padStart(6, "0")}`;
}

/** Gnocchi's timestamps: `2026-10-01T00:00:00+00:00` (with microseconds when not 0). */
export function gnocchiIso(t: number | null): string | null {
  if (t === null) return null;
  return `${naiveIso(t)}+00:00`;
}

/** A JSON float as Python writes it (`3600.0`). */
export function pyFloat(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** Reads an ISO instant (with or without offset; naive = UTC) to µs, or undefined. */
export function parseInstant(text: string): number | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6})\d*)?(Z|[+-]\d\d:\d\d)?$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] ?? 'Z'}`);
  if (!Number.isFinite(ms)) return undefined;
  return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0') || '0');
}
