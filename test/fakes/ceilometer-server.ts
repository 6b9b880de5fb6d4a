/**
 * A fake Ceilometer v2 API on 127.0.0.1:0, written from docs/ceilometer.md (Pike):
 * - `GET /v2/samples`: simple query q.field/q.op/q.type/q.value paired BY POSITION (WSME
 *   `array_from_params`: a missing q.op shifts nothing here but makes that filter `eq`), the
 *   allowed fields and ops of `validate_query`, timestamps read naive (an offset is dropped,
 *   not converted), `limit` default 100 and `limit <= 0` → 400, newest first, no marker;
 * - `GET /v2/resources` (meter_links), `GET /v2/meters/{meter}/statistics` (no `limit`; with
 *   `groupby` one entry per group, else one aggregate whose `count` is the number of samples the
 *   same query matches; no samples, `[]`);
 * - errors as `{"error_message": {"faultcode", "faultstring", "debuginfo"}}`; 410 mode (Gnocchi
 *   enabled) with the string error body pecan's abort gives;
 * - with a FakeKeystone: X-Auth-Token checked like keystonemiddleware (401 +
 *   `WWW-Authenticate: Keystone uri=…`), and non-admin tokens scoped to their own project.
 * Faults for tests: a status (503 burst, 429 + Retry-After, 500), a hung request, a reset
 * connection, a reused keep-alive socket found closed, an error that quotes the request's
 * headers (as a debug page or a proxy may); each for N requests matching a predicate.
 * Samples whose timestamps tie can be served in a different order on every request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import type { FakeKeystone } from './keystone-server.js';

export type RawSample = Record<string, unknown> & { id?: string; project_id?: string | null; meter?: string; timestamp?: string };

export interface FakeRequest {
  method: string;
  path: string;
  /** Raw query pairs, in order. */
  query: [string, string][];
  /** q filters by position. */
  filters: { field: string; op: string; value: string }[];
  token?: string;
  /** The request's headers, as received. */
  headers: http.IncomingHttpHeaders;
  /** This socket had already served a request (keep-alive reuse). */
  reused: boolean;
}

export type FaultAction =
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Destroy the connection without an answer (ECONNRESET / socket hang up). */
  | { kind: 'reset' }
  /** Answer `status` with an error whose faultstring quotes the request's headers, X-Auth-Token included. */
  | { kind: 'echo'; status: number };

export interface Fault {
  action: FaultAction;
  /** How many matching requests get it (Infinity: all). */
  times: number;
  match?: (req: FakeRequest) => boolean;
}

export interface FakeCeilometerOptions {
  samples: RawSample[];
  keystone?: FakeKeystone;
  /** Default `limit` (`[api] default_api_return_limit`). Default 100. */
  defaultLimit?: number;
  /** 410 Gone for meters/resources/samples, as when Ceilometer publishes to Gnocchi. */
  gone?: boolean;
  /** How samples with equal timestamps are ordered: as given, or shuffled anew on every request. */
  ties?: 'stable' | 'shuffle';
}

const NAIVE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?/;

/** Ceilometer's `parse_isotime(v).replace(tzinfo=None)`: any offset is dropped, not converted. Epoch µs. */
export function naiveMicros(text: string): number | undefined {
  const m = NAIVE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', frac = ''] = m;
  return Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s) * 1000 + Number((frac + '000000').slice(0, 6));
}

const FIELD_ALIASES: Record<string, string> = { project: 'project_id', user: 'user_id', resource: 'resource_id' };
const SAMPLE_FIELDS = ['timestamp', 'search_offset', 'project_id', 'user_id', 'resource_id', 'source', 'meter', 'message_id'];

class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Indexed {
  raw: RawSample;
  t: number;
  /** Position in the input: the stable tie order. */
  n: number;
}

/** A seeded linear congruential generator in [0, 1): the same seed, the same sequence. */
export function lcg(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 32;
  };
}

export class FakeCeilometer {
  readonly requests: FakeRequest[] = [];
  readonly faults: Fault[] = [];
  gone: boolean;
  /** Validates X-Auth-Token when set (it may be set after start, once Keystone is up). */
  keystone?: FakeKeystone;
  /** Called for every request before it is answered (e.g. to revoke tokens mid-run). */
  onRequest?: (request: FakeRequest, count: number) => void;
  url = '';
  private server!: http.Server;
  private readonly all: Indexed[];
  /** `project\0meter` → samples, newest first (stable among ties). */
  private readonly index = new Map<string, Indexed[]>();
  private readonly served = new WeakMap<Socket, number>();
  private readonly hung: http.ServerResponse[] = [];
  private counter = 0;

  private constructor(private readonly options: FakeCeilometerOptions) {
    this.gone = options.gone ?? false;
    this.keystone = options.keystone;
    this.all = options.samples.map((raw, n) => {
      const t = typeof raw.timestamp === 'string' ? naiveMicros(raw.timestamp) : undefined;
      if (t === undefined) throw new Error(`fake ceilometer: sample ${n} has no readable timestamp`);
      return { raw, t, n };
    });
    this.all.sort((a, b) => b.t - a.t || a.n - b.n);
    for (const s of this.all) {
      const key = `${s.raw.project_id}\0${s.raw.meter}`;
      let list = this.index.get(key);
      if (!list) this.index.set(key, (list = []));
      list.push(s);
    }
  }

  static async start(options: FakeCeilometerOptions): Promise<FakeCeilometer> {
    const fake = new FakeCeilometer(options);
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Adds a fault for the next `times` requests that match. */
  fail(action: FaultAction, times = 1, match?: (req: FakeRequest) => boolean): this {
    this.faults.push({ action, times, match });
    return this;
  }

  async close(): Promise<void> {
    for (const res of this.hung.splice(0)) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests to /v2/samples, for counting pages. */
  sampleRequests(): FakeRequest[] {
    return this.requests.filter((r) => r.path === '/v2/samples');
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const socket = req.socket;
    const before = this.served.get(socket) ?? 0;
    this.served.set(socket, before + 1);
    const url = new URL(req.url ?? '/', 'http://x');
    const query = rawPairs(url.search);
    const list = (key: string) => query.filter(([k]) => k === key).map(([, v]) => v);
    const fields = list('q.field');
    const ops = list('q.op');
    const values = list('q.value');
    const request: FakeRequest = {
      method: req.method ?? 'GET',
      path: url.pathname.replace(/\/+$/, '') || '/',
      query,
      // WSME builds the i-th Query from the i-th field, op, type and value.
      filters: fields.map((field, i) => ({ field, op: ops[i] ?? 'eq', value: values[i] ?? '' })),
      token: req.headers['x-auth-token'] as string | undefined,
      headers: req.headers,
      reused: before > 0,
    };
    this.requests.push(request);
    req.resume();
    this.onRequest?.(request, this.requests.length);

    const fault = this.faults.find((f) => f.times > 0 && (!f.match || f.match(request)));
    if (fault) {
      fault.times--;
      const a = fault.action;
      if (a.kind === 'hang') {
        this.hung.push(res);
        return;
      }
      if (a.kind === 'reset') {
        socket.destroy();
        return;
      }
      if (a.kind === 'echo') {
        const quoted = Object.entries(request.headers).map(([name, value]) => `${name}: ${String(value)}`).join('; ');
        return this.fault(res, a.status, `Bad request ${request.method} ${request.path} with headers ${quoted}`);
      }
      const body = a.body ?? { error_message: { faultcode: a.status < 500 ? 'Client' : 'Server', faultstring: `injected ${a.status}`, debuginfo: null } };
      return this.send(res, a.status, body, a.headers);
    }

    if (this.keystone) {
      const check = this.keystone.validate(request.token);
      if (!check.ok) {
        return this.send(res, 401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, {
          'WWW-Authenticate': `Keystone uri="${this.keystone.url}"`,
        });
      }
      if (!check.token.roles.includes('admin')) {
        // The `segregation` rule: a non-admin sees its own project only.
        const asked = request.filters.find((f) => FIELD_ALIASES[f.field] === 'project_id' || f.field === 'project_id');
        if (asked && asked.value !== check.token.projectId) {
          return this.fault(res, 401, `Not Authorized to access project ${asked.value}`);
        }
        if (!asked) request.filters.push({ field: 'project_id', op: 'eq', value: check.token.projectId });
      }
    }

    try {
      if (request.method !== 'GET') throw new ApiError(405, 'Method Not Allowed');
      if (request.path === '/') return this.send(res, 200, versions(this.url));
      const gnocchiPaths = /^\/v2\/(samples|resources|meters)(\/|$)/;
      if (this.gone && gnocchiPaths.test(request.path)) {
        return this.send(res, 410, {
          error_message: '410 Gone\n\nThis telemetry installation is configured to use Gnocchi. Please use the Gnocchi API available on the metric endpoint to retrieve data.',
        });
      }
      if (request.path === '/v2/samples') return this.send(res, 200, this.samples(request));
      if (request.path === '/v2/resources') return this.send(res, 200, this.resources(request, list('meter_links')[0]));
      const stats = /^\/v2\/meters\/([^/]+)\/statistics$/.exec(request.path);
      if (stats) return this.send(res, 200, this.statistics(request, decodeURIComponent(stats[1]!), list('groupby')));
      throw new ApiError(404, `The resource could not be found.`);
    } catch (error) {
      if (error instanceof ApiError) return this.fault(res, error.status, error.message);
      return this.fault(res, 500, String(error));
    }
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private fault(res: http.ServerResponse, status: number, faultstring: string): void {
    this.send(res, status, { error_message: { faultcode: status < 500 ? 'Client' : 'Server', faultstring, debuginfo: null } });
  }

  private limit(request: FakeRequest): number {
    const given = request.query.filter(([k]) => k === 'limit').map(([, v]) => v)[0];
    if (given === undefined) return this.options.defaultLimit ?? 100;
    const n = Number(given);
    if (!Number.isInteger(n)) throw new ApiError(400, `Invalid input for field/attribute limit. Value: '${given}'. unable to convert to int`);
    if (n <= 0) throw new ApiError(400, 'Limit must be positive');
    return n;
  }

  /** The filters as a predicate, validated like `utils.validate_query` / `query_to_kwargs`. */
  private predicate(request: FakeRequest, allowMeter: boolean): { test: (s: Indexed) => boolean; project?: string; meter?: string; hi?: number } {
    const tests: ((s: Indexed) => boolean)[] = [];
    let project: string | undefined;
    let meter: string | undefined;
    let hi: number | undefined;
    for (const { field: given, op, value } of request.filters) {
      const field = FIELD_ALIASES[given] ?? given;
      if (!['lt', 'le', 'eq', 'ne', 'ge', 'gt'].includes(op)) {
        throw new ApiError(400, `Invalid input for field/attribute op. Value: '${op}'. Value should be one of: gt, lt, ne, ge, le, eq`);
      }
      const known = SAMPLE_FIELDS.includes(field) && (allowMeter || field !== 'meter');
      if (!known && !/^(resource_)?metadata\./.test(field)) {
        throw new ApiError(400, `Unknown argument: "q": unrecognized field in query: [<Query {'field': '${given}', 'value': '${value}', 'op': '${op}'}>], valid keys: [${SAMPLE_FIELDS.join(', ')}]`);
      }
      if (field === 'timestamp') {
        if (!['lt', 'le', 'gt', 'ge'].includes(op)) throw new ApiError(400, `Invalid input for field/attribute op. Value: '${op}'. unimplemented operator for timestamp`);
        const t = naiveMicros(value);
        if (t === undefined) throw new ApiError(400, `Invalid input for field/attribute value. Value: '${value}'. invalid timestamp`);
        tests.push(op === 'lt' ? (s) => s.t < t : op === 'le' ? (s) => s.t <= t : op === 'gt' ? (s) => s.t > t : (s) => s.t >= t);
        if (op === 'lt' || op === 'le') hi = hi === undefined ? t : Math.min(hi, t);
        continue;
      }
      if (field === 'search_offset') continue;
      if (op !== 'eq') throw new ApiError(400, `Invalid input for field/attribute op. Value: '${op}'. unimplemented operator for ${field}`);
      if (field === 'project_id') project = value;
      if (field === 'meter') meter = value;
      const key = field === 'message_id' ? 'id' : field;
      if (/^(resource_)?metadata\./.test(field)) {
        const mk = field.replace(/^(resource_)?metadata\./, '');
        tests.push((s) => String((s.raw.metadata as Record<string, unknown> | undefined)?.[mk]) === value);
      } else {
        tests.push((s) => s.raw[key] === value);
      }
    }
    return { test: (s) => tests.every((t) => t(s)), project, meter, hi };
  }

  private samples(request: FakeRequest): RawSample[] {
    const limit = this.limit(request);
    const { test, project, meter, hi } = this.predicate(request, true);
    let pool = project !== undefined && meter !== undefined ? (this.index.get(`${project}\0${meter}`) ?? []) : this.all;
    if (hi !== undefined) {
      // Skip the samples newer than the upper bound (the pool is newest first).
      let lo = 0;
      let up = pool.length;
      while (lo < up) {
        const mid = (lo + up) >>> 1;
        if (pool[mid]!.t > hi) lo = mid + 1;
        else up = mid;
      }
      pool = pool.slice(lo);
    }
    const out: Indexed[] = [];
    // Take whole groups of equal timestamps past the limit, so shuffling ties can change which land in the page.
    for (const s of pool) {
      if (out.length >= limit && s.t !== out[out.length - 1]!.t) break;
      if (test(s)) out.push(s);
    }
    if (this.options.ties === 'shuffle') shuffleTies(out, lcg(++this.counter * 7919));
    return out.slice(0, limit).map((s) => s.raw);
  }

  private resources(request: FakeRequest, meterLinks: string | undefined): unknown[] {
    const limit = this.limit(request);
    const { test } = this.predicate(request, false);
    const byResource = new Map<string, { first: Indexed; last: Indexed; meters: Set<string> }>();
    for (const s of this.all) {
      if (!test(s)) continue;
      const id = String(s.raw.resource_id);
      const entry = byResource.get(id);
      if (!entry) byResource.set(id, { first: s, last: s, meters: new Set([String(s.raw.meter)]) });
      else {
        entry.first = s; // `all` is newest first
        entry.meters.add(String(s.raw.meter));
      }
    }
    return [...byResource.entries()].slice(0, limit).map(([id, e]) => ({
      resource_id: id,
      project_id: e.last.raw.project_id ?? null,
      user_id: e.last.raw.user_id ?? null,
      source: e.last.raw.source,
      first_sample_timestamp: e.first.raw.timestamp,
      last_sample_timestamp: e.last.raw.timestamp,
      metadata: e.last.raw.metadata ?? {},
      links: [
        { href: `${this.url}/v2/resources/${id}`, rel: 'self' },
        ...(meterLinks === '0' ? [] : [...e.meters].map((m) => ({ href: `${this.url}/v2/meters/${m}?q.field=resource_id&q.value=${id}`, rel: m }))),
      ],
    }));
  }

  private statistics(request: FakeRequest, meter: string, groupby: string[]): unknown[] {
    const { test } = this.predicate(request, false);
    for (const g of groupby) if (!['user_id', 'resource_id', 'project_id', 'source'].includes(g)) throw new ApiError(400, `Invalid groupby fields: ['${g}']`);
    const groups = new Map<string, Indexed[]>();
    for (const s of this.all) {
      if (s.raw.meter !== meter || !test(s)) continue;
      const key = JSON.stringify(groupby.map((g) => s.raw[g] ?? null));
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(s);
    }
    // Without `period`: one aggregate per group over the query's time bounds (period_start/end
    // are the bounds, or the first/last sample where the query has none; duration_* the first
    // and last sample), period 0, `count` the number of samples. No samples: no entry.
    const bound = (ops: string[]) => request.filters.filter((f) => f.field === 'timestamp' && ops.includes(f.op)).map((f) => naiveMicros(f.value)!);
    const [from] = bound(['ge', 'gt']);
    const [to] = bound(['lt', 'le']);
    return [...groups.entries()].map(([key, list]) => {
      const volumes = list.map((s) => Number(s.raw.volume));
      const values = JSON.parse(key) as unknown[];
      const first = Math.min(...list.map((s) => s.t));
      const last = Math.max(...list.map((s) => s.t));
      return {
        groupby: groupby.length ? Object.fromEntries(groupby.map((g, i) => [g, values[i]])) : null,
        unit: list[0]!.raw.unit,
        min: Math.min(...volumes), max: Math.max(...volumes), sum: volumes.reduce((a, b) => a + b, 0),
        avg: volumes.reduce((a, b) => a + b, 0) / volumes.length, count: volumes.length,
        duration: (last - first) / 1e6, duration_start: naiveText(first), duration_end: naiveText(last),
        period: 0, period_start: naiveText(from ?? first), period_end: naiveText(to ?? last),
      };
    });
  }
}

/** Epoch µs → Ceilometer's naive `isoformat()`: no offset, a fraction only when there is one. */
function naiveText(us: number): string {
  const text = new Date(Math.floor(us / 1000)).toISOString().slice(0, 19);
  const micros = ((us % 1_000_000) + 1_000_000) % 1_000_000;
  return micros === 0 ? text : `${text}.${String(micros).padStart(6, '0')}`;
}

function shuffleTies(list: Indexed[], random: () => number): void {
  let i = 0;
  while (i < list.length) {
    let j = i;
    while (j < list.length && list[j]!.t === list[i]!.t) j++;
    for (let k = j - 1; k > i; k--) {
      const r = i + Math.floor(random() * (k - i + 1));
      [list[k], list[r]] = [list[r]!, list[k]!];
    }
    i = j;
  }
}

function rawPairs(search: string): [string, string][] {
  if (!search || search === '?') return [];
  return search.slice(1).split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    const dec = (t: string) => decodeURIComponent(t.replace(/\+/g, ' '));
    return eq < 0 ? [dec(pair), ''] : [dec(pair.slice(0, eq)), dec(pair.slice(eq + 1))];
  });
}

function versions(base: string): unknown {
  return {
    versions: {
      values: [{ id: 'v2', status: 'stable', updated: '2013-02-13T00:00:00Z', links: [{ href: `${base}/v2`, rel: 'self' }], 'media-types': [] }],
    },
  };
}
