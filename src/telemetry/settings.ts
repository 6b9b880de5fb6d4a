/**
 * The keys the HTTP collectors (Ceilometer, Gnocchi) share, typed and validated: `[keystone]`,
 * `[telemetry]` HTTP and region keys, `[region:NAME]` sections, and `[main] include_tenants /
 * exclude_tenants`. config.ts knows only that the keys exist; what they mean is decided here,
 * with errors that name file, section and key (secrets are never echoed).
 */
import type { Config } from '../config.js';
import { DEFAULTS, Reader } from '../config.js';
import { ConfigError } from '../model/errors.js';

export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface HttpSettings {
  timeoutMs: number;
  retries: number;
  concurrency: number;
  caFile?: string;
  insecure: boolean;
}

interface KeystoneBase {
  /** The identity v3 root, ending in `/v3`. */
  authUrl: string;
  interface: EndpointInterface;
  /** The catalog region of the single-region setup (`[keystone] region_name`). */
  regionName?: string;
}

export interface PasswordAuth extends KeystoneBase {
  authType: 'password';
  user: { id: string } | { name: string; domain: { id: string } | { name: string } };
  password: string;
  project: { id: string } | { name: string; domain: { id: string } | { name: string } };
}

export interface ApplicationCredentialAuth extends KeystoneBase {
  authType: 'application_credential';
  credential: { id: string } | { name: string; user: { id: string } | { name: string; domain: { id: string } | { name: string } } };
  secret: string;
}

export type KeystoneSettings = PasswordAuth | ApplicationCredentialAuth;

/** One telemetry endpoint to collect from, and the name its samples are tagged with. */
export interface RegionSetting {
  /** The region name samples are tagged with (their default datacenter); undefined = the catalog endpoint's region. */
  name?: string;
  /** An explicit endpoint URL: the catalog is not consulted. */
  url?: string;
  /** Which key gave `url`, for messages: `[telemetry] url` or `[region:NAME] url`. */
  urlFrom?: string;
  /** The catalog region to look the endpoint up in (undefined: the only one there is). */
  catalogRegion?: string;
}

export interface TelemetrySettings {
  http: HttpSettings;
  /** `[telemetry] page_size`, if given (each collector has its own default). */
  pageSize?: number;
  regions: RegionSetting[];
  /** Undefined when there is no Keystone (`[keystone]` absent or `auth_type = none`). */
  keystone?: KeystoneSettings;
  tenants: TenantFilter;
}

export interface TenantFilter {
  /** `[main] include_tenants`: only these (ids or names) are billed by `--all`. */
  include?: string[];
  /** `[main] exclude_tenants`: never billed by `--all`. */
  exclude?: string[];
}

export const HTTP_DEFAULTS = { timeoutSeconds: 30, retries: 4, concurrency: 8 } as const;
/** An hour per request is plenty; Node's timers overflow (and fire at once) beyond 2^31 − 1 ms. */
export const MAX_TIMEOUT_SECONDS = 3600;

const AUTH_TYPES = ['password', 'v3password', 'application_credential', 'v3applicationcredential', 'none'] as const;

/** `public`, `publicURL`, `internalURL`… → public | internal | admin. */
export function parseInterface(value: string): EndpointInterface | undefined {
  const name = value.trim().replace(/URL$/i, '').toLowerCase();
  return name === 'public' || name === 'internal' || name === 'admin' ? name : undefined;
}

/** `http://ks:5000`, `http://ks:5000/`, `http://ks/identity/v3/` → `…/v3`. */
export function identityV3Url(url: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

export function tenantFilter(config: Config): TenantFilter {
  const at = new Reader(config.file, config.sections);
  return { include: at.list('main', 'include_tenants', 'project id or name'), exclude: at.list('main', 'exclude_tenants', 'project id or name') };
}

export function httpSettings(config: Config): HttpSettings {
  const at = new Reader(config.file, config.sections);
  return {
    timeoutMs: Math.round((at.number('telemetry', 'timeout', 0.001, MAX_TIMEOUT_SECONDS) ?? HTTP_DEFAULTS.timeoutSeconds) * 1000),
    retries: at.integer('telemetry', 'retries', 0, 20) ?? HTTP_DEFAULTS.retries,
    concurrency: at.integer('telemetry', 'concurrency', 1, 256) ?? HTTP_DEFAULTS.concurrency,
    caFile: at.path('telemetry', 'ca_file', config.dir),
    insecure: at.boolean('telemetry', 'insecure') ?? false,
  };
}

export function telemetrySettings(config: Config): TelemetrySettings {
  const at = new Reader(config.file, config.sections);
  const keystone = keystoneSettings(config);
  return {
    http: httpSettings(config),
    pageSize: at.integer('telemetry', 'page_size', 1, 100000),
    regions: regionSettings(config, keystone),
    keystone,
    tenants: tenantFilter(config),
  };
}

type Ref = { id: string } | { name: string; domain: { id: string } | { name: string } };

/** `[keystone]` → settings, or undefined when there is no Keystone. */
export function keystoneSettings(config: Config): KeystoneSettings | undefined {
  const section = config.sections.get('keystone');
  // No section, or one whose keys are all commented out: no Keystone.
  if (section === undefined || Object.values(section).every((value) => value.trim() === '')) return undefined;
  const at = new Reader(config.file, config.sections);
  const s = (key: string) => at.string('keystone', key);
  const given = (...keys: string[]) => keys.filter((key) => s(key) !== undefined);

  const credentialKeys = ['application_credential_id', 'application_credential_name', 'application_credential_secret'];
  let authType = at.oneOf('keystone', 'auth_type', AUTH_TYPES);
  if (authType === 'none') {
    const stray = given('auth_url', 'username', 'user_id', 'password', ...credentialKeys);
    if (stray.length) throw at.error('keystone', stray[0]!, 'is set, but auth_type = none: remove it, or set auth_type = password or application_credential');
    return undefined;
  }
  authType ??= given(...credentialKeys).length ? 'application_credential' : 'password';

  const authUrl = at.url('keystone', 'auth_url');
  if (!authUrl) throw at.error('keystone', 'auth_url', 'is required: the Keystone v3 URL, e.g. http://keystone:5000/v3 (or auth_type = none for a telemetry API without auth)');
  if (/\/v2\.0$/.test(authUrl)) throw at.error('keystone', 'auth_url', 'points at Keystone v2.0, which is not supported: use the v3 URL');
  const iface = s('interface');
  const parsedInterface = iface === undefined ? 'public' : parseInterface(iface);
  if (!parsedInterface) throw at.error('keystone', 'interface', `= '${iface}' is not valid: use public, internal or admin`);
  const base = { authUrl: identityV3Url(authUrl), interface: parsedInterface, regionName: s('region_name') };

  const domain = (idKey: string, nameKey: string): { id: string } | { name: string } => {
    const id = s(idKey);
    if (id !== undefined) {
      if (s(nameKey) !== undefined) throw at.error('keystone', nameKey, `and ${idKey} are both set: give one`);
      return { id };
    }
    return { name: s(nameKey) ?? 'Default' };
  };
  const user = (): Ref | undefined => {
    const id = s('user_id');
    if (id !== undefined) {
      if (s('username') !== undefined) throw at.error('keystone', 'username', 'and user_id are both set: give one');
      return { id };
    }
    const name = s('username');
    return name === undefined ? undefined : { name, domain: domain('user_domain_id', 'user_domain_name') };
  };

  if (authType === 'password' || authType === 'v3password') {
    const stray = given(...credentialKeys);
    if (stray.length) throw at.error('keystone', stray[0]!, 'is an application credential key, but auth_type = password: remove it or set auth_type = application_credential');
    const u = user();
    if (!u) throw at.error('keystone', 'username', 'is required with auth_type = password (or user_id)');
    const password = s('password');
    if (password === undefined) throw at.error('keystone', 'password', 'is required with auth_type = password');
    let project: Ref;
    const projectId = s('project_id');
    if (projectId !== undefined) {
      if (s('project_name') !== undefined) throw at.error('keystone', 'project_name', 'and project_id are both set: give one');
      project = { id: projectId };
    } else {
      const name = s('project_name');
      if (name === undefined) throw at.error('keystone', 'project_name', 'is required with auth_type = password (or project_id): the token must be scoped to a project, and carry the admin role to read every project');
      project = { name, domain: domain('project_domain_id', 'project_domain_name') };
    }
    return { ...base, authType: 'password', user: u, password, project };
  }

  // Application credential: scoped to its own project; a scope in the request is refused.
  const stray = given('project_id', 'project_name', 'project_domain_id', 'project_domain_name', 'password');
  if (stray.length) {
    throw at.error('keystone', stray[0]!, 'must not be set with an application credential: the credential is already scoped to its project');
  }
  const secret = s('application_credential_secret');
  if (secret === undefined) throw at.error('keystone', 'application_credential_secret', 'is required with an application credential');
  const id = s('application_credential_id');
  if (id !== undefined) {
    if (s('application_credential_name') !== undefined) {
      throw at.error('keystone', 'application_credential_name', 'and application_credential_id are both set: give one');
    }
    return { ...base, authType: 'application_credential', credential: { id }, secret };
  }
  const name = s('application_credential_name');
  if (name === undefined) throw at.error('keystone', 'application_credential_id', 'is required with an application credential (or application_credential_name with username or user_id)');
  const u = user();
  if (!u) throw at.error('keystone', 'username', 'is required with application_credential_name (or user_id): a credential name is unique per user only');
  return { ...base, authType: 'application_credential', credential: { name, user: u }, secret };
}

/**
 * The endpoints to collect from. `[telemetry] regions = A, B` and/or `[region:NAME]` sections
 * (keys `url`, `region_name`) give one endpoint per region, tagged with its name; otherwise one
 * endpoint: `[telemetry] url`, or the catalog's, tagged `[telemetry] region` (when given), else
 * the catalog endpoint's region, else RegionOne.
 */
export function regionSettings(config: Config, keystone: KeystoneSettings | undefined): RegionSetting[] {
  const at = new Reader(config.file, config.sections);
  if (config.sections.has('region')) throw new ConfigError(`${config.file}: [region] needs a name: [region:NAME], one section per region`);
  const listed = at.list('telemetry', 'regions', 'region');
  const sectioned = [...config.sections.keys()].filter((name) => name.startsWith('region:')).map((name) => name.slice('region:'.length));
  for (const name of sectioned) {
    if (name.trim() === '') throw new ConfigError(`${config.file}: [region:] needs a name, e.g. [region:RegionTwo]`);
    if (listed && !listed.includes(name)) {
      throw at.error('telemetry', 'regions', `does not list ${name}, which has a [region:${name}] section: add it, or remove the section`);
    }
  }
  const telemetryUrl = at.url('telemetry', 'url');
  const names = listed ?? sectioned;
  const noAuthHint = 'there is no Keystone catalog to find it in ([keystone] absent or auth_type = none)';

  if (names.length > 0) {
    if (new Set(names).size !== names.length) throw at.error('telemetry', 'regions', 'lists a region twice');
    if (telemetryUrl !== undefined && names.length > 1) {
      throw at.error('telemetry', 'url', 'serves one region, but several regions are configured: give each its url in [region:NAME] (or let the Keystone catalog find them)');
    }
    return names.map((name) => {
      const section = `region:${name}`;
      const own = at.url(section, 'url');
      const url = own ?? (names.length === 1 ? telemetryUrl : undefined);
      if (url === undefined && keystone === undefined) {
        throw new ConfigError(`${config.file} [${section}] url is required for region ${name}: ${noAuthHint}`);
      }
      const urlFrom = url === undefined ? undefined : own !== undefined ? `[${section}] url` : '[telemetry] url';
      return { name, url, urlFrom, catalogRegion: at.string(section, 'region_name') ?? name };
    });
  }

  const explicitRegion = at.string('telemetry', 'region');
  if (telemetryUrl === undefined && keystone === undefined) {
    throw at.error('telemetry', 'url', `is required: ${noAuthHint}`);
  }
  const catalogRegion = keystone?.regionName ?? explicitRegion;
  return [{
    name: explicitRegion ?? (telemetryUrl !== undefined ? (keystone?.regionName ?? DEFAULTS.region) : undefined),
    url: telemetryUrl,
    urlFrom: telemetryUrl === undefined ? undefined : '[telemetry] url',
    catalogRegion,
  }];
}
