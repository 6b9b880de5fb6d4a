/**
 * The Gnocchi v1 shape of the synthetic cloud (docs/gnocchi.md): resource search with history
 * and `Link` paging (markers `id@revision`, pages of at most 1000), metrics with their archive
 * policy, the metric list by name, archive policies, `POST /v1/aggregates` by resource id, and
 * the 400 "Metrics not found". Timestamps and floats are written as Gnocchi writes them.
 */
import {
  DATA_END, DATA_START, KINDS, flavorAt, gnocchiIso, hex, isStopped, parseInstant, parseResourceId, projectId, pyFloat, resource, valueAt,
  type Cloud, type Kind, type Resource,
} from './model.js';
import type { Answer, Ask } from './server.js';

const US = 1_000_000;
const MAX_LIMIT = 1000;

/** Every metric a resource of each kind carries, as Ceilometer creates them; only the first ones of billing interest get measures. */
const METRICS: Record<Kind, readonly string[]> = {
  instance: ['vcpus', 'memory', 'cpu', 'memory.usage', 'disk.root.size', 'disk.ephemeral.size', 'compute.instance.booting.time', 'disk.device.read.bytes'],
  volume: ['volume.size', 'volume.provider.capacity.total'],
  network: ['ip.floating'],
  instance_network_interface: ['network.incoming.bytes', 'network.outgoing.bytes', 'network.incoming.packets', 'network.outgoing.packets'],
};
const MEASURED = new Set(['vcpus', 'volume.size', 'ip.floating', 'network.incoming.bytes', 'network.outgoing.bytes']);
const UNITS: Record<string, string> = { vcpus: 'vcpu', 'volume.size': 'GB', 'ip.floating': 'ip', 'network.incoming.bytes': 'B', 'network.outgoing.bytes': 'B', memory: 'MB' };
/** Resource types that exist; the synthetic cloud has no images or Swift accounts (their searches answer `[]`). */
const TYPES = ['generic', ...new Set(KINDS), 'image', 'swift_account'];
const ALL_METRICS = [...new Set(Object.values(METRICS).flat())].sort();
const VCPUS: Record<string, number> = { 'm1.tiny': 1, 'm1.small': 1, 'm1.medium': 2, 'm1.large': 4 };

function timedelta(seconds: number): string {
  const days = Math.floor(seconds / 86400);
  const rest = seconds % 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  return days > 0 ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

function policy(cloud: Cloud): object {
  return {
    name: 'bench-billing', back_window: 0,
    definition: [{ timespan: '400 days, 0:00:00', granularity: timedelta(cloud.interval), points: Math.floor((400 * 86400) / cloud.interval) }],
    aggregation_methods: ['count', 'min', 'max', 'rate:mean', 'mean', 'sum', 'last'],
  };
}

/** `nnnnnnnn-TTTT-tttt-jjjj-be0c00000000`: name, tenant, index; sorted ids are sorted by (name, tenant, index). */
function metricId(name: string, r: Pick<Resource, 'tenant' | 'index'>): string {
  const n = ALL_METRICS.indexOf(name);
  return `${hex(n, 8)}-${hex(r.tenant >>> 16, 4)}-${hex(r.tenant & 0xffff, 4)}-${hex(r.index, 4)}-be0c00000000`;
}

function parseMetricId(cloud: Cloud, id: string): { name: string; r: Resource } | undefined {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-be0c00000000$/.exec(id);
  if (!m) return undefined;
  const name = ALL_METRICS[parseInt(m[1]!, 16)];
  const tenant = parseInt(m[2]! + m[3]!, 16);
  const index = parseInt(m[4]!, 16);
  if (name === undefined || tenant >= cloud.tenants || index >= cloud.resources) return undefined;
  const r = resource(cloud, tenant, index);
  return METRICS[r.kind].includes(name) ? { name, r } : undefined;
}

/** The resource's revisions as history rows (one row unless the instance was resized). */
function rows(cloud: Cloud, r: Resource): Record<string, unknown>[] {
  const metrics = Object.fromEntries(METRICS[r.kind].map((name) => [name, metricId(name, r)]));
  const base = (flavor: string | null, revisionStart: number, revisionEnd: number | null): Record<string, unknown> => ({
    creator: 'ceilometer', started_at: gnocchiIso(r.startedAt), revision_start: gnocchiIso(revisionStart), ended_at: gnocchiIso(r.endedAt),
    user_id: r.userId, project_id: r.projectId, original_resource_id: r.id, id: r.id, type: r.kind,
    ...(r.kind === 'instance'
      ? {
          display_name: `vm-${r.tenant}-${r.index}`, flavor_id: String(VCPUS[flavor!]), flavor_name: flavor, image_ref: `c0ffee00-0000-4000-8000-${hex(r.seed % 20, 12)}`,
          host: `compute-${r.seed % 40}`, server_group: null, availability_zone: 'nova', launched_at: gnocchiIso(r.startedAt),
          created_at: gnocchiIso(r.startedAt), deleted_at: gnocchiIso(r.endedAt),
        }
      : r.kind === 'volume'
        ? { display_name: `vol-${r.tenant}-${r.index}`, volume_type: 'ceph' }
        : r.kind === 'instance_network_interface'
          ? { name: `tap${hex(r.seed, 8)}-${r.index}`, instance_id: r.id }
          : {}),
    revision_end: gnocchiIso(revisionEnd), metrics, created_by_user_id: 'ceilometer', created_by_project_id: 'service',
  });
  if (r.resizedAt === null) return [base(r.kind === 'instance' ? r.flavors[0] : null, r.startedAt, null)];
  return [base(r.flavors[0], r.startedAt, r.resizedAt), base(r.flavors[1], r.resizedAt, null)];
}

const TIME_FIELDS = new Set(['started_at', 'ended_at', 'revision_start', 'revision_end']);

function compare(field: string, have: unknown, want: unknown): number | undefined {
  if (have === null || have === undefined || want === null) return undefined;
  if (TIME_FIELDS.has(field)) {
    const a = parseInstant(String(have));
    const b = parseInstant(String(want));
    return a === undefined || b === undefined ? undefined : a - b;
  }
  const [a, b] = [String(have), String(want)];
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Gnocchi's search language, the operators artifice and its tests use. */
export function matches(filter: unknown, row: Record<string, unknown>): boolean {
  const [op, arg] = Object.entries(filter as object)[0] ?? [];
  if (op === 'and') return (arg as unknown[]).every((f) => matches(f, row));
  if (op === 'or') return (arg as unknown[]).some((f) => matches(f, row));
  if (op === 'not') return !matches(arg, row);
  const [field, value] = Object.entries(arg as object)[0] ?? [];
  if (field === undefined) return false;
  const have = row[field];
  if (op === 'in') return (value as unknown[]).some((v) => compare(field, have, v) === 0);
  if ((op === '=' || op === '==' || op === 'eq') && value === null) return have === null || have === undefined;
  if ((op === '!=' || op === 'ne') && value === null) return have !== null && have !== undefined;
  const c = compare(field, have, value);
  if (c === undefined) return false;
  switch (op) {
    case '=': case '==': case 'eq': return c === 0;
    case '!=': case 'ne': return c !== 0;
    case '<': case 'lt': return c < 0;
    case '<=': case 'le': return c <= 0;
    case '>': case 'gt': return c > 0;
    case '>=': case 'ge': return c >= 0;
    default: return false;
  }
}

/** The tenants a filter can match: its `project_id =` (anywhere under `and`), else all. */
function tenantsOf(cloud: Cloud, filter: unknown): number[] | undefined {
  const [op, arg] = Object.entries((filter ?? {}) as object)[0] ?? [];
  if (op === 'and') {
    for (const f of arg as unknown[]) {
      const found = tenantsOf(cloud, f);
      if (found) return found;
    }
    return undefined;
  }
  if ((op === '=' || op === 'eq') && typeof (arg as { project_id?: unknown }).project_id === 'string') {
    const id = (arg as { project_id: string }).project_id;
    const tenant = parseInt(id.slice(0, 8), 16);
    return id === projectId(tenant) && tenant < cloud.tenants ? [tenant] : [];
  }
  return undefined;
}

export class GnocchiShape {
  constructor(private readonly cloud: Cloud, private readonly count: (samples: number) => void) {}

  handle(ask: Ask): Answer {
    const { method, path } = ask;
    if (method === 'POST' && path.startsWith('/v1/search/resource/')) return this.search(ask, decodeURIComponent(path.slice('/v1/search/resource/'.length)));
    if (method === 'POST' && path === '/v1/aggregates') return this.aggregates(ask);
    if (method === 'GET' && path === '/v1/metric') return this.metricList(ask);
    if (method === 'GET' && path.startsWith('/v1/metric/')) return this.metric(path.slice('/v1/metric/'.length));
    if (method === 'GET' && path === '/v1/archive_policy') return json(200, [policy(this.cloud)]);
    if (method === 'GET' && path === '/v1/archive_policy/bench-billing') return json(200, policy(this.cloud));
    if (method === 'GET' && path === '/v1/resource_type') return json(200, TYPES.map((name) => ({ name, attributes: {}, state: 'active' })));
    return json(404, { code: 404, title: 'Not Found', description: `The resource could not be found.` });
  }

  private search(ask: Ask, type: string): Answer {
    if (!TYPES.includes(type)) return json(404, { code: 404, title: 'Not Found', description: `Resource type ${type} does not exist` });
    const history = ask.query.get('history') === 'true';
    const limit = Math.min(MAX_LIMIT, Number(ask.query.get('limit') ?? MAX_LIMIT));
    const attrs = ask.query.getAll('attrs');
    const marker = ask.query.get('marker');
    const after = marker ? markerPosition(marker) : undefined;
    const tenants = tenantsOf(this.cloud, ask.body);
    const page: Record<string, unknown>[] = [];
    let last = '';
    const first = after?.tenant ?? 0;
    const list = tenants ?? Array.from({ length: this.cloud.tenants - first }, (_, k) => first + k);
    outer: for (const tenant of list) {
      if (after && tenant < after.tenant) continue;
      for (let j = 0; j < this.cloud.resources; j++) {
        if (KINDS[j % KINDS.length] !== type || (after && tenant === after.tenant && j < after.index)) continue;
        const all = rows(this.cloud, resource(this.cloud, tenant, j));
        const revisions = history ? all : [all[all.length - 1]!];
        for (let rev = 0; rev < revisions.length; rev++) {
          if (after && tenant === after.tenant && j === after.index && rev <= (history ? after.rev : Infinity)) continue;
          const row = revisions[rev]!;
          if (!matches(ask.body, row)) continue;
          page.push(attrs.length > 0 ? Object.fromEntries(attrs.map((a) => [a, row[a]])) : row);
          last = history ? `${row.id}@${rev}` : String(row.id);
          if (page.length === limit) break outer;
        }
      }
    }
    const headers: Record<string, string> = {};
    if (page.length === limit) {
      // As Gnocchi does: the next link carries parameters derived from the body (junk for a POST).
      headers.Link = `<http://${ask.host}/v1/search/resource/${type}?%3D=project_id&limit=${limit}&marker=${encodeURIComponent(last)}&sort=revision_start%3Aasc&sort=started_at%3Aasc>; rel="next"`;
    }
    return json(200, page, headers);
  }

  private metricInfo(name: string, r: Resource): object {
    return {
      id: metricId(name, r), creator: 'ceilometer', name, unit: UNITS[name] ?? null, resource_id: r.id, archive_policy: policy(this.cloud),
      created_by_user_id: 'ceilometer', created_by_project_id: 'service',
    };
  }

  private metric(rest: string): Answer {
    const [id, sub] = rest.split('/');
    const found = parseMetricId(this.cloud, decodeURIComponent(id ?? ''));
    if (!found) return json(404, { code: 404, title: 'Not Found', description: `Metric ${id} does not exist` });
    if (sub === 'measures') return json(200, []);
    return json(200, this.metricInfo(found.name, found.r));
  }

  /** `GET /v1/metric?name=…&limit=…&marker=…`, sorted by id, `Link` on full pages. */
  private metricList(ask: Ask): Answer {
    const name = ask.query.get('name');
    const limit = Math.min(MAX_LIMIT, Number(ask.query.get('limit') ?? MAX_LIMIT));
    const names = name === null ? ALL_METRICS : ALL_METRICS.includes(name) ? [name] : [];
    const marker = ask.query.get('marker');
    const page: object[] = [];
    let last = '';
    outer: for (const n of names) {
      for (let tenant = 0; tenant < this.cloud.tenants; tenant++) {
        for (let j = 0; j < this.cloud.resources; j++) {
          const kind = KINDS[j % KINDS.length]!;
          if (!METRICS[kind].includes(n)) continue;
          const id = metricId(n, { tenant, index: j });
          if (marker !== null && id <= marker) continue;
          page.push(this.metricInfo(n, resource(this.cloud, tenant, j)));
          last = id;
          if (page.length === limit) break outer;
        }
      }
    }
    const headers: Record<string, string> = {};
    if (page.length === limit) headers.Link = `<http://${ask.host}/v1/metric?limit=${limit}&marker=${last}${name ? `&name=${encodeURIComponent(name)}` : ''}&sort=id%3Aasc>; rel="next"`;
    return json(200, page, headers);
  }

  private aggregates(ask: Ask): Answer {
    const body = ask.body as { resource_type?: string; search?: { in?: { id?: string[] } }; operations?: unknown };
    const [, name, aggregation] = Array.isArray(body.operations) ? (body.operations as string[]) : [];
    const granularity = Number(ask.query.get('granularity'));
    const start = parseInstant(ask.query.get('start') ?? '') ?? DATA_START;
    const stop = parseInstant(ask.query.get('stop') ?? '') ?? DATA_END;
    const ids = body.search?.in?.id ?? [];
    if (typeof name !== 'string' || typeof aggregation !== 'string') return json(400, { code: 400, title: 'Bad Request', description: 'Invalid operations' });
    const found = ids
      .map((id) => parseResourceId(id))
      .filter((p): p is { tenant: number; index: number } => p !== undefined && p.tenant < this.cloud.tenants && p.index < this.cloud.resources)
      .map((p) => resource(this.cloud, p.tenant, p.index))
      .filter((r) => r.kind === body.resource_type && METRICS[r.kind].includes(name));
    if (found.length === 0) return json(400, { code: 400, title: 'Bad Request', description: { cause: 'Metrics not found', detail: [name] } });
    if (granularity !== this.cloud.interval) {
      return json(404, { code: 404, title: 'Not Found', description: `Aggregation method '${aggregation}' at granularity '${pyFloat(granularity)}' for metric ${metricId(name, found[0]!)} does not exist` });
    }
    const chunks: string[] = ['{"measures": {'];
    found.forEach((r, k) => {
      chunks.push(`${k > 0 ? ', ' : ''}"${r.id}": {"${name}": {"${aggregation}": [${this.measures(r, name, start, stop).join(', ')}]}}`);
    });
    chunks.push('}}');
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: chunks };
  }

  /** `["2026-10-01T00:00:00+00:00", 3600.0, 1.0]` per bucket with a measure in [start, stop). */
  private measures(r: Resource, name: string, start: number, stop: number): string[] {
    if (!MEASURED.has(name)) return [];
    const g = this.cloud.interval * US;
    const out: string[] = [];
    const from = Math.max(Math.floor(start / g) * g, Math.floor(Math.max(r.startedAt, DATA_START) / g) * g);
    const until = Math.min(stop, r.endedAt ?? Infinity, DATA_END);
    for (let t = from; t < until; t += g) {
      if (r.kind === 'instance' && isStopped(r, t)) continue;
      const value = name === 'vcpus' ? VCPUS[flavorAt(r, t)]! : valueAt(r, name, t + g, g);
      out.push(`["${gnocchiIso(t)}", ${pyFloat(this.cloud.interval)}, ${pyFloat(value)}]`);
    }
    this.count(out.length);
    return out;
  }
}

function markerPosition(marker: string): { tenant: number; index: number; rev: number } | undefined {
  const [id, rev] = marker.split('@');
  const p = parseResourceId(id ?? '');
  return p ? { ...p, rev: rev === undefined ? 0 : Number(rev) } : undefined;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: [JSON.stringify(value)] };
}
