/**
 * The Gnocchi v1 collector (`[telemetry] backend = gnocchi`, docs/gnocchi.md). For one
 * tenant and meter, per endpoint (region):
 *
 * 1. the tenant's resources of the meter's resource type, with their history:
 *    `POST /v1/search/resource/{type}?history=true` filtered on project_id, started_at < end and
 *    ended_at null or ≥ start (start includes the look-back), paged by limit/marker;
 * 2. for each resource's metric, its archive policy (`GET /v1/metric/{id}`): the configured
 *    granularity must be one of its levels, the aggregation is the first of the meter's
 *    preferences the policy holds, and the window must still be inside the level's timespan;
 * 3. the measures of all of them in one `POST /v1/aggregates` per aggregation method (resource
 *    search by id, at that granularity, from the look-back start to the window end);
 * 4. buckets → samples by gnocchi-samples.ts, so the usage transforms stay the same.
 *
 * Every error names the tenant, the meter and the Gnocchi resource type and metric. Auth is
 * Keystone (`X-Auth-Token`, endpoint of service type `metric` from the catalog unless
 * `[telemetry] url` is given) or Gnocchi's own `basic` (`Authorization: Basic base64("<user>:")`).
 */
import type { Config } from '../config.js';
import { ConfigError, TelemetryError, errorMessage } from '../model/errors.js';
import { formatTimestamp, US_PER_MS, US_PER_SECOND, type Micros } from '../model/time.js';
import type { Collector } from './contract.js';
import { choosePolicy, formatSeconds, type ArchivePolicy } from './gnocchi/policy.js';
import {
  buildTimelines, bucketsToSamples, parseMeasures, type GnocchiResourceRow, type ResourceTimeline,
} from './gnocchi/samples.js';
import { gnocchiSettings, type GnocchiMeter, type GnocchiSettings } from './gnocchi/settings.js';
import { HttpError, type AuthProvider, type HttpClient, type HttpIo, type HttpResponse, type RequestInit } from './http.js';
import { keystoneCheck, openTelemetryClient, resolveEndpoints, type KeystoneAuth, type KeystoneOptions, type ResolvedEndpoint } from './keystone.js';
import type { TenantDirectory } from './tenants.js';
import type { CheckItem, MeterSpec, Sample, SampleQuery, Tenant } from '../model/types.js';

/** Gnocchi's `[api] max_limit` default: a larger `limit` is clamped silently. */
export const GNOCCHI_MAX_PAGE = 1000;
/** Resources per `/v1/aggregates` request (the id list travels in the body). */
const AGGREGATES_CHUNK = 200;

/** `Authorization: Basic base64("<user>:<password>")`: Gnocchi's basic mode ignores the password (a proxy may not). */
export function basicAuth(user: string, password = ''): AuthProvider {
  const value = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  return { headers: async () => ({ Authorization: value }), invalidate: () => undefined };
}

export interface GnocchiCollectorOptions {
  settings: GnocchiSettings;
  /** meters.ini: which transform each meter has. */
  specs: MeterSpec[];
  http: HttpClient;
  auth: AuthProvider;
  /** The endpoints (one per region), each ending in `/v1`; resolved on first use. */
  endpoints: () => Promise<ResolvedEndpoint[]>;
  /** `limit` of one search page (clamped to 1000). */
  pageSize?: number;
  directory?: TenantDirectory;
  /**
   * The Keystone auth when `auth` is a Keystone token: its roles are checked, since Gnocchi shows
   * a token without the admin role only its own project's resources (other tenants would bill
   * as empty), and `check` describes it.
   */
  keystone?: KeystoneAuth;
  /** Epoch ms, for the retention check. Default Date.now. */
  now?: () => number;
  description?: string;
  /** Called by close(), e.g. to release the HTTP client's sockets. */
  onClose?: () => void;
}

interface MetricInfo {
  id: string;
  name?: string;
  unit?: string | null;
  archive_policy: ArchivePolicy;
}

/** Which resources of a meter's query are read, and how. */
interface Planned {
  timeline: ResourceTimeline;
  metricId: string;
  aggregation: string;
  unit: string;
}

/** `tenant P: meter M (Gnocchi type/metric[, region R]): …` */
function prefix(query: Pick<SampleQuery, 'projectId' | 'meter'>, meter: GnocchiMeter, endpoint: ResolvedEndpoint, regions: number): string {
  const where = regions > 1 ? `, region ${endpoint.region}` : '';
  return `tenant ${query.projectId}: meter ${query.meter} (Gnocchi ${meter.resourceType}/${meter.metric}${where})`;
}

/** The `marker` of a `Link: <…>; rel="next"` header, if any. */
export function nextMarker(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (!m) continue;
    const query = m[1]!.split('?')[1] ?? '';
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq) === 'marker') return decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    }
  }
  return undefined;
}

/**
 * The search filter: the tenant's resources that lived in [start, end). With `history`, also
 * only the revisions still in force at `start` or later (an older one cannot be the revision of
 * any instant of the window; the current one, `revision_end` null, always matches).
 */
export function aliveFilter(projectId: string | null, start: Micros, end: Micros, history = false): unknown {
  const clauses: unknown[] = [
    { '<': { started_at: formatTimestamp(end) } },
    { or: [{ '=': { ended_at: null } }, { '>=': { ended_at: formatTimestamp(start) } }] },
  ];
  if (projectId !== null) clauses.unshift({ '=': { project_id: projectId } });
  if (history) clauses.push({ or: [{ '=': { revision_end: null } }, { '>=': { revision_end: formatTimestamp(start) } }] });
  return { and: clauses };
}

function description(error: unknown): unknown {
  if (!(error instanceof HttpError) || !error.body) return undefined;
  try {
    return (JSON.parse(error.body) as { description?: unknown }).description;
  } catch {
    return undefined;
  }
}

/** Gnocchi's `{"cause": "Metrics not found", "detail": [...]}` (400 from /v1/aggregates). */
function isMetricsNotFound(error: unknown): boolean {
  const d = description(error);
  return error instanceof HttpError && error.status === 400 && d !== null && typeof d === 'object' && (d as { cause?: unknown }).cause === 'Metrics not found';
}

export class GnocchiCollector implements Collector {
  readonly description: string;
  readonly tenantDirectory?: TenantDirectory;
  private readonly settings: GnocchiSettings;
  private readonly specs: Map<string, MeterSpec>;
  private readonly http: HttpClient;
  private readonly auth: AuthProvider;
  private readonly pageSize: number;
  private readonly now: () => number;
  private readonly resolve: () => Promise<ResolvedEndpoint[]>;
  private readonly onClose?: () => void;
  private readonly keystone?: KeystoneAuth;
  private resolving?: Promise<ResolvedEndpoint[]>;
  private readonly metrics = new Map<string, Promise<MetricInfo>>();
  private readonly names = new Map<string, Promise<boolean>>();
  private closed = false;

  constructor(options: GnocchiCollectorOptions) {
    this.settings = options.settings;
    this.specs = new Map(options.specs.map((spec) => [spec.meter, spec]));
    this.http = options.http;
    this.auth = options.auth;
    this.pageSize = Math.min(GNOCCHI_MAX_PAGE, Math.max(1, Math.floor(options.pageSize ?? GNOCCHI_MAX_PAGE)));
    this.now = options.now ?? Date.now;
    this.resolve = options.endpoints;
    this.tenantDirectory = options.directory;
    this.keystone = options.keystone;
    this.onClose = options.onClose;
    this.description = options.description ?? 'gnocchi';
  }

  /** Every Gnocchi request, with the auth headers. */
  private request(method: string, url: string, init: Omit<RequestInit, 'auth'> = {}): Promise<HttpResponse> {
    return this.http.request(method, url, { ...init, auth: this.auth });
  }

  /** The endpoints, resolved once (Keystone catalog or `[telemetry] url`); a failure is not kept, the next call tries again. */
  endpoints(): Promise<ResolvedEndpoint[]> {
    this.resolving ??= this.resolve().catch((error: unknown) => {
      this.resolving = undefined;
      throw error;
    });
    return this.resolving;
  }

  /** A Keystone token without the admin role may read only its own project (see GnocchiCollectorOptions.keystone). */
  private async checkScope(projectId: string): Promise<void> {
    if (!this.keystone) return;
    const token = await this.keystone.token();
    if (token.roles.some((role) => role.toLowerCase() === 'admin') || token.project?.id === projectId) return;
    throw new GnocchiProblem(
      `the Keystone token (user ${token.user?.name ?? token.user?.id ?? '?'}, project ${token.project?.name ?? token.project?.id ?? '?'}) has no admin role: ` +
        `Gnocchi shows such a token only its own project's resources, so this tenant would bill as empty; give the billing user the admin role`,
    );
  }

  async samples(query: SampleQuery): Promise<Sample[]> {
    const meter = this.settings.meters.get(query.meter);
    // Meters outside meters.ini are never asked for by the core; nothing to read for them.
    if (!meter) return [];
    let endpoints: ResolvedEndpoint[];
    try {
      endpoints = await this.endpoints();
    } catch (error) {
      throw new TelemetryError(`tenant ${query.projectId}: meter ${query.meter} (Gnocchi ${meter.resourceType}/${meter.metric}): no Gnocchi endpoint: ${errorMessage(error)}`, { cause: error });
    }
    const batches = await Promise.all(endpoints.map((endpoint) => this.samplesAt(endpoint, meter, query, endpoints.length)));
    return batches.flat();
  }

  private async samplesAt(endpoint: ResolvedEndpoint, meter: GnocchiMeter, query: SampleQuery, regions: number): Promise<Sample[]> {
    const where = prefix(query, meter, endpoint, regions);
    const spec = this.specs.get(meter.meter);
    const transform = spec?.transform ?? meter.transform;
    let step = 'get a Keystone token';
    try {
      await this.checkScope(query.projectId);
      step = 'search resources';
      const rows = await this.search(endpoint.url, meter.resourceType, aliveFilter(query.projectId, query.start, query.end, true), true);
      const timelines = buildTimelines(rows).filter((t) => t.projectId === query.projectId);
      if (timelines.length === 0) return [];

      step = 'read archive policies';
      const planned = await this.plan(endpoint.url, meter, timelines, query, where);

      step = 'read measures';
      const measures = await this.measures(endpoint.url, meter, timelines, planned, query);
      const samples: Sample[] = [];
      for (const p of planned) {
        const buckets = parseMeasures(measures.get(p.timeline.id));
        samples.push(
          ...bucketsToSamples(p.timeline, buckets, {
            meter: meter.meter, transform, metricId: p.metricId, unit: p.unit, region: endpoint.region, source: this.settings.source, end: query.end,
          }),
        );
      }
      return samples;
    } catch (error) {
      if (error instanceof GnocchiProblem) throw new TelemetryError(`${where}: ${error.message}`, { cause: error.cause });
      throw new TelemetryError(`${where}: ${this.explain(error, endpoint, meter, step)}`, { cause: error });
    }
  }

  /** One line for an HTTP failure, with what to check. */
  private explain(error: unknown, endpoint: ResolvedEndpoint, meter: GnocchiMeter, step: string): string {
    if (!(error instanceof HttpError)) return `cannot ${step}: ${errorMessage(error)}`;
    if (error.status === undefined) return `cannot reach Gnocchi at ${endpoint.url} (${endpoint.source}) to ${step}: ${error.message}`;
    if (error.status === 401 || error.status === 403) {
      const keys = this.settings.authType === 'basic' ? '[gnocchi] auth_type and user' : '[gnocchi] auth_type and [keystone]';
      return `Gnocchi refused the credentials (${error.status}) to ${step}; check ${keys}: ${error.message}`;
    }
    if (isMetricsNotFound(error)) {
      return `Gnocchi answered 400 Metrics not found for metric '${meter.metric}' of the tenant's ${meter.resourceType} resources; check the metric name (${this.metricKey(meter)}): ${error.message}`;
    }
    if (step === 'search resources' && error.status === 404) {
      return `Gnocchi has no resource type '${meter.resourceType}' (${this.settings.mappingFile} [${meter.meter}] resource_type): ${error.message}`;
    }
    return `cannot ${step}: ${error.message}`;
  }

  private metricKey(meter: GnocchiMeter): string {
    return meter.transform === 'uptime' ? `[gnocchi] uptime_metric, or ${this.settings.mappingFile} [${meter.meter}] metric` : `${this.settings.mappingFile} [${meter.meter}] metric`;
  }

  /** Each resource with the metric: its archive policy decides the aggregation; the window must still be kept. */
  private async plan(base: string, meter: GnocchiMeter, timelines: ResourceTimeline[], query: SampleQuery, where: string): Promise<Planned[]> {
    const granularity = this.settings.granularity;
    return Promise.all(
      timelines
        .filter((timeline) => typeof timeline.metrics[meter.metric] === 'string')
        .map(async (timeline): Promise<Planned> => {
          const metricId = timeline.metrics[meter.metric]!;
          const info = await this.metric(base, metricId);
          const policy = info.archive_policy;
          if (!policy || !Array.isArray(policy.definition)) {
            throw new GnocchiProblem(`metric ${metricId} of resource ${timeline.id}: Gnocchi gave no archive policy`);
          }
          const choice = choosePolicy(policy, granularity, meter.aggregations);
          if (!choice.ok) throw new GnocchiProblem(`metric ${meter.metric} (${metricId}) of resource ${timeline.id}: ${choice.reason}`);
          await this.checkRetention(base, metricId, timeline, policy.name, choice.aggregation, choice.timespan, query);
          return { timeline, metricId, aggregation: choice.aggregation, unit: typeof info.unit === 'string' ? info.unit : '' };
        }),
    );
  }

  /**
   * Gnocchi keeps `timespan` before a metric's newest point. When the newest point could be later
   * than the query start + timespan (by the clock, or the resource's end), ask whether it is: if
   * so, measures at the start of the window are gone, and billing it would under-bill silently.
   */
  private async checkRetention(
    base: string, metricId: string, timeline: ResourceTimeline, policyName: string, aggregation: string, timespan: number, query: SampleQuery,
  ): Promise<void> {
    if (!Number.isFinite(timespan)) return;
    const timespanUs = timespan * US_PER_SECOND;
    const newestBound = Math.min(this.now() * US_PER_MS, timeline.endedAt ?? Number.POSITIVE_INFINITY);
    const horizon = query.start + timespanUs;
    if (newestBound < horizon) return;
    const res = await this.request('GET', `${base}/metric/${encodeURIComponent(metricId)}/measures`, {
      query: [['start', formatTimestamp(horizon)], ['granularity', String(this.settings.granularity)], ['aggregation', aggregation]],
    });
    const later = parseMeasures(res.json<unknown>());
    if (later.length > 0) {
      throw new GnocchiProblem(
        `metric ${metricId} of resource ${timeline.id}: its archive policy '${policyName}' keeps ${formatSeconds(timespan)} at ${formatSeconds(this.settings.granularity)} before its newest measure ` +
          `(${formatTimestamp(later[later.length - 1]!.t)}), so measures from ${formatTimestamp(query.start)} on are partly gone; ` +
          `bill the window sooner, or use a granularity whose timespan covers it ([gnocchi] granularity)`,
      );
    }
  }

  /** Whether any metric of this name exists (`GET /v1/metric?name=…&limit=1`), once per run. */
  private metricNameExists(base: string, name: string): Promise<boolean> {
    const key = `${base} name ${name}`;
    let pending = this.names.get(key);
    if (!pending) {
      pending = this
        .request('GET', `${base}/metric`, { query: [['name', name], ['limit', '1']] })
        .then((res) => {
          const list = res.json<unknown>();
          return Array.isArray(list) && list.length > 0;
        });
      pending.catch(() => this.names.delete(key));
      this.names.set(key, pending);
    }
    return pending;
  }

  private metric(base: string, id: string): Promise<MetricInfo> {
    const key = `${base} ${id}`;
    let pending = this.metrics.get(key);
    if (!pending) {
      pending = this.request('GET', `${base}/metric/${encodeURIComponent(id)}`).then((res) => res.json<MetricInfo>());
      pending.catch(() => this.metrics.delete(key));
      this.metrics.set(key, pending);
    }
    return pending;
  }

  /**
   * Measures of the planned resources, by resource id: one `/v1/aggregates` per aggregation and
   * chunk. With no resource holding the metric, Gnocchi is asked anyway, so that its own answer
   * (400 Metrics not found) says the metric name is wrong, rather than billing nothing.
   */
  private async measures(base: string, meter: GnocchiMeter, timelines: ResourceTimeline[], planned: Planned[], query: SampleQuery): Promise<Map<string, unknown>> {
    const groups = new Map<string, string[]>();
    for (const p of planned) {
      let ids = groups.get(p.aggregation);
      if (!ids) groups.set(p.aggregation, (ids = []));
      ids.push(p.timeline.id);
    }
    if (planned.length === 0) groups.set(meter.aggregations[0]!, timelines.map((t) => t.id));
    const found = new Map<string, unknown>();
    for (const [aggregation, ids] of groups) {
      for (let i = 0; i < ids.length; i += AGGREGATES_CHUNK) {
        const chunk = ids.slice(i, i + AGGREGATES_CHUNK);
        let res;
        try {
          res = await this.request('POST', `${base}/aggregates`, {
            idempotent: true,
            query: [['start', formatTimestamp(query.start)], ['stop', formatTimestamp(query.end)], ['granularity', String(this.settings.granularity)]],
            body: { resource_type: meter.resourceType, search: { in: { id: chunk } }, operations: ['metric', meter.metric, aggregation] },
          });
        } catch (error) {
          if (planned.length > 0 || !isMetricsNotFound(error)) throw error;
          // The tenant's resources lack the metric. Fine if the metric exists elsewhere (a
          // `network` resource may carry bandwidth but no ip.floating); a name Gnocchi has
          // nowhere is a configuration error, not a tenant without usage.
          if (await this.metricNameExists(base, meter.metric)) return found;
          throw new GnocchiProblem(
            `none of the tenant's ${timelines.length} ${meter.resourceType} resource${timelines.length === 1 ? '' : 's'} has a metric '${meter.metric}', and Gnocchi has no metric of that name at all ` +
              `(Gnocchi answered 400 Metrics not found: ${error instanceof Error ? error.message : String(error)}); check the metric name (${this.metricKey(meter)})`,
          );
        }
        const body = res.json<{ measures?: Record<string, Record<string, Record<string, unknown>>> }>();
        const measures = body?.measures;
        if (!measures || typeof measures !== 'object') {
          throw new GnocchiProblem(`POST ${base}/aggregates answered without "measures"`);
        }
        for (const id of chunk) {
          const rows = measures[id]?.[meter.metric]?.[aggregation];
          if (rows !== undefined) found.set(id, rows);
        }
      }
    }
    return found;
  }

  /**
   * `POST {base}/search/resource/{type}`, every page. The next page is asked with our own
   * limit, the same body and the marker from the `Link: rel="next"` header (history markers are
   * `id@revision`, which rows do not show), else the last row's id. It stops on an empty page,
   * or a page without a next link that is shorter than the limit.
   */
  private async search(base: string, type: string, filter: unknown, history: boolean, attrs: string[] = []): Promise<GnocchiResourceRow[]> {
    const rows: GnocchiResourceRow[] = [];
    const seen = new Set<string>();
    let marker: string | undefined;
    for (;;) {
      const query: [string, string][] = [['limit', String(this.pageSize)]];
      if (history) query.push(['history', 'true']);
      for (const attr of attrs) query.push(['attrs', attr]);
      if (marker !== undefined) query.push(['marker', marker]);
      const res = await this.request('POST', `${base}/search/resource/${encodeURIComponent(type)}`, {
        idempotent: true, query, body: filter,
      });
      const page = res.json<unknown>();
      if (!Array.isArray(page)) throw new GnocchiProblem(`POST ${base}/search/resource/${type} did not answer a list`);
      rows.push(...(page as GnocchiResourceRow[]));
      if (page.length === 0) break;
      const linked = nextMarker(res.headers.get('link'));
      if (linked === undefined && page.length < this.pageSize) break;
      const last = page[page.length - 1] as GnocchiResourceRow;
      const next = linked ?? (history ? undefined : last.id);
      if (next === undefined) throw new GnocchiProblem(`a full page of ${type} resource history came without a Link to the next page`);
      if (seen.has(next)) throw new GnocchiProblem(`resource search of ${type} loops at marker ${next}`);
      seen.add(next);
      marker = next;
    }
    return rows;
  }

  /** Projects owning a resource of a mapped type that lived in [start, end). */
  async tenants(start: Micros, end: Micros): Promise<Tenant[]> {
    const endpoints = await this.endpoints();
    const types = [...new Set([...this.settings.meters.values()].map((m) => m.resourceType))].sort();
    const projects = new Set<string>();
    for (const endpoint of endpoints) {
      for (const type of types) {
        let rows: GnocchiResourceRow[];
        try {
          rows = await this.search(endpoint.url, type, aliveFilter(null, start, end), false, ['id', 'project_id']);
        } catch (error) {
          const reason = error instanceof HttpError && error.status === 404
            ? `Gnocchi has no resource type '${type}' (${this.settings.mappingFile})`
            : error instanceof HttpError && error.status === undefined ? `cannot reach Gnocchi at ${endpoint.url}` : 'cannot search resources';
          throw new TelemetryError(`listing tenants from Gnocchi ${type} resources: ${reason}: ${errorMessage(error)}`, { cause: error });
        }
        for (const row of rows) if (typeof row.project_id === 'string' && row.project_id !== '') projects.add(row.project_id);
      }
    }
    return [...projects].sort().map((id) => ({ id }));
  }

  /**
   * Before any bill is claimed: the Keystone token (wrong credentials are a ConfigError, exit 2)
   * and the endpoints (a catalog without a `metric` service too). Gnocchi itself is not asked
   * here: a Gnocchi that is down fails each tenant with a message naming it and the metric.
   */
  async prepare(): Promise<void> {
    if (this.keystone) await this.keystone.token();
    await this.endpoints();
  }

  async check(specs: MeterSpec[]): Promise<CheckItem[]> {
    const items: CheckItem[] = [];
    if (this.keystone) {
      const keystone = await keystoneCheck(this.keystone, (project) => `Gnocchi shows it only project ${project}'s resources, so artifice fails the other tenants`);
      items.push(...keystone.items);
      if (!keystone.ok) return items;
    }
    let endpoints: ResolvedEndpoint[];
    try {
      endpoints = await this.endpoints();
    } catch (error) {
      return [{ name: 'gnocchi endpoint', ok: false, detail: errorMessage(error) }];
    }
    for (const endpoint of endpoints) {
      const label = endpoints.length > 1 ? ` ${endpoint.region}` : '';
      let types: Set<string>;
      try {
        const res = await this.request('GET', `${endpoint.url}/resource_type`);
        types = new Set(res.json<{ name?: string }[]>().map((t) => t.name).filter((n): n is string => typeof n === 'string'));
        items.push({ name: `gnocchi endpoint${label}`, ok: true, detail: `${endpoint.url} (${endpoint.source}), ${this.settings.authType ?? 'keystone'} auth accepted` });
      } catch (error) {
        items.push({ name: `gnocchi endpoint${label}`, ok: false, detail: `${endpoint.url} (${endpoint.source}): ${errorMessage(error)}` });
        continue;
      }
      for (const spec of specs) {
        const meter = this.settings.meters.get(spec.meter);
        if (!meter) continue;
        const ok = types.has(meter.resourceType);
        items.push({
          name: `gnocchi meter ${spec.meter}${label}`,
          ok,
          detail: ok
            ? `resource type ${meter.resourceType}, metric ${meter.metric}, ${meter.aggregations.join(' or ')} at ${this.settings.granularity} s`
            : `Gnocchi has no resource type '${meter.resourceType}' (${this.settings.mappingFile} [${spec.meter}] resource_type); it has: ${[...types].sort().join(', ')}`,
        });
      }
    }
    return items;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClose?.();
  }
}

/** A problem found in Gnocchi's answers (not an HTTP failure): its message is already one line for users. */
class GnocchiProblem extends Error {}

/** `[telemetry] backend = gnocchi`: settings, HTTP client, auth and endpoints from the config. */
export function openGnocchi(config: Config, io: HttpIo & { keystone?: KeystoneOptions; backoffMs?: number } = {}): GnocchiCollector {
  const settings = gnocchiSettings(config);
  // Gnocchi under uwsgi http-socket closes every connection silently: no reuse unless asked.
  const client = openTelemetryClient(config, { ...io, keepAlive: settings.keepAlive });
  // Resolved at load: keystone only when [keystone] is configured (src/config/telemetry.ts).
  const authType = settings.authType;
  const auth = authType === 'basic' ? basicAuth(settings.user, settings.password) : client.keystone!;
  const urls = client.settings.regions.map((r) => r.url).filter((u): u is string => u !== undefined);
  return new GnocchiCollector({
    settings,
    specs: config.meterSpecs,
    http: client.http,
    auth,
    endpoints: () => resolveEndpoints(client.settings.regions, client.keystone, { serviceType: 'metric', version: 'v1' }),
    pageSize: client.settings.pageSize,
    directory: client.directory,
    keystone: authType === 'keystone' ? client.keystone : undefined,
    now: io.now,
    description: `gnocchi ${urls.length > 0 ? urls.join(', ') : 'from the Keystone catalog (service type metric)'} (${authType} auth, granularity ${settings.granularity} s)`,
    onClose: () => client.close(),
  });
}
