/**
 * Where samples come from and which datacenter they belong to: the telemetry endpoints per
 * region (`[telemetry] regions`, `[region:NAME]`), `[datacenters]` and `[flavors]`.
 */
import { ConfigError } from '../model/errors.js';
import { DEFAULTS } from './defaults.js';
import type { KeystoneSettings } from './keystone.js';
import type { Reader } from './reader.js';

/** One telemetry endpoint to collect from, and the name its samples are tagged with. */
export interface RegionSetting {
  /** The region name samples are tagged with (their default datacenter); undefined = the catalog endpoint's region. */
  readonly name?: string;
  /** An explicit endpoint URL: the catalog is not consulted. */
  readonly url?: string;
  /** Which key gave `url`, for messages: `[telemetry] url` or `[region:NAME] url`. */
  readonly urlFrom?: string;
  /** The catalog region to look the endpoint up in (undefined: the only one there is). */
  readonly catalogRegion?: string;
}

const NO_AUTH_HINT = 'there is no Keystone catalog to find it in ([keystone] absent or auth_type = none)';

/** The NAMEs of the `[region:NAME]` sections, in file order. */
export function regionSections(at: Reader): string[] {
  if (at.sections.has('region')) throw new ConfigError(`${at.file}: [region] needs a name: [region:NAME], one section per region`);
  const names = [...at.sections.keys()].filter((name) => name.startsWith('region:')).map((name) => name.slice('region:'.length));
  for (const name of names) {
    if (name.trim() === '') throw new ConfigError(`${at.file}: [region:] needs a name, e.g. [region:RegionTwo]`);
  }
  return names;
}

/**
 * The endpoints to collect from. `[telemetry] regions = A, B` and/or `[region:NAME]` sections
 * (keys `url`, `region_name`) give one endpoint per region, tagged with its name; otherwise one
 * endpoint: `[telemetry] url`, or the catalog's, tagged `[telemetry] region` (when given), else
 * the catalog endpoint's region, else RegionOne.
 */
export function parseRegions(at: Reader, keystone: KeystoneSettings | undefined): RegionSetting[] {
  const sectioned = regionSections(at);
  const listed = at.list('telemetry', 'regions', 'region');
  for (const name of sectioned) {
    if (listed && !listed.includes(name)) {
      throw at.error('telemetry', 'regions', `does not list ${name}, which has a [region:${name}] section: add it, or remove the section`);
    }
  }
  const names = listed ?? sectioned;
  return names.length > 0 ? namedRegions(at, names, keystone) : [singleRegion(at, keystone)];
}

function namedRegions(at: Reader, names: string[], keystone: KeystoneSettings | undefined): RegionSetting[] {
  const telemetryUrl = at.url('telemetry', 'url');
  if (new Set(names).size !== names.length) throw at.error('telemetry', 'regions', 'lists a region twice');
  if (telemetryUrl !== undefined && names.length > 1) {
    throw at.error('telemetry', 'url', 'serves one region, but several regions are configured: give each its url in [region:NAME] (or let the Keystone catalog find them)');
  }
  return names.map((name) => {
    const section = `region:${name}`;
    const own = at.url(section, 'url');
    const url = own ?? (names.length === 1 ? telemetryUrl : undefined);
    if (url === undefined && keystone === undefined) {
      throw new ConfigError(`${at.file} [${section}] url is required for region ${name}: ${NO_AUTH_HINT}`);
    }
    const urlFrom = url === undefined ? undefined : own !== undefined ? `[${section}] url` : '[telemetry] url';
    return { name, url, urlFrom, catalogRegion: at.string(section, 'region_name') ?? name };
  });
}

function singleRegion(at: Reader, keystone: KeystoneSettings | undefined): RegionSetting {
  const telemetryUrl = at.url('telemetry', 'url');
  const explicitRegion = at.string('telemetry', 'region');
  if (telemetryUrl === undefined && keystone === undefined) {
    throw at.error('telemetry', 'url', `is required: ${NO_AUTH_HINT}`);
  }
  return {
    name: explicitRegion ?? (telemetryUrl !== undefined ? (keystone?.regionName ?? DEFAULTS.region) : undefined),
    url: telemetryUrl,
    urlFrom: telemetryUrl === undefined ? undefined : '[telemetry] url',
    catalogRegion: keystone?.regionName ?? explicitRegion,
  };
}

/** A free section (`[datacenters]`, `[flavors]`) as a frozen copy. */
export function freeSection(at: Reader, name: string): Readonly<Record<string, string>> {
  return Object.freeze({ ...(at.sections.get(name) ?? {}) });
}
