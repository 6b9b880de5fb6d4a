/**
 * The Ceilometer v2 collector (`[telemetry] backend = ceilometer`, docs/ceilometer.md).
 *
 * Samples come from `GET /v2/samples` with the filters project_id eq, meter eq, timestamp ge
 * start, timestamp lt end, sent as q.field/q.op/q.type/q.value lists of the same length in the
 * same order (WSME pairs them up by position), timestamps as naive UTC.
 *
 * Paging: the API has no marker and answers newest first, `limit` at a time. When a page is
 * full, the samples at its oldest timestamp T may continue on the next page, so the next query
 * moves the upper bound to `timestamp le T` and drops, by content, the samples at T it has
 * already taken (a multiset: two copies of one sample stay two copies, as the file collector
 * would serve them). A full page whose samples all share one timestamp cannot be paged past with
 * `le`: that timestamp is then fetched on its own (`ge T`, `le T`) with a doubling limit, and
 * paging continues at `lt T`; past `maxTieGroup` samples at one instant it fails with a message
 * asking for a larger page_size. A sample outside the query (another project or meter, a time
 * outside the bounds) means the server ignored a filter: that is an error, never billed.
 *
 * Several regions are several endpoints; every sample is tagged with the region it came from.
 */
import type { Config } from '../config.js';
import { ArtificeError, ConfigError, EXIT, TelemetryError, errorMessage } from '../model/errors.js';
import { formatNaiveUtc, formatTimestamp, type Micros } from '../model/time.js';
import { normalizeCeilometerSample } from './ceilometer/sample.js';
import type { Collector } from './contract.js';
import { HttpError, type HttpClient, type HttpIo } from './http.js';
import { keystoneCheck, openTelemetryClient, resolveEndpoints, type KeystoneAuth, type KeystoneOptions, type ResolvedEndpoint } from './keystone.js';
import type { TenantDirectory } from './tenants.js';
import type { CheckItem, MeterSpec, Sample, SampleQuery, Tenant } from '../model/types.js';

export const CEILOMETER_DEFAULT_PAGE_SIZE = 1000;

type Op = 'eq' | 'lt' | 'le' | 'gt' | 'ge';
type Filter = [field: string, op: Op, value: string];

/** The q.* parameters of a simple query: four lists, same length, same order (§1.2). */
export function simpleQuery(filters: Filter[]): [string, string][] {
  return [
    ...filters.map(([field]) => ['q.field', field] as [string, string]),
    ...filters.map(([, op]) => ['q.op', op] as [string, string]),
    ...filters.map(() => ['q.type', ''] as [string, string]),
    ...filters.map(([, , value]) => ['q.value', value] as [string, string]),
  ];
}

export interface CeilometerCollectorOptions {
  http: HttpClient;
  /** Keystone, or undefined for a Ceilometer behind no auth. */
  keystone?: KeystoneAuth;
  /** The endpoints to read, one per region; resolved once, when first needed. */
  endpoints: () => Promise<ResolvedEndpoint[]>;
  /** `limit` of each page. */
  pageSize: number;
  /** Most samples of one meter and project allowed at one instant before giving up. Default 10 × max(pageSize, 100). */
  maxTieGroup?: number;
  /** Meters of meters.ini: `prepare` probes the first; the statistics fallback of `tenants` asks each. */
  meters: string[];
  directory?: TenantDirectory;
  /** Shown until the endpoints are known, e.g. `ceilometer http://ctl:8777/v2`. */
  description: string;
  /** Called by close(): releases the HTTP client's sockets. */
  onClose?: () => void;
}

interface PageItem {
  sample: Sample;
  /** The sample's JSON as served: identical copies have identical keys. */
  key: string;
}

/** The telemetry API cannot be read at all before any bill is claimed (an outage, not a tenant's problem): exit 2. */
export class TelemetryUnavailableError extends TelemetryError {
  override readonly exitCode: number = EXIT.usage;
}

const GONE_HINT = 'this Ceilometer publishes to Gnocchi and serves no samples (410 Gone): set [telemetry] backend = gnocchi';

export class CeilometerCollector implements Collector {
  readonly tenantDirectory?: TenantDirectory;
  private readonly http: HttpClient;
  private readonly keystone?: KeystoneAuth;
  private readonly pageSize: number;
  private readonly maxTieGroup: number;
  private resolving?: Promise<ResolvedEndpoint[]>;
  private resolved?: ResolvedEndpoint[];
  private closed = false;

  constructor(private readonly options: CeilometerCollectorOptions) {
    this.http = options.http;
    this.keystone = options.keystone;
    this.pageSize = options.pageSize;
    this.maxTieGroup = options.maxTieGroup ?? 10 * Math.max(options.pageSize, 100);
    this.tenantDirectory = options.directory;
  }

  get description(): string {
    if (!this.resolved) return this.options.description;
    return `ceilometer ${this.resolved.map((e) => (this.resolved!.length > 1 ? `${e.region} ${e.url}` : e.url)).join(', ')}`;
  }

  /** The endpoints, resolved once (a failure is not cached: the next call tries again). */
  endpoints(): Promise<ResolvedEndpoint[]> {
    this.resolving ??= this.options.endpoints().then(
      (found) => (this.resolved = found),
      (error) => {
        this.resolving = undefined;
        throw error;
      },
    );
    return this.resolving;
  }

  /**
   * Before any bill is claimed: auth works, the endpoints are found, and each answers a
   * one-sample query (a 410 here says to use Gnocchi). Problems of configuration or credentials
   * are ConfigErrors; an unreachable server a TelemetryUnavailableError; both exit 2.
   */
  async prepare(): Promise<void> {
    try {
      await this.probeAll();
    } catch (error) {
      // Nothing is billed yet: whatever stops the run here is exit 2, as the README's table says.
      if (error instanceof ArtificeError && error.exitCode === EXIT.usage) throw error;
      throw new TelemetryUnavailableError(errorMessage(error), { cause: error });
    }
  }

  private async probeAll(): Promise<void> {
    const endpoints = await this.endpoints();
    const meter = this.options.meters[0];
    await Promise.all(
      endpoints.map(async (endpoint) => {
        try {
          await this.probe(endpoint, meter);
        } catch (error) {
          if (error instanceof HttpError && error.status === 410) throw new ConfigError(`${endpoint.url}: ${GONE_HINT}`, { cause: error });
          if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
            throw new ConfigError(`Ceilometer refuses this token: ${error.message}; the billing user needs the admin role`, { cause: error });
          }
          if (error instanceof HttpError && error.status === 404) {
            throw new ConfigError(`no Ceilometer v2 API at ${endpoint.url} (from ${endpoint.source}): ${error.message}`, { cause: error });
          }
          throw error;
        }
      }),
    );
  }

  async samples(query: SampleQuery): Promise<Sample[]> {
    const endpoints = await this.endpoints();
    const batches = await Promise.all(endpoints.map((endpoint) => this.samplesFrom(endpoint, query)));
    return batches.flat();
  }

  /**
   * Projects with samples in [start, end): `/v2/resources` (meter_links=0) in one page; if that
   * page is full (the API cannot page resources), per-meter statistics grouped by project, which
   * have no limit.
   */
  async tenants(start: Micros, end: Micros): Promise<Tenant[]> {
    const endpoints = await this.endpoints();
    const ids = new Set<string>();
    const window: Filter[] = [['timestamp', 'ge', formatNaiveUtc(start)], ['timestamp', 'lt', formatNaiveUtc(end)]];
    const limit = Math.max(this.pageSize, 1000);
    for (const endpoint of endpoints) {
      const resources = await this.getList(endpoint, '/resources', [...simpleQuery(window), ['meter_links', '0'], ['limit', String(limit)]], 'resources');
      if (resources.length < limit) {
        for (const r of resources) {
          const id = (r as { project_id?: unknown }).project_id;
          if (typeof id === 'string' && id !== '') ids.add(id);
        }
        continue;
      }
      for (const meter of this.options.meters) {
        const stats = await this.getList(
          endpoint, `/meters/${encodeURIComponent(meter)}/statistics`, [...simpleQuery(window), ['groupby', 'project_id']], 'statistics',
        );
        for (const s of stats) {
          const id = (s as { groupby?: { project_id?: unknown } }).groupby?.project_id;
          if (typeof id === 'string' && id !== '') ids.add(id);
        }
      }
    }
    return [...ids].sort().map((id) => ({ id }));
  }

  /** `artifice check`: Keystone auth, each endpoint, and each meter readable at each endpoint. Never throws. */
  async check(specs: MeterSpec[]): Promise<CheckItem[]> {
    const items: CheckItem[] = [];
    if (this.keystone) {
      const keystone = await keystoneCheck(this.keystone, (project) => `Ceilometer shows it only project ${project}'s samples, so other tenants would bill as empty`);
      items.push(...keystone.items);
      if (!keystone.ok) return items;
    } else {
      items.push({ name: 'keystone auth', ok: true, detail: 'none ([keystone] absent or auth_type = none): requests carry no token' });
    }
    let endpoints: ResolvedEndpoint[];
    try {
      endpoints = await this.endpoints();
    } catch (error) {
      items.push({ name: 'ceilometer endpoint', ok: false, detail: errorMessage(error) });
      return items;
    }
    const several = endpoints.length > 1;
    for (const endpoint of endpoints) {
      items.push({ name: several ? `ceilometer endpoint ${endpoint.region}` : 'ceilometer endpoint', ok: true, detail: `${endpoint.url} (from ${endpoint.source}; region ${endpoint.region})` });
    }
    const results = await Promise.all(
      endpoints.flatMap((endpoint) =>
        specs.map(async (spec): Promise<CheckItem> => {
          const name = several ? `meter ${spec.meter} [${endpoint.region}]` : `meter ${spec.meter}`;
          try {
            const latest = await this.probe(endpoint, spec.meter);
            return { name, ok: true, detail: latest ? `readable; latest sample ${formatTimestamp(latest.timestamp)}` : 'readable; no samples yet' };
          } catch (error) {
            const detail = error instanceof HttpError && error.status === 410 ? `${GONE_HINT} (${error.message})` : errorMessage(error);
            return { name, ok: false, detail };
          }
        }),
      ),
    );
    return [...items, ...results];
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.options.onClose?.();
  }

  /** The newest sample of `meter` (any project), or null: proves the meter is readable. */
  private async probe(endpoint: ResolvedEndpoint, meter: string | undefined): Promise<Sample | null> {
    const query: [string, string][] = meter === undefined ? [] : simpleQuery([['meter', 'eq', meter]]);
    const res = await this.http.request('GET', `${endpoint.url}/samples`, { query: [...query, ['limit', '1']], auth: this.keystone });
    const list = res.json<unknown>();
    if (!Array.isArray(list)) throw new TelemetryError(`GET ${endpoint.url}/samples: the answer is not a list of samples`);
    if (list.length === 0) return null;
    return this.normalize(list[0], endpoint, `GET ${endpoint.url}/samples`);
  }

  private async samplesFrom(endpoint: ResolvedEndpoint, query: SampleQuery): Promise<Sample[]> {
    const { projectId, meter, start, end } = query;
    const where = `${meter} samples of ${projectId} from ${endpoint.region}`;
    const fixed: Filter[] = [['project_id', 'eq', projectId], ['meter', 'eq', meter]];
    const lower: Filter = ['timestamp', 'ge', formatNaiveUtc(start)];
    let upper: { op: 'lt' | 'le'; t: Micros } = { op: 'lt', t: end };
    /** Content keys already taken at `upper.t`, while upper.op is `le`. */
    let carry = new Map<string, number>();
    const taken: PageItem[] = [];
    const L = this.pageSize;

    for (;;) {
      const page = await this.page(endpoint, [...fixed, lower, ['timestamp', upper.op, formatNaiveUtc(upper.t)]], L, where);
      for (const item of page) {
        const t = item.sample.timestamp;
        this.expect(item, query, t >= start && (upper.op === 'lt' ? t < upper.t : t <= upper.t), where);
        if (upper.op === 'le' && t === upper.t) {
          const seen = carry.get(item.key) ?? 0;
          if (seen > 0) {
            carry.set(item.key, seen - 1);
            continue;
          }
        }
        taken.push(item);
      }
      if (page.length < L) break;

      const oldest = page.reduce((min, item) => Math.min(min, item.sample.timestamp), Infinity);
      if (page.some((item) => item.sample.timestamp > oldest)) {
        // The samples at `oldest` may continue on the next page: ask again from `le oldest`.
        carry = new Map();
        for (const item of page) if (item.sample.timestamp === oldest) carry.set(item.key, (carry.get(item.key) ?? 0) + 1);
        upper = { op: 'le', t: oldest };
        continue;
      }
      // A full page of one instant: fetch that instant alone, then go on below it.
      const group = await this.instant(endpoint, fixed, query, oldest, 2 * L, where);
      for (let i = taken.length - 1; i >= 0; i--) if (taken[i]!.sample.timestamp === oldest) taken.splice(i, 1);
      taken.push(...group);
      upper = { op: 'lt', t: oldest };
      carry = new Map();
    }
    return taken.map((item) => item.sample);
  }

  /** Every sample at exactly `t`, with a limit that doubles until the answer is not full. */
  private async instant(endpoint: ResolvedEndpoint, fixed: Filter[], query: SampleQuery, t: Micros, limit: number, where: string): Promise<PageItem[]> {
    const at = formatNaiveUtc(t);
    for (;;) {
      const n = Math.min(limit, this.maxTieGroup + 1);
      const page = await this.page(endpoint, [...fixed, ['timestamp', 'ge', at], ['timestamp', 'le', at]], n, where);
      for (const item of page) this.expect(item, query, item.sample.timestamp === t, where);
      if (page.length < n) return page;
      if (n > this.maxTieGroup) {
        throw new TelemetryError(
          `${where}: more than ${this.maxTieGroup} samples share the timestamp ${at}, and Ceilometer v2 cannot page past them (it has no marker); raise [telemetry] page_size (now ${this.pageSize}) so that more samples at one instant can be read`,
        );
      }
      limit = n * 2;
    }
  }

  private async page(endpoint: ResolvedEndpoint, filters: Filter[], limit: number, where: string): Promise<PageItem[]> {
    const url = `${endpoint.url}/samples`;
    let list: unknown;
    try {
      const res = await this.http.request('GET', url, { query: [...simpleQuery(filters), ['limit', String(limit)]], auth: this.keystone });
      list = res.json<unknown>();
    } catch (error) {
      if (error instanceof HttpError && error.status === 410) throw new TelemetryError(`${where}: ${GONE_HINT}`, { cause: error });
      throw new TelemetryError(`${where}: ${errorMessage(error)}`, { cause: error });
    }
    if (!Array.isArray(list)) throw new TelemetryError(`${where}: GET ${url} answered something other than a list of samples`);
    if (list.length > limit) throw new TelemetryError(`${where}: GET ${url} returned ${list.length} samples for limit ${limit}`);
    return list.map((raw) => ({ sample: this.normalize(raw, endpoint, `${where}: GET ${url}`), key: JSON.stringify(raw) }));
  }

  /** `context` says where the sample came from, e.g. `instance samples of P from R: GET url`. */
  private normalize(raw: unknown, endpoint: ResolvedEndpoint, context: string): Sample {
    try {
      return normalizeCeilometerSample(raw, endpoint.region);
    } catch (error) {
      const id = (raw as { id?: unknown } | null)?.id;
      throw new TelemetryError(`${context}: bad sample${typeof id === 'string' ? ` ${id}` : ''}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** A sample the query excludes means a filter was ignored (or misread): never bill it. */
  private expect(item: PageItem, query: SampleQuery, inTime: boolean, where: string): void {
    const s = item.sample;
    if (s.projectId !== query.projectId || s.meter !== query.meter || !inTime) {
      throw new TelemetryError(
        `${where}: the server returned a sample outside the query (${s.id ?? '?'}: project ${s.projectId}, meter ${s.meter}, ${formatTimestamp(s.timestamp)}); it ignored a filter, so nothing from it can be billed`,
      );
    }
  }

  private async getList(endpoint: ResolvedEndpoint, path: string, query: [string, string][], what: string): Promise<unknown[]> {
    const url = `${endpoint.url}${path}`;
    let list: unknown;
    try {
      list = (await this.http.request('GET', url, { query, auth: this.keystone })).json<unknown>();
    } catch (error) {
      if (error instanceof HttpError && error.status === 410) throw new ConfigError(`${endpoint.url}: ${GONE_HINT}`, { cause: error });
      throw error;
    }
    if (!Array.isArray(list)) throw new TelemetryError(`GET ${url}: the answer is not a list of ${what}`);
    return list;
  }
}

/** `[telemetry] backend = ceilometer` → a collector, from the config (see settings.ts for the keys). */
export function openCeilometer(config: Config, io: HttpIo & { keystone?: KeystoneOptions; backoffMs?: number; maxTieGroup?: number } = {}): CeilometerCollector {
  const client = openTelemetryClient(config, io);
  const { settings } = client;
  const first = settings.regions[0];
  const description = first?.url !== undefined
    ? `ceilometer ${settings.regions.map((r) => r.url ?? `(catalog ${r.catalogRegion})`).join(', ')}`
    : `ceilometer via the Keystone catalog of ${settings.keystone?.authUrl}`;
  return new CeilometerCollector({
    http: client.http,
    keystone: client.keystone,
    endpoints: () => resolveEndpoints(settings.regions, client.keystone, { serviceType: 'metering', version: 'v2' }),
    pageSize: settings.pageSize ?? CEILOMETER_DEFAULT_PAGE_SIZE,
    maxTieGroup: io.maxTieGroup,
    meters: config.meterSpecs.map((spec) => spec.meter),
    directory: client.directory,
    description,
    onClose: () => client.close(),
  });
}
