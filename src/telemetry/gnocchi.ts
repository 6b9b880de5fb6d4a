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
 * 4. measures → buckets (gnocchi/buckets.ts) → samples (gnocchi/samples.ts), so the usage
 *    transforms stay the same; a metric's measures that disagree on an instant fail the tenant.
 *
 * Every error names the tenant, the meter and the Gnocchi resource type and metric. Auth is
 * Keystone (`X-Auth-Token`, endpoint of service type `metric` from the catalog unless
 * `[telemetry] url` is given) or Gnocchi's own `basic` (`Authorization: Basic base64("<user>:")`).
 */
import type { Config } from '../config.js';
import { concatAll } from '../model/arrays.js';
import { ConfigError, TelemetryError, errorMessage } from '../model/errors.js';
import type { Micros } from '../model/time.js';
import { allSamples, type Collector } from './contract.js';
import { GnocchiMeasures } from './gnocchi/measures.js';
import { GnocchiProblem, isMetricsNotFound, metricKey } from './gnocchi/problem.js';
import { distinctBuckets, noBuckets, type Buckets } from './gnocchi/buckets.js';
import { buildTimelines, bucketsToSamples, type GnocchiResourceRow, type ResourceTimeline, type SampleContext } from './gnocchi/samples.js';
import { aliveFilter, searchResources } from './gnocchi/search.js';
import { gnocchiSettings } from '../config/telemetry.js';
import type { GnocchiMeter, GnocchiSettings } from '../config/gnocchi.js';
import { HttpError, type AuthProvider, type HttpClient, type HttpResponse, type RequestInit } from '../http/index.js';
import { keystoneCheck, type KeystoneAuth, type ResolvedEndpoint } from './keystone.js';
import { openTelemetryClient, resolveEndpoints, type CollectorIo } from './keystone/client.js';
import type { TenantDirectory } from './tenants.js';
import { telemetryMeterOf, type CheckItem, type Collected, type MeterSpec, type Sample, type SampleQuery, type SampleSeries, type Tenant } from '../model/types.js';

/** Gnocchi's `[api] max_limit` default: a larger `limit` is clamped silently. */
export const GNOCCHI_MAX_PAGE = 1000;

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
/**
 * One resource's measures as a series: checked now (a conflict fails the collector's query, with
 * the tenant and meter named), kept as arrays of numbers, made into samples when the usage step reads them.
 * A function of its own so that the series' closure holds only what it needs: made inside
 * `seriesAt`, it would keep that scope alive, and with it the whole raw answer.
 */
function packedSeries(timeline: ResourceTimeline, measures: Buckets | undefined, ctx: SampleContext): SampleSeries {
  const buckets = distinctBuckets(measures ?? noBuckets(), ctx.metricId, timeline.id);
  return { meter: ctx.meter, resourceId: timeline.id, samples: () => bucketsToSamples(timeline, buckets, ctx) };
}

/**
 * One resource id in two regions' answers (a `swift_account` is named after its project in every
 * region): the usage step measures a resource's samples as one series, so the two regions' months
 * would be mixed into one wrong quantity. The tenant fails instead (docs/gnocchi.md, "Limits").
 */
function refuseSharedResources(batches: SampleSeries[][], endpoints: ResolvedEndpoint[], query: SampleQuery, meter: GnocchiMeter): void {
  const regionOf = new Map<string, string>();
  batches.forEach((batch, i) => {
    const region = endpoints[i]!.region;
    for (const { resourceId } of batch) {
      const other = regionOf.get(resourceId);
      if (other !== undefined && other !== region) {
        throw new TelemetryError(
          `tenant ${query.projectId}: meter ${query.meter} (Gnocchi ${meter.resourceType}/${meter.metric}): resource ${resourceId} is in region ${other} ` +
            `and in region ${region}; artifice measures a resource once per tenant, so the two regions' usage would be mixed into one wrong ` +
            'quantity: the tenant is not billed (a known limit, docs/gnocchi.md "Limits")',
        );
      }
      regionOf.set(resourceId, region);
    }
  });
}

/** `tenant P: meter M (Gnocchi type/metric[, region R]): …` */
function prefix(query: Pick<SampleQuery, 'projectId' | 'meter'>, meter: GnocchiMeter, endpoint: ResolvedEndpoint, regions: number): string {
  const where = regions > 1 ? `, region ${endpoint.region}` : '';
  return `tenant ${query.projectId}: meter ${query.meter} (Gnocchi ${meter.resourceType}/${meter.metric}${where})`;
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
  private readonly measures: GnocchiMeasures;
  /** Searches in flight, by endpoint, type and filter (see `search`). */
  private readonly searching = new Map<string, Promise<GnocchiResourceRow[]>>();
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
    this.measures = new GnocchiMeasures(this.settings, (method, url, init) => this.request(method, url, init), this.now);
  }

  /** Every Gnocchi request, with the auth headers. */
  private request(method: string, url: string, init: Omit<RequestInit, 'auth'> = {}): Promise<HttpResponse> {
    return this.http.request(method, url, { ...init, auth: this.auth });
  }

  /**
   * Every row of a resource search, `pageSize` at a time. Meters of one resource type (the two
   * network counters of an interface) ask the same search at the same time: it is made once,
   * and forgotten when it settles (no rows are kept beyond the tenant being read).
   */
  private search(base: string, type: string, filter: unknown, history: boolean, attrs: string[] = []): Promise<GnocchiResourceRow[]> {
    const key = JSON.stringify([base, type, filter, history, attrs]);
    const pending = this.searching.get(key);
    if (pending) return pending;
    const made = searchResources((method, url, init) => this.request(method, url, init), base, type, filter, { history, pageSize: this.pageSize, attrs });
    this.searching.set(key, made);
    const forget = () => void this.searching.delete(key);
    made.then(forget, forget);
    return made;
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
    return allSamples(await this.collect(query));
  }

  /**
   * The samples of `samples()`, one series per resource, kept as packed buckets until the usage
   * step reads them. Everything that can fail (HTTP, the answers' checks) happens here; making a
   * series' samples cannot.
   */
  async collect(query: SampleQuery): Promise<Collected> {
    const meter = this.settings.meters.get(query.meter);
    // Meters outside meters.ini are never asked for by the core; nothing to read for them.
    if (!meter) return { samples: [], series: [] };
    let endpoints: ResolvedEndpoint[];
    try {
      endpoints = await this.endpoints();
    } catch (error) {
      throw new TelemetryError(`tenant ${query.projectId}: meter ${query.meter} (Gnocchi ${meter.resourceType}/${meter.metric}): no Gnocchi endpoint: ${errorMessage(error)}`, { cause: error });
    }
    const batches = await Promise.all(endpoints.map((endpoint) => this.seriesAt(endpoint, meter, query, endpoints.length)));
    if (batches.length > 1) refuseSharedResources(batches, endpoints, query, meter);
    return { samples: [], series: concatAll(batches) };
  }

  private async seriesAt(endpoint: ResolvedEndpoint, meter: GnocchiMeter, query: SampleQuery, regions: number): Promise<SampleSeries[]> {
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
      const planned = await this.measures.plan(endpoint.url, meter, timelines, query, where);

      step = 'read measures';
      const measures = await this.measures.measures(endpoint.url, meter, timelines, planned, query);
      return planned.map(({ timeline, metricId, unit }) =>
        packedSeries(timeline, measures.get(timeline.id), {
          meter: meter.meter, transform, metricId, unit, region: endpoint.region, source: this.settings.source, end: query.end,
        }));
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
      return `Gnocchi answered 400 Metrics not found for metric '${meter.metric}' of the tenant's ${meter.resourceType} resources; check the metric name (${metricKey(this.settings, meter)}): ${error.message}`;
    }
    if (step === 'search resources' && error.status === 404) {
      return `Gnocchi has no resource type '${meter.resourceType}' (${this.settings.mappingFile} [${meter.meter}] resource_type): ${error.message}`;
    }
    return `cannot ${step}: ${error.message}`;
  }

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
        const meter = this.settings.meters.get(telemetryMeterOf(spec));
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

/** `[telemetry] backend = gnocchi`: settings, HTTP client, auth and endpoints from the config. */
export function openGnocchi(config: Config, io: CollectorIo = {}): GnocchiCollector {
  const settings = gnocchiSettings(config);
  // Gnocchi under uwsgi http-socket closes every connection silently: no reuse unless asked.
  const client = openTelemetryClient(config, { ...io, keepAlive: settings.keepAlive });
  // Resolved at load: keystone only when [keystone] is configured (src/config/telemetry.ts).
  const authType = settings.authType;
  // The Basic header is a secret once it carries a password; with none, a server echoing headers must not show it either.
  if (authType === 'basic') io.secrets?.addBasic(settings.user, settings.password ?? '');
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

