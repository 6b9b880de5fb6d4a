/**
 * The Ceilometer v2 collector (`[telemetry] backend = ceilometer`, docs/ceilometer.md).
 *
 * Reading the samples of one tenant and meter, with its paging: ceilometer/reader.ts.
 * Several regions are several endpoints; every sample is tagged with the region it came from.
 */
import type { Config } from '../config.js';
import { ArtificeError, ConfigError, EXIT, TelemetryError, errorMessage } from '../model/errors.js';
import { concatAll } from '../model/arrays.js';
import { formatNaiveUtc, formatTimestamp, type Micros } from '../model/time.js';
import { CeilometerReader } from './ceilometer/reader.js';
import { GONE_HINT, simpleQuery, type Filter } from './ceilometer/query.js';
import { allSamples, type Collector } from './contract.js';
import { HttpError, type HttpClient } from '../http/index.js';
import { keystoneCheck, type KeystoneAuth, type ResolvedEndpoint } from './keystone.js';
import { openTelemetryClient, resolveEndpoints, type CollectorIo } from './keystone/client.js';
import type { TenantDirectory } from './tenants.js';
import { telemetryMeterOf, type CheckItem, type Collected, type MeterSpec, type Sample, type SampleQuery, type Tenant } from '../model/types.js';

export { simpleQuery } from './ceilometer/query.js';

export const CEILOMETER_DEFAULT_PAGE_SIZE = 1000;
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

/** The telemetry API cannot be read at all before any bill is claimed (an outage, not a tenant's problem): exit 2. */
export class TelemetryUnavailableError extends TelemetryError {
  override readonly exitCode: number = EXIT.usage;
}

export class CeilometerCollector implements Collector {
  readonly tenantDirectory?: TenantDirectory;
  private readonly http: HttpClient;
  private readonly keystone?: KeystoneAuth;
  private readonly pageSize: number;
  private readonly reader: CeilometerReader;
  private resolving?: Promise<ResolvedEndpoint[]>;
  private resolved?: ResolvedEndpoint[];
  private closed = false;

  constructor(private readonly options: CeilometerCollectorOptions) {
    this.http = options.http;
    this.keystone = options.keystone;
    this.pageSize = options.pageSize;
    const maxTieGroup = options.maxTieGroup ?? 10 * Math.max(options.pageSize, 100);
    this.reader = new CeilometerReader({ http: options.http, keystone: options.keystone, pageSize: options.pageSize, maxTieGroup });
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
          await this.reader.probe(endpoint, meter);
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
    return allSamples(await this.collect(query));
  }

  /** The samples of `samples()`, one series per resource and region, kept packed until the usage step reads them. */
  async collect(query: SampleQuery): Promise<Collected> {
    const endpoints = await this.endpoints();
    const batches = await Promise.all(endpoints.map((endpoint) => this.reader.samples(endpoint, query)));
    return { samples: [], series: concatAll(batches) };
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
            const latest = await this.reader.probe(endpoint, telemetryMeterOf(spec));
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

/** `[telemetry] backend = ceilometer` → a collector, from the config (its keys: src/config/telemetry.ts). */
export function openCeilometer(config: Config, io: CollectorIo & { maxTieGroup?: number } = {}): CeilometerCollector {
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
    meters: [...new Set(config.meterSpecs.map(telemetryMeterOf))],
    directory: client.directory,
    description,
    onClose: () => client.close(),
  });
}

