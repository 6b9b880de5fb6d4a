/**
 * The Ceilometer v2 shape of the synthetic cloud (docs/ceilometer.md): `GET /v2/samples` with
 * the positional simple query, newest first, `limit` at a time, no marker; the statistics'
 * `count` of the same query (and `groupby=project_id`); `/v2/resources` in one page. Samples
 * carry flattened string metadata of the sizes Ceilometer's pollsters send (about 1 KB for an
 * instance).
 */
import {
  DATA_END, DATA_START, METERS_OF, flavorAt, hex, isStopped, naiveIso, parseInstant, projectId, resource, resourcesOf, valueAt,
  type Cloud, type Kind, type Resource,
} from './model.js';
import { json } from './gnocchi.js';
import type { Answer, Ask } from './server.js';

const US = 1_000_000;
const KIND_OF: Record<string, Kind> = Object.fromEntries(
  (Object.entries(METERS_OF) as [Kind, readonly string[]][]).flatMap(([kind, meters]) => meters.map((m) => [m, kind])),
);
const METER_CODES = Object.keys(KIND_OF);
const UNIT: Record<string, string> = { instance: 'instance', 'volume.size': 'GB', 'ip.floating': 'ip', 'network.incoming.bytes': 'B', 'network.outgoing.bytes': 'B' };
const TYPE: Record<string, string> = { instance: 'gauge', 'volume.size': 'gauge', 'ip.floating': 'gauge', 'network.incoming.bytes': 'cumulative', 'network.outgoing.bytes': 'cumulative' };
const FLAVOR: Record<string, { id: string; vcpus: number; ram: number; disk: number }> = {
  'm1.tiny': { id: '1', vcpus: 1, ram: 512, disk: 1 }, 'm1.small': { id: '2', vcpus: 1, ram: 2048, disk: 20 },
  'm1.medium': { id: '3', vcpus: 2, ram: 4096, disk: 40 }, 'm1.large': { id: '4', vcpus: 4, ram: 8192, disk: 80 },
};

interface Query {
  project?: string;
  meter?: string;
  resource?: string;
  /** Inclusive bounds, µs. */
  lo: number;
  hi: number;
}

/** The positional q.field/q.op/q.value lists (WSME pairs them by index); timestamps naive UTC. */
function parseQuery(params: URLSearchParams): Query | string {
  const fields = params.getAll('q.field');
  const ops = params.getAll('q.op');
  const values = params.getAll('q.value');
  const q: Query = { lo: -Infinity, hi: Infinity };
  for (let i = 0; i < fields.length; i++) {
    const [field, op, value] = [fields[i]!, ops[i] ?? 'eq', values[i] ?? ''];
    if (field === 'timestamp') {
      const t = parseInstant(value);
      if (t === undefined) return `invalid timestamp ${value}`;
      if (op === 'ge') q.lo = Math.max(q.lo, t);
      else if (op === 'gt') q.lo = Math.max(q.lo, t + 1);
      else if (op === 'le') q.hi = Math.min(q.hi, t);
      else if (op === 'lt') q.hi = Math.min(q.hi, t - 1);
      else return `operator ${op} not supported for timestamp`;
    } else if (op !== 'eq') return `operator ${op} not supported for ${field}`;
    else if (field === 'project_id') q.project = value;
    else if (field === 'meter') q.meter = value;
    else if (field === 'resource_id') q.resource = value;
    else return `unknown field ${field}`;
  }
  return q;
}

/** A resource's sample grid: first instant, step, and the instants in [lo, hi]. */
function grid(cloud: Cloud, r: Resource, lo: number, hi: number): { first: number; last: number; step: number } | undefined {
  const step = cloud.interval * US;
  const from = Math.max(r.startedAt, DATA_START, lo);
  const to = Math.min(r.endedAt === null ? Infinity : r.endedAt - 1, DATA_END - 1, hi);
  const first = r.phase + Math.ceil((from - r.phase) / step) * step;
  const last = r.phase + Math.floor((to - r.phase) / step) * step;
  return first <= last ? { first, last, step } : undefined;
}

export class CeilometerShape {
  constructor(private readonly cloud: Cloud, private readonly count: (samples: number) => void) {}

  handle(ask: Ask): Answer {
    const { method, path } = ask;
    if (method !== 'GET') return this.error(405, 'Method not allowed');
    if (path === '/v2/samples') return this.samples(ask);
    const stats = /^\/v2\/meters\/([^/]+)\/statistics$/.exec(path);
    if (stats) return this.statistics(ask, decodeURIComponent(stats[1]!));
    if (path === '/v2/resources') return this.resources(ask);
    return this.error(404, 'Not found');
  }

  private error(status: number, message: string): Answer {
    return json(status, { error_message: { faultcode: status < 500 ? 'Client' : 'Server', faultstring: message, debuginfo: null } });
  }

  /** The resources a query can match. */
  private candidates(q: Query, meter: string): Resource[] {
    const kind = KIND_OF[meter];
    if (!kind) return [];
    const tenants = q.project === undefined ? Array.from({ length: this.cloud.tenants }, (_, i) => i) : [parseInt(q.project.slice(0, 8), 16)];
    const out: Resource[] = [];
    for (const t of tenants) {
      if (!(t < this.cloud.tenants) || (q.project !== undefined && projectId(t) !== q.project)) continue;
      for (const r of resourcesOf(this.cloud, t, kind)) if (q.resource === undefined || r.id === q.resource) out.push(r);
    }
    return out;
  }

  private samples(ask: Ask): Answer {
    const q = parseQuery(ask.query);
    if (typeof q === 'string') return this.error(400, q);
    const limit = Number(ask.query.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit <= 0) return this.error(400, 'Limit must be positive');
    const meters = q.meter === undefined ? Object.keys(KIND_OF) : [q.meter];
    // Newest first: each resource's next instant going down, the newest of them taken each time.
    const heads = meters.flatMap((meter) =>
      this.candidates(q, meter).flatMap((r) => {
        const g = grid(this.cloud, r, q.lo, q.hi);
        return g ? [{ r, meter, t: g.last, first: g.first, step: g.step }] : [];
      }),
    );
    const out: string[] = [];
    while (out.length < limit) {
      let best = -1;
      for (let k = 0; k < heads.length; k++) if (heads[k]!.t >= heads[k]!.first && (best < 0 || heads[k]!.t > heads[best]!.t)) best = k;
      if (best < 0) break;
      const head = heads[best]!;
      out.push(JSON.stringify(this.sample(head.r, head.meter, head.t)));
      head.t -= head.step;
    }
    this.count(out.length);
    return { status: 200, headers: { 'Content-Type': 'application/json' }, body: ['[', out.join(', '), ']'] };
  }

  private sample(r: Resource, meter: string, t: number): object {
    const k = Math.round((t - r.phase) / (this.cloud.interval * US));
    return {
      id: `${hex(k >>> 0, 8)}-${hex(r.index, 4)}-${hex(r.tenant & 0xffff, 4)}-${hex(METER_CODES.indexOf(meter), 4)}-${hex(r.tenant >>> 16, 4)}be0c5a1e`,
      meter, type: TYPE[meter], unit: UNIT[meter], volume: meter === 'instance' ? 1 : valueAt(r, meter, t, this.cloud.interval * US),
      resource_id: r.id, project_id: r.projectId, user_id: r.userId, source: 'openstack',
      timestamp: naiveIso(t), recorded_at: naiveIso(t + 412_345), metadata: this.metadata(r, t),
    };
  }

  private metadata(r: Resource, t: number): Record<string, string> {
    const common = { availability_zone: 'nova', event_type: '', host: `compute-${r.seed % 40}` };
    if (r.kind === 'instance') {
      const flavor = flavorAt(r, t);
      const f = FLAVOR[flavor]!;
      const state = isStopped(r, t) ? 'stopped' : 'active';
      return {
        ...common, display_name: `vm-${r.tenant}-${r.index}`, name: `instance-${hex(r.seed, 8)}`, instance_id: r.id, instance_type: flavor,
        instance_host: `compute-${r.seed % 40}`, host: `${hex(r.seed, 8)}4b1e9c3d2a7f6e5d4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b`,
        'flavor.id': f.id, 'flavor.name': flavor, 'flavor.vcpus': String(f.vcpus), 'flavor.ram': String(f.ram), 'flavor.disk': String(f.disk),
        'flavor.ephemeral': '0', 'flavor.swap': '0', memory_mb: String(f.ram), disk_gb: String(f.disk), root_gb: String(f.disk), ephemeral_gb: '0',
        vcpus: String(f.vcpus), 'image.id': `c0ffee00-0000-4000-8000-${hex(r.seed % 20, 12)}`, 'image.name': 'ubuntu-22.04-server-cloudimg-amd64',
        image_ref: `c0ffee00-0000-4000-8000-${hex(r.seed % 20, 12)}`, image_ref_url: `http://glance.example.com:9292/images/c0ffee00-0000-4000-8000-${hex(r.seed % 20, 12)}`,
        os_type: 'linux', architecture: 'x86_64', state, status: state, task_state: '', kernel_id: 'None', ramdisk_id: 'None', cell_name: '',
        'user_metadata.server_group': '', 'user_metadata.owner': `team-${r.tenant % 17}`,
      };
    }
    if (r.kind === 'volume') {
      return {
        ...common, display_name: `vol-${r.tenant}-${r.index}`, status: 'in-use', volume_type: 'ceph', size: String(valueAt(r, 'volume.size', t, 1)),
        created_at: naiveIso(r.startedAt), replication_status: 'disabled', bootable: 'false', encrypted: 'False', multiattach: 'False',
      };
    }
    if (r.kind === 'network') {
      return {
        ...common, status: 'ACTIVE', floating_ip_address: `203.0.113.${r.seed % 250}`, fixed_ip_address: `10.0.${r.tenant % 250}.${r.index}`,
        floating_network_id: 'e2f1d0c9-b8a7-4655-8443-322110ffeedd', router_id: `${hex(r.seed, 8)}-1111-4222-8333-444455556666`, port_id: `${hex(r.seed, 8)}-aaaa-4bbb-8ccc-ddddeeeeffff`,
      };
    }
    return {
      ...common, name: `tap${hex(r.seed, 8)}-${r.index}`, mac: `fa:16:3e:${hex(r.seed % 256, 2)}:${hex(r.index, 2)}:01`, fref: 'None',
      parameters: "{'projectid': 'None'}", vnic_name: `tap${hex(r.seed, 8)}`, instance_id: r.id, instance_type: flavorAt(r, t),
    };
  }

  private countOf(q: Query, meter: string): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.candidates(q, meter)) {
      const g = grid(this.cloud, r, q.lo, q.hi);
      if (g) counts.set(r.projectId, (counts.get(r.projectId) ?? 0) + (g.last - g.first) / g.step + 1);
    }
    return counts;
  }

  private statistics(ask: Ask, meter: string): Answer {
    const q = parseQuery(ask.query);
    if (typeof q === 'string') return this.error(400, q);
    const groupby = ask.query.getAll('groupby');
    const counts = this.countOf(q, meter);
    const entry = (count: number, extra: object) => ({
      avg: 1.0, count, duration: 0, duration_start: naiveIso(Math.max(q.lo, DATA_START)), duration_end: naiveIso(Math.min(q.hi, DATA_END)),
      max: 1.0, min: 1.0, period: 0, period_start: naiveIso(Math.max(q.lo, DATA_START)), period_end: naiveIso(Math.min(q.hi, DATA_END)), sum: count,
      unit: UNIT[meter] ?? '', ...extra,
    });
    if (groupby.includes('project_id')) {
      return json(200, [...counts].filter(([, n]) => n > 0).map(([project, n]) => entry(n, { groupby: { project_id: project } })));
    }
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    return json(200, total === 0 ? [] : [entry(total, { groupby: null })]);
  }

  /** One page, as the API has no paging for resources. */
  private resources(ask: Ask): Answer {
    const q = parseQuery(ask.query);
    if (typeof q === 'string') return this.error(400, q);
    const limit = Number(ask.query.get('limit') ?? 100);
    const out: object[] = [];
    outer: for (let t = 0; t < this.cloud.tenants; t++) {
      for (let j = 0; j < this.cloud.resources; j++) {
        const r = resource(this.cloud, t, j);
        const g = grid(this.cloud, r, q.lo, q.hi);
        if (!g) continue;
        out.push({
          resource_id: r.id, project_id: r.projectId, user_id: r.userId, source: 'openstack', first_sample_timestamp: naiveIso(g.first),
          last_sample_timestamp: naiveIso(g.last), metadata: {}, links: [],
        });
        if (out.length >= limit) break outer;
      }
    }
    return json(200, out);
  }
}

