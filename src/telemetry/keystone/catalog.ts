/**
 * The Keystone v3 service catalog (docs/keystone.md): an endpoint by service type (`metering` for
 * Ceilometer, `metric` for Gnocchi), region and interface, with the API version appended.
 */
import { ConfigError } from '../../model/errors.js';
import { parseInterface, type EndpointInterface } from '../../config/keystone.js';

export interface CatalogEndpoint {
  id?: string;
  interface?: string;
  region_id?: string | null;
  region?: string | null;
  url: string;
}

export interface CatalogService {
  type: string;
  name?: string;
  id?: string;
  endpoints?: CatalogEndpoint[];
}

export interface EndpointQuery {
  /** `metering` (Ceilometer) or `metric` (Gnocchi). */
  serviceType: string;
  /** Appended unless the URL already ends with it: `v2` (Ceilometer) or `v1` (Gnocchi). */
  version?: string;
  /** Catalog region; undefined = the only region that has the service. */
  region?: string;
  /** Default: `[keystone] interface` (public). */
  interface?: EndpointInterface;
}

/** An endpoint found in the catalog (or given), and where it came from, for messages and `check`. */
export interface ResolvedEndpoint {
  url: string;
  /** The region its samples are tagged with. */
  region: string;
  /** e.g. `catalog metering/public/RegionOne` or `[telemetry] url`. */
  source: string;
}

/** `http://ctl:8777/` + `v2` → `http://ctl:8777/v2`; a URL that already ends in `/v2` is kept. */
export function versionedUrl(url: string, version: string | undefined): string {
  const base = url.replace(/\/+$/, '');
  if (!version) return base;
  return base.endsWith(`/${version}`) ? base : `${base}/${version}`;
}

function endpointRegion(endpoint: CatalogEndpoint): string | undefined {
  return endpoint.region_id ?? endpoint.region ?? undefined;
}

/**
 * The catalog endpoint of `serviceType` with this interface (and region, if given). Throws a
 * ConfigError that says what the catalog has instead.
 */
export function findEndpoint(
  catalog: CatalogService[],
  query: { serviceType: string; region?: string; interface: EndpointInterface },
): { url: string; region?: string; interface: EndpointInterface } {
  const services = catalog.filter((service) => service.type === query.serviceType);
  if (services.length === 0) {
    const types = [...new Set(catalog.map((s) => s.type))].sort();
    const hint = query.serviceType === 'metering' && types.includes('metric')
      ? '; the catalog has Gnocchi (metric): set [telemetry] backend = gnocchi'
      : '; set [telemetry] url to skip the catalog';
    throw new ConfigError(`the Keystone catalog has no ${query.serviceType} service (it has: ${types.join(', ') || 'nothing'})${hint}`);
  }
  const all = services.flatMap((service) => service.endpoints ?? []);
  const matching = all.filter((e) => parseInterface(e.interface ?? '') === query.interface);
  const inRegion = query.region === undefined ? matching : matching.filter((e) => endpointRegion(e) === query.region);
  const available = () =>
    [...new Set(all.map((e) => `${parseInterface(e.interface ?? '') ?? e.interface}/${endpointRegion(e) ?? '(no region)'}`))].sort().join(', ');
  if (inRegion.length === 0) {
    const where = query.region === undefined ? `interface ${query.interface}` : `interface ${query.interface} in region ${query.region}`;
    throw new ConfigError(
      `the Keystone catalog has no ${query.serviceType} endpoint for ${where} (it has interface/region: ${available()}); check [keystone] interface and region_name, or [telemetry] regions`,
    );
  }
  if (query.region === undefined) {
    const regions = [...new Set(inRegion.map(endpointRegion))];
    if (regions.length > 1) {
      throw new ConfigError(
        `the Keystone catalog has ${query.serviceType} endpoints in several regions (${regions.map((r) => r ?? '(none)').join(', ')}): set [keystone] region_name to one, or [telemetry] regions to bill them all`,
      );
    }
  }
  const chosen = inRegion[0]!;
  if (typeof chosen.url !== 'string' || chosen.url === '') {
    throw new ConfigError(`the Keystone catalog's ${query.serviceType} endpoint (${query.interface}) has no url`);
  }
  return { url: chosen.url, region: endpointRegion(chosen), interface: query.interface };
}
