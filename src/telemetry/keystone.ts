/**
 * Keystone v3 (docs/keystone.md): a project-scoped token from a password or an application
 * credential (never with a scope: Keystone refuses that), reused until it nears `expires_at`
 * and renewed once on a 401; the service catalog lookup of an endpoint by service type
 * (`metering` for Ceilometer, `metric` for Gnocchi), region and interface; and the project
 * directory for `--all` (enabled projects) and `--tenant NAME`.
 *
 * Secrets (password, credential secret, token) never appear in an error or a log line.
 */
import type { Config } from '../config.js';
import { ConfigError, TelemetryError, UsageError, errorMessage } from '../model/errors.js';
import { formatTimestamp, parseTimestamp, US_PER_MS } from '../model/time.js';
import { HttpClient, HttpError, type AuthProvider, type HttpIo } from './http.js';
import {
  parseInterface, telemetrySettings, type EndpointInterface, type KeystoneSettings, type RegionSetting, type TelemetrySettings,
} from './settings.js';
import type { TenantDirectory } from './tenants.js';
import type { CheckItem, Tenant } from '../model/types.js';

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

export interface KeystoneToken {
  /** The token itself (`X-Subject-Token`): never print it. */
  id: string;
  /** `expires_at` as Keystone gave it, epoch ms by Keystone's clock; undefined if absent (then only a 401 renews it). */
  expiresAt?: number;
  /** Epoch ms by the local clock when the token arrived. */
  receivedAt: number;
  /**
   * When it expires by the local clock: `receivedAt + (expires_at − issued_at)`, so a local
   * clock that is off does not make every request re-authenticate (or none).
   */
  localExpiry?: number;
  project?: { id: string; name?: string; domain?: { id?: string; name?: string } };
  user?: { id: string; name?: string };
  roles: string[];
  catalog: CatalogService[];
}

export interface KeystoneOptions {
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** Renew this long before `expires_at` (at most half the token's lifetime). Default 5 minutes. */
  marginMs?: number;
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

const DEFAULT_MARGIN_MS = 5 * 60 * 1000;

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

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** Keystone v3 token auth for one identity: an AuthProvider, plus catalog and project lookups. */
export class KeystoneAuth implements AuthProvider {
  private cached?: KeystoneToken;
  private pending?: Promise<KeystoneToken>;
  private readonly now: () => number;
  private readonly marginMs: number;
  /** How many tokens were issued to this client (for tests and `check`). */
  tokensIssued = 0;

  constructor(
    readonly settings: KeystoneSettings,
    private readonly http: HttpClient,
    options: KeystoneOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
  }

  get authUrl(): string {
    return this.settings.authUrl;
  }

  /** A valid token: the cached one unless it is within the margin of its expiry. Concurrent callers share one request. */
  async token(): Promise<KeystoneToken> {
    if (this.cached && !this.nearExpiry(this.cached)) return this.cached;
    this.pending ??= this.issue().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  async headers(): Promise<Record<string, string>> {
    return { 'X-Auth-Token': (await this.token()).id };
  }

  /** Forgets the token; with the headers of a refused request, only if that request carried the current token. */
  invalidate(used?: Record<string, string>): void {
    const refused = used?.['X-Auth-Token'];
    if (refused !== undefined && this.cached !== undefined && refused !== this.cached.id) return;
    this.cached = undefined;
  }

  /** The catalog endpoint of a service (`metering`, `metric`), versioned. */
  async endpoint(query: EndpointQuery): Promise<{ url: string; region?: string; source: string }> {
    const token = await this.token();
    const iface = query.interface ?? this.settings.interface;
    const found = findEndpoint(token.catalog, { serviceType: query.serviceType, region: query.region, interface: iface });
    return {
      url: versionedUrl(found.url, query.version),
      region: found.region,
      source: `Keystone catalog ${query.serviceType}/${iface}/${found.region ?? '(no region)'}`,
    };
  }

  /** Every enabled project (`GET /v3/projects?enabled=true`, following `links.next`). Needs the admin role. */
  async projects(): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    const seen = new Set<string>();
    let url: string | undefined = `${this.authUrl}/projects`;
    let query: [string, string][] | undefined = [['enabled', 'true']];
    while (url !== undefined) {
      if (seen.has(url)) throw new TelemetryError(`Keystone project list loops: ${url} came back as links.next`);
      seen.add(url);
      const body: Json = await this.call('list projects', () => this.http.request('GET', url!, { query, auth: this }).then((r) => r.json<Json>()));
      const projects = body.projects;
      if (!Array.isArray(projects)) throw new TelemetryError(`Keystone GET ${url}: no "projects" list in the answer`);
      // Keystone's list_limit cuts the list and says only `"truncated": true` (no links.next:
      // it cannot page projects). Billing the first N and skipping the rest would be silent.
      if (body.truncated === true) {
        throw new ConfigError(
          `Keystone truncated the project list at ${projects.length} projects (its list_limit) and cannot page past it, so --all would skip tenants; raise Keystone's [resource] list_limit (or [DEFAULT] list_limit) above the number of projects, or name the tenants with --tenant`,
        );
      }
      for (const p of projects) {
        const project = asObject(p);
        if (!project || typeof project.id !== 'string') continue;
        if (project.enabled === false || project.is_domain === true) continue;
        tenants.push(typeof project.name === 'string' ? { id: project.id, name: project.name } : { id: project.id });
      }
      const next = asObject(body.links)?.next;
      url = typeof next === 'string' && next !== '' ? next : undefined;
      query = undefined; // links.next carries its own query
    }
    return tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** A project by id, else by name (unique across domains). UsageError when none or several match. */
  async project(ref: string): Promise<Tenant> {
    const byId = await this.call('look up a project', () =>
      this.http.request('GET', `${this.authUrl}/projects/${encodeURIComponent(ref)}`, { auth: this, okStatuses: [200, 403, 404] }),
    );
    if (byId.status === 200) {
      const project = asObject(byId.json<Json>().project);
      if (project && typeof project.id === 'string') {
        return typeof project.name === 'string' ? { id: project.id, name: project.name } : { id: project.id };
      }
    }
    const byName = await this.call('look up a project', () =>
      this.http.request('GET', `${this.authUrl}/projects`, { query: [['name', ref]], auth: this, okStatuses: [200, 403] }),
    );
    if (byName.status === 200) {
      const found = (byName.json<Json>().projects as unknown[] | undefined ?? [])
        .map(asObject)
        .filter((p): p is Json => p !== undefined && typeof p.id === 'string' && p.name === ref);
      if (found.length === 1) return { id: found[0]!.id as string, name: ref };
      if (found.length > 1) {
        throw new UsageError(`--tenant ${ref}: ${found.length} Keystone projects have that name (in domains ${found.map((p) => p.domain_id).join(', ')}); give the project id`);
      }
    }
    if (byId.status === 403 && byName.status === 403) {
      // Not allowed to look projects up: take the reference as an id, as without Keystone.
      return { id: ref };
    }
    throw new UsageError(`--tenant ${ref}: Keystone (${this.authUrl}) has no project with that id or name`);
  }

  /** One line about the token for `artifice check`; never the token itself. */
  describeToken(token: KeystoneToken): string {
    const user = token.user?.name ?? token.user?.id ?? '?';
    const project = token.project ? `${token.project.name ?? token.project.id} (${token.project.id})` : '(unscoped)';
    const expires = token.expiresAt === undefined ? '' : `, expires ${formatTimestamp(token.expiresAt * US_PER_MS)}`;
    return `${this.settings.authType} token for user ${user} in project ${project}, roles ${token.roles.join(', ') || 'none'}${expires}`;
  }

  private nearExpiry(token: KeystoneToken): boolean {
    if (token.localExpiry === undefined) return false;
    const lifetime = token.localExpiry - token.receivedAt;
    const margin = Math.min(this.marginMs, Math.max(0, lifetime / 2));
    return this.now() >= token.localExpiry - margin;
  }

  private async issue(): Promise<KeystoneToken> {
    const url = `${this.authUrl}/auth/tokens`;
    let res;
    try {
      // Asking for a token twice is harmless: retry it like a read.
      res = await this.http.request('POST', url, { body: this.requestBody(), okStatuses: [200, 201], idempotent: true });
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403 || error.status === 400 || error.status === 404)) {
        throw new ConfigError(`Keystone refused the ${this.settings.authType} credentials: ${error.message}; check ${this.credentialKeys()}`, { cause: error });
      }
      throw new TelemetryError(`cannot get a Keystone token: ${errorMessage(error)}`, { cause: error });
    }
    const id = res.headers.get('x-subject-token');
    if (!id) throw new TelemetryError(`Keystone POST ${url} answered ${res.status} without an X-Subject-Token header: is [keystone] auth_url a Keystone v3 endpoint?`);
    const token = asObject(res.json<Json>().token);
    if (!token) throw new TelemetryError(`Keystone POST ${url}: no "token" in the answer`);
    const receivedAt = this.now();
    const expires = typeof token.expires_at === 'string' ? parseTimestamp(token.expires_at) : undefined;
    const issuedAt = typeof token.issued_at === 'string' ? parseTimestamp(token.issued_at) : undefined;
    const expiresAt = expires === undefined ? undefined : Math.floor(expires / US_PER_MS);
    const lifetime = expires !== undefined && issuedAt !== undefined ? Math.floor((expires - issuedAt) / US_PER_MS) : undefined;
    const project = asObject(token.project);
    const user = asObject(token.user);
    const issued: KeystoneToken = {
      id,
      expiresAt,
      receivedAt,
      localExpiry: lifetime !== undefined && lifetime > 0 ? receivedAt + lifetime : expiresAt,
      project: project && typeof project.id === 'string'
        ? { id: project.id, name: typeof project.name === 'string' ? project.name : undefined, domain: asObject(project.domain) as { id?: string; name?: string } | undefined }
        : undefined,
      user: user && typeof user.id === 'string' ? { id: user.id, name: typeof user.name === 'string' ? user.name : undefined } : undefined,
      roles: Array.isArray(token.roles) ? token.roles.map((r) => asObject(r)?.name).filter((n): n is string => typeof n === 'string') : [],
      catalog: Array.isArray(token.catalog) ? (token.catalog.filter((s) => asObject(s) && typeof (s as Json).type === 'string') as CatalogService[]) : [],
    };
    this.tokensIssued++;
    this.cached = issued;
    return issued;
  }

  /** The token request (§3). An application credential is never sent with a scope. */
  private requestBody(): unknown {
    const s = this.settings;
    if (s.authType === 'application_credential') {
      return { auth: { identity: { methods: ['application_credential'], application_credential: { ...s.credential, secret: s.secret } } } };
    }
    if (s.authType === 'token') return { auth: { identity: { methods: ['token'], token: { id: s.token } }, scope: { project: s.project } } };
    return {
      auth: {
        identity: { methods: ['password'], password: { user: { ...s.user, password: s.password } } },
        scope: { project: s.project },
      },
    };
  }

  private credentialKeys(): string {
    if (this.settings.authType === 'token') return '[keystone] token (it may have expired), project_name or project_id, project_domain_name';
    return this.settings.authType === 'application_credential'
      ? '[keystone] application_credential_id (or _name and the user), application_credential_secret'
      : '[keystone] username or user_id, password, user_domain_name, project_name or project_id, project_domain_name';
  }

  /** Keystone 401/403 on a directory call: the token lacks the admin role. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403)) {
        throw new ConfigError(`Keystone will not ${what} for this user: ${error.message}; the billing user needs the admin role (or set --tenant explicitly)`, { cause: error });
      }
      throw error;
    }
  }
}

/** Keystone as the tenant directory of `--all` and `--tenant NAME`. */
export class KeystoneDirectory implements TenantDirectory {
  readonly description: string;
  constructor(private readonly auth: KeystoneAuth) {
    this.description = `keystone ${auth.authUrl}`;
  }
  listTenants(): Promise<Tenant[]> {
    return this.auth.projects();
  }
  resolveTenant(ref: string): Promise<Tenant> {
    return this.auth.project(ref);
  }
}

/**
 * One endpoint per configured region: the region's explicit url, or the catalog's endpoint of
 * `serviceType` in its catalog region. Regions without an explicit name take the catalog's.
 */
export async function resolveEndpoints(
  regions: RegionSetting[],
  auth: KeystoneAuth | undefined,
  service: { serviceType: string; version: string },
): Promise<ResolvedEndpoint[]> {
  return Promise.all(
    regions.map(async (region) => {
      if (region.url !== undefined) {
        return { url: versionedUrl(region.url, service.version), region: region.name ?? 'RegionOne', source: region.urlFrom ?? '[telemetry] url' };
      }
      if (!auth) throw new ConfigError(`no url for region ${region.name ?? '(default)'} and no Keystone to find one`);
      const found = await auth.endpoint({ serviceType: service.serviceType, version: service.version, region: region.catalogRegion });
      return { url: found.url, region: region.name ?? found.region ?? 'RegionOne', source: found.source };
    }),
  );
}

/**
 * What an HTTP collector needs, built from the config: settings, one HttpClient (timeouts,
 * retries, TLS) shared by Keystone and the telemetry API, the Keystone auth (or none), and
 * the project directory. The Gnocchi collector uses it as the Ceilometer one does:
 * `const t = openTelemetryClient(config, io); const eps = await resolveEndpoints(t.settings.regions, t.keystone, {serviceType: 'metric', version: 'v1'})`.
 */
export interface TelemetryClient {
  settings: TelemetrySettings;
  http: HttpClient;
  keystone?: KeystoneAuth;
  directory?: KeystoneDirectory;
  close(): void;
}

export function openTelemetryClient(config: Config, io: HttpIo & { keystone?: KeystoneOptions; backoffMs?: number; keepAlive?: boolean } = {}): TelemetryClient {
  const settings = telemetrySettings(config);
  const http = new HttpClient({
    timeoutMs: settings.http.timeoutMs,
    retries: settings.http.retries,
    concurrency: settings.http.concurrency,
    caFile: settings.http.caFile,
    insecure: settings.http.insecure,
    keepAlive: io.keepAlive,
    backoffMs: io.backoffMs,
    fetch: io.fetch,
    sleep: io.sleep,
    random: io.random,
    now: io.now,
  });
  const keystone = settings.keystone ? new KeystoneAuth(settings.keystone, http, { now: io.now, ...io.keystone }) : undefined;
  return {
    settings,
    http,
    keystone,
    directory: keystone ? new KeystoneDirectory(keystone) : undefined,
    close: () => http.close(),
  };
}

/**
 * `artifice check` items for Keystone: auth works (user, project, roles, expiry — never the
 * token), and whether the token has the admin role; `withoutAdmin(project)` says what the lack
 * means for this backend. `ok` is false when authentication itself failed (nothing else can be checked).
 */
export async function keystoneCheck(keystone: KeystoneAuth, withoutAdmin: (project: string) => string): Promise<{ items: CheckItem[]; ok: boolean }> {
  try {
    const token = await keystone.token();
    const items: CheckItem[] = [{ name: 'keystone auth', ok: true, detail: `${keystone.authUrl}: ${keystone.describeToken(token)}` }];
    if (!token.roles.some((role) => role.toLowerCase() === 'admin')) {
      items.push({
        name: 'keystone admin role', ok: false,
        detail: `the token has no admin role: ${withoutAdmin(token.project?.id ?? '?')}`,
      });
    }
    return { items, ok: true };
  } catch (error) {
    return { items: [{ name: 'keystone auth', ok: false, detail: errorMessage(error) }], ok: false };
  }
}
