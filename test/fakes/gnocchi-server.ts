/**
 * A small fake Gnocchi v1 on 127.0.0.1:0, enough for the collector's requests (docs/gnocchi.md):
 * `POST /v1/search/resource/{type}` (project filter read from the `=` clauses, paging by
 * `limit`/`marker` with a `Link: rel="next"` header on full pages, history rows of one revision),
 * `GET /v1/metric/{id}` (an archive policy keeping 1 h for 400 days with every aggregation),
 * `GET /v1/metric/{id}/measures`, `GET /v1/metric?name=`, `POST /v1/aggregates` (hourly buckets
 * of each resource's constant value while it lives) and `GET /v1/resource_type`. Basic auth:
 * the `Authorization` header must name `user` (Gnocchi ignores the password), else 401.
 */
import http from 'node:http';
import { closeNow, listenLocal } from './listen.js';

export interface FakeGnocchiResource {
  id: string;
  type: 'instance' | 'volume';
  projectId: string;
  /** ISO times; the resource is measured every hour in [startedAt, endedAt ?? measuredUntil). */
  startedAt: string;
  endedAt?: string;
  /** The metric's value every hour (1 for an instance's vcpus, the size for a volume). */
  value: number;
  flavorName?: string;
}

export interface FakeGnocchiOptions {
  resources: FakeGnocchiResource[];
  /** Measures stop here (ISO) when a resource has not ended. */
  measuredUntil: string;
  /** The basic-auth user expected. Default admin. */
  user?: string;
}

const POLICY = {
  name: 'billing-1h',
  back_window: 0,
  definition: [{ timespan: '400 days, 0:00:00', granularity: '1:00:00', points: 9600 }],
  aggregation_methods: ['count', 'min', 'max', 'mean', 'sum', 'last', 'first'],
};

const METRIC_NAME = { instance: 'vcpus', volume: 'volume.size' } as const;
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', '+00:00');

/** The `project_id` of the first `{"=": {"project_id": …}}` clause in a search filter. */
function projectOf(filter: unknown): string | undefined {
  if (!filter || typeof filter !== 'object') return undefined;
  const f = filter as Record<string, unknown>;
  const eq = f['='] as Record<string, unknown> | undefined;
  if (eq && typeof eq.project_id === 'string') return eq.project_id;
  for (const key of ['and', 'or']) {
    for (const clause of (f[key] as unknown[] | undefined) ?? []) {
      const found = projectOf(clause);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export class FakeGnocchi {
  url = '';
  requests = 0;
  private server!: http.Server;

  private constructor(private readonly options: FakeGnocchiOptions) {}

  static async start(options: FakeGnocchiOptions): Promise<FakeGnocchi> {
    const fake = new FakeGnocchi(options);
    fake.server = http.createServer((req, res) => void fake.handle(req, res));
    fake.url = await listenLocal(fake.server);
    return fake;
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.requests++;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)), ...headers }).end(text);
    };
    const expected = `Basic ${Buffer.from(`${this.options.user ?? 'admin'}:`).toString('base64')}`;
    if (req.headers.authorization !== expected) return send(401, { code: 401, description: 'Authentication required' });
    // Links are built from the Host the client asked for, as Gnocchi (pecan) builds them, so a
    // transparent proxy in front of it gets links to itself.
    const url = new URL(req.url ?? '/', req.headers.host ? `http://${req.headers.host}` : this.url);
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      return send(400, { code: 400, description: 'Unable to decode body' });
    }
    const p = url.pathname.replace(/\/+$/, '');
    const search = /^\/v1\/search\/resource\/([^/]+)$/.exec(p);
    if (req.method === 'POST' && search) return this.search(decodeURIComponent(search[1]!), url, body, send);
    if (req.method === 'GET' && p === '/v1/resource_type') return send(200, [{ name: 'instance' }, { name: 'volume' }]);
    if (req.method === 'GET' && p === '/v1/metric') return send(200, []);
    const metric = /^\/v1\/metric\/([^/]+)(\/measures)?$/.exec(p);
    if (req.method === 'GET' && metric) {
      const id = decodeURIComponent(metric[1]!);
      const r = this.options.resources.find((x) => `m-${x.id}` === id);
      if (!r) return send(404, { code: 404, description: `Metric ${id} does not exist` });
      if (metric[2]) return send(200, this.buckets(r, Date.parse(url.searchParams.get('start') ?? '1970-01-01T00:00:00Z'), Infinity));
      return send(200, { id, name: METRIC_NAME[r.type], unit: r.type === 'volume' ? 'GB' : 'vcpu', archive_policy: POLICY, resource_id: r.id });
    }
    if (req.method === 'POST' && p === '/v1/aggregates') return this.aggregates(url, body, send);
    send(404, { code: 404, description: `no route ${p}` });
  }

  private search(type: string, url: URL, filter: unknown, send: (s: number, b: unknown, h?: Record<string, string>) => void): void {
    const project = projectOf(filter);
    const all = this.options.resources
      .filter((r) => r.type === type && (project === undefined || r.projectId === project))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    const limit = Number(url.searchParams.get('limit') ?? '1000');
    const marker = url.searchParams.get('marker');
    const from = marker === null ? 0 : all.findIndex((r) => r.id === marker) + 1;
    const page = all.slice(from, from + limit);
    const rows = page.map((r) => ({
      id: r.id, type: r.type, project_id: r.projectId, user_id: 'u-1',
      started_at: iso(Date.parse(r.startedAt)), ended_at: r.endedAt ? iso(Date.parse(r.endedAt)) : null,
      revision_start: iso(Date.parse(r.startedAt)), revision_end: null,
      ...(r.type === 'instance' ? { flavor_name: r.flavorName ?? 'm1.small', flavor_id: '2', availability_zone: 'az-1' } : { availability_zone: 'az-1' }),
      metrics: { [METRIC_NAME[r.type]]: `m-${r.id}` },
    }));
    const headers: Record<string, string> = {};
    if (page.length === limit) {
      const next = new URL(url.toString());
      next.searchParams.set('marker', page[page.length - 1]!.id);
      headers.Link = `<${next.toString()}>; rel="next"`;
    }
    send(200, rows, headers);
  }

  private aggregates(url: URL, body: unknown, send: (s: number, b: unknown) => void): void {
    const b = body as { search?: { in?: { id?: string[] } }; operations?: [string, string, string] } | undefined;
    const ids = b?.search?.in?.id ?? [];
    const [, metric, aggregation] = b?.operations ?? [];
    const start = Date.parse(url.searchParams.get('start') ?? '');
    const stop = Date.parse(url.searchParams.get('stop') ?? '');
    const measures: Record<string, Record<string, Record<string, unknown[]>>> = {};
    for (const id of ids) {
      const r = this.options.resources.find((x) => x.id === id);
      if (!r || METRIC_NAME[r.type] !== metric) continue;
      measures[id] = { [metric!]: { [aggregation!]: this.buckets(r, start, stop) } };
    }
    send(200, { measures });
  }

  /** Hourly buckets `[timestamp, 3600.0, value]` of a resource within [from, to). */
  private buckets(r: FakeGnocchiResource, from: number, to: number): [string, number, number][] {
    const out: [string, number, number][] = [];
    const end = Math.min(to, Date.parse(r.endedAt ?? this.options.measuredUntil));
    const first = Math.max(Date.parse(r.startedAt), Math.ceil(from / HOUR) * HOUR);
    for (let t = first; t < end; t += HOUR) out.push([iso(t), 3600.0, r.value]);
    return out;
  }
}
