/**
 * Keystone v3 (docs/keystone.md): a project-scoped token from a password or an application
 * credential (never with a scope: Keystone refuses that), reused until it nears `expires_at`
 * and renewed once on a 401 (the token itself: keystone/token.ts); endpoints from its service
 * catalog (keystone/catalog.ts); and the project directory for `--all` (enabled projects) and
 * `--tenant NAME`. keystone/client.ts builds all of it from the config for a collector.
 *
 * Secrets (password, credential secret, token) never appear in an error or a log line.
 */
import { ConfigError, TelemetryError, UsageError, errorMessage } from '../model/errors.js';
import { formatTimestamp, US_PER_MS } from '../model/time.js';
import { HttpClient, HttpError, originOf, resolveUrl, safeUrl, sameOrigin, type AuthProvider } from '../http/index.js';
import type { KeystoneSettings } from '../config/keystone.js';
import { findEndpoint, versionedUrl, type EndpointQuery } from './keystone/catalog.js';
import { asObject, credentialKeys, readToken, tokenRequestBody, type Json, type KeystoneToken } from './keystone/token.js';
import type { TenantDirectory } from './tenants.js';
import type { Secrets } from '../model/secrets.js';
import type { CheckItem, Tenant } from '../model/types.js';

export { findEndpoint, versionedUrl, type CatalogEndpoint, type CatalogService, type EndpointQuery, type ResolvedEndpoint } from './keystone/catalog.js';
export type { KeystoneToken } from './keystone/token.js';

export interface KeystoneOptions {
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** Renew this long before `expires_at` (at most half the token's lifetime). Default 5 minutes. */
  marginMs?: number;
  /** Where each token issued is registered the moment it arrives, so no output or file shows it (Deps.secrets). */
  secrets?: Secrets;
}

const DEFAULT_MARGIN_MS = 5 * 60 * 1000;

/** Keystone v3 token auth for one identity: an AuthProvider, plus catalog and project lookups. */
export class KeystoneAuth implements AuthProvider {
  private cached?: KeystoneToken;
  private pending?: Promise<KeystoneToken>;
  private readonly now: () => number;
  private readonly marginMs: number;
  private readonly secrets?: Secrets;
  /** How many tokens were issued to this client (for tests and `check`). */
  tokensIssued = 0;

  constructor(
    readonly settings: KeystoneSettings,
    private readonly http: HttpClient,
    options: KeystoneOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.marginMs = options.marginMs ?? DEFAULT_MARGIN_MS;
    this.secrets = options.secrets;
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
      url = this.nextProjects(asObject(body.links)?.next, url!);
      query = undefined; // links.next carries its own query
    }
    return tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** `links.next` of a project list, if any: only on Keystone's own origin, since the request carries the token. */
  private nextProjects(next: unknown, from: string): string | undefined {
    if (typeof next !== 'string' || next === '') return undefined;
    const target = resolveUrl(next, from);
    if (target === undefined || !sameOrigin(target, from)) {
      throw new TelemetryError(`Keystone GET ${safeUrl(from)}: links.next points to another origin, ${originOf(target ?? '') ?? safeUrl(next)}; not followed, as the token is never sent to another server`);
    }
    return target;
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
      res = await this.http.request('POST', url, { body: tokenRequestBody(this.settings), okStatuses: [200, 201], idempotent: true });
    } catch (error) {
      if (error instanceof HttpError && (error.status === 401 || error.status === 403 || error.status === 400 || error.status === 404)) {
        throw new ConfigError(`Keystone refused the ${this.settings.authType} credentials: ${error.message}; check ${credentialKeys(this.settings)}`, { cause: error });
      }
      throw new TelemetryError(`cannot get a Keystone token: ${errorMessage(error)}`, { cause: error });
    }
    const id = res.headers.get('x-subject-token');
    this.secrets?.add(id);
    if (!id) throw new TelemetryError(`Keystone POST ${url} answered ${res.status} without an X-Subject-Token header: is [keystone] auth_url a Keystone v3 endpoint?`);
    const issued = readToken(id, res.json<unknown>(), this.now(), `POST ${url}`);
    this.tokensIssued++;
    this.cached = issued;
    return issued;
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

