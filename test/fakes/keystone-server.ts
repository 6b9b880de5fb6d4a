/**
 * A fake Keystone v3 on 127.0.0.1:0, written from docs/keystone.md and the Keystone api-ref:
 * `POST /v3/auth/tokens` (password with user/project by id or name+domain; application
 * credential by id or name+user, refusing a scope; a token — `methods: ["token"]` — exchanged for one
 * scoped to a project, expiring no later than it), 201 with `X-Subject-Token`, a token body
 * with `expires_at`, roles and a catalog; `GET /v3/projects` (enabled filter, name filter,
 * paging by `links.next`), `GET /v3/projects/{id}`. Errors are Keystone's
 * `{"error": {"code", "title", "message"}}`. Tokens expire by the injected clock, and can be
 * revoked, so the fake Ceilometer can reject them with 401. `refusalMessage` makes a refused
 * token request quote the request back, as a server in debug mode (or a proxy) may.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDomain {
  id: string;
  name: string;
}

export interface FakeUser {
  id: string;
  name: string;
  domain: FakeDomain;
  password: string;
  /** Roles per project id. */
  roles: Record<string, string[]>;
}

export interface FakeProject {
  id: string;
  name: string;
  domain_id: string;
  enabled?: boolean;
}

export interface FakeAppCredential {
  id: string;
  name: string;
  userId: string;
  secret: string;
  projectId: string;
  roles: string[];
}

export interface FakeCatalogService {
  type: string;
  name?: string;
  endpoints: { interface: string; region: string; url: string }[];
}

export interface FakeKeystoneOptions {
  users?: FakeUser[];
  projects?: FakeProject[];
  appCredentials?: FakeAppCredential[];
  /** The catalog; a function is read at each token issue (so it can name servers started later). */
  catalog?: FakeCatalogService[] | (() => FakeCatalogService[]);
  /** Token lifetime (ms). Default one hour. */
  tokenTtlMs?: number;
  /** Epoch ms. Default Date.now. */
  now?: () => number;
  /** Page size of GET /v3/projects, paged by `links.next` (not what Keystone does; see projectListLimit). Default: no paging. */
  projectPageSize?: number;
  /** The origin `links.next` of a project page points at (a proxy in front that rewrites it wrongly). Default: its own. */
  projectLinksOrigin?: string;
  /**
   * Keystone's `list_limit`: GET /v3/projects answers only this many projects with
   * `"truncated": true` and `links.next` null (Keystone cannot page projects). Default: none.
   */
  projectListLimit?: number;
}

export interface FakeToken {
  id: string;
  userId: string;
  projectId: string;
  roles: string[];
  expiresAt: number;
  revoked: boolean;
  methods: string[];
}

export type TokenCheck = { ok: true; token: FakeToken } | { ok: false; reason: string };

export const DEFAULT_DOMAIN: FakeDomain = { id: 'default', name: 'Default' };

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function keystoneError(res: http.ServerResponse, status: number, title: string, message: string, headers: Record<string, string> = {}): void {
  send(res, status, { error: { code: status, title, message } }, headers);
}

/** Keystone's format: `2024-06-01T10:00:00.000000Z`. */
function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class FakeKeystone {
  readonly tokens = new Map<string, FakeToken>();
  readonly requests: { method: string; path: string; body?: unknown }[] = [];
  /** Token requests answered 201. */
  issued = 0;
  users: FakeUser[];
  projects: FakeProject[];
  appCredentials: FakeAppCredential[];
  tokenTtlMs: number;
  /** Answers the next N token requests with this status (e.g. 503) instead. */
  failTokenRequests: { times: number; status: number } = { times: 0, status: 503 };
  /** Answers the next N token requests with a redirect to `location` (e.g. another origin) instead. */
  redirectTokenRequests: { times: number; status: number; location: string } = { times: 0, status: 307, location: '' };
  /** The message of a refused (401) token request, built from the request: e.g. one that echoes it. Default Keystone's. */
  refusalMessage?: (request: { text: string; password?: string; secret?: string }) => string;
  private readonly now: () => number;
  private server!: http.Server;
  url = '';

  private constructor(private readonly options: FakeKeystoneOptions) {
    this.users = options.users ?? [];
    this.projects = options.projects ?? [];
    this.appCredentials = options.appCredentials ?? [];
    this.tokenTtlMs = options.tokenTtlMs ?? 3600_000;
    this.now = options.now ?? Date.now;
  }

  static async start(options: FakeKeystoneOptions = {}): Promise<FakeKeystone> {
    const fake = new FakeKeystone(options);
    fake.server = http.createServer((req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What keystonemiddleware would decide for a token a service received. */
  validate(id: string | undefined): TokenCheck {
    if (!id) return { ok: false, reason: 'no token' };
    const token = this.tokens.get(id);
    if (!token) return { ok: false, reason: 'unknown token' };
    if (token.revoked) return { ok: false, reason: 'revoked token' };
    if (this.now() >= token.expiresAt) return { ok: false, reason: 'expired token' };
    return { ok: true, token };
  }

  /** Revokes every token issued so far (as if they had expired early). */
  revokeAll(): void {
    for (const token of this.tokens.values()) token.revoked = true;
  }

  private catalog(): FakeCatalogService[] {
    const c = this.options.catalog ?? [];
    return typeof c === 'function' ? c() : c;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        keystoneError(res, 400, 'Bad Request', 'Expecting to find valid JSON in request body.');
        return;
      }
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, body });
      const path = url.pathname.replace(/\/+$/, '');
      if (req.method === 'POST' && path === '/v3/auth/tokens') return this.issueToken(body, res, text);
      if (req.method === 'GET' && path === '/v3/projects') return this.listProjects(req, url, res);
      const one = /^\/v3\/projects\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && one) return this.getProject(req, decodeURIComponent(one[1]!), res);
      keystoneError(res, 404, 'Not Found', `The resource could not be found.`);
    });
  }

  private findDomain(ref: unknown): FakeDomain | undefined {
    const r = ref as { id?: string; name?: string } | undefined;
    if (!r) return undefined;
    const domains = [DEFAULT_DOMAIN, ...this.users.map((u) => u.domain)];
    return domains.find((d) => (r.id !== undefined ? d.id === r.id : d.name === r.name));
  }

  private findUser(ref: unknown): FakeUser | undefined {
    const r = ref as { id?: string; name?: string; domain?: unknown } | undefined;
    if (!r) return undefined;
    if (r.id !== undefined) return this.users.find((u) => u.id === r.id);
    const domain = this.findDomain(r.domain);
    if (!domain) return undefined;
    return this.users.find((u) => u.name === r.name && u.domain.id === domain.id);
  }

  private issueToken(body: unknown, res: http.ServerResponse, text: string): void {
    if (this.redirectTokenRequests.times > 0) {
      this.redirectTokenRequests.times--;
      res.writeHead(this.redirectTokenRequests.status, { Location: this.redirectTokenRequests.location, 'Content-Length': 0 });
      res.end();
      return;
    }
    if (this.failTokenRequests.times > 0) {
      this.failTokenRequests.times--;
      keystoneError(res, this.failTokenRequests.status, 'Service Unavailable', 'Keystone is having a moment.');
      return;
    }
    const auth = (body as { auth?: { identity?: Record<string, unknown>; scope?: unknown } } | undefined)?.auth;
    const identity = auth?.identity;
    const methods = identity?.methods as string[] | undefined;
    const given = identity as { password?: { user?: { password?: string } }; application_credential?: { secret?: string } } | undefined;
    const unauthorized = () => keystoneError(res, 401, 'Unauthorized', this.refusalMessage?.({
      text, password: given?.password?.user?.password, secret: given?.application_credential?.secret,
    }) ?? 'The request you have made requires authentication.');
    if (!identity || !Array.isArray(methods) || methods.length !== 1) {
      keystoneError(res, 400, 'Bad Request', "'identity' is a required property");
      return;
    }
    let userId: string;
    let projectId: string;
    let roles: string[];
    if (methods[0] === 'application_credential') {
      if (auth?.scope !== undefined) {
        keystoneError(res, 401, 'Unauthorized', 'Application credentials cannot request a scope.');
        return;
      }
      const c = identity.application_credential as { id?: string; name?: string; secret?: string; user?: unknown } | undefined;
      let cred: FakeAppCredential | undefined;
      if (c?.id !== undefined) cred = this.appCredentials.find((a) => a.id === c.id);
      else if (c?.name !== undefined) {
        const user = this.findUser(c.user);
        cred = user && this.appCredentials.find((a) => a.name === c.name && a.userId === user.id);
      }
      if (!cred || cred.secret !== c?.secret) return unauthorized();
      userId = cred.userId;
      projectId = cred.projectId;
      roles = cred.roles;
    } else if (methods[0] === 'password' || methods[0] === 'token') {
      let user: FakeUser | undefined;
      let notAfter: number | undefined;
      if (methods[0] === 'password') {
        const p = identity.password as { user?: { password?: string } } | undefined;
        user = this.findUser(p?.user);
        if (!user || user.password !== p?.user?.password) return unauthorized();
      } else {
        const given = this.validate((identity.token as { id?: string } | undefined)?.id);
        if (!given.ok) return unauthorized();
        user = this.users.find((u) => u.id === given.token.userId);
        if (!user) return unauthorized();
        notAfter = given.token.expiresAt;
      }
      const scope = (auth?.scope as { project?: { id?: string; name?: string; domain?: unknown } } | undefined)?.project;
      if (!scope) {
        keystoneError(res, 400, 'Bad Request', 'this fake only issues project-scoped tokens');
        return;
      }
      const project = this.findProject(scope);
      if (!project) return unauthorized();
      roles = user.roles[project.id] ?? [];
      if (roles.length === 0) return unauthorized();
      userId = user.id;
      projectId = project.id;
      if (notAfter !== undefined) return this.answerToken(res, { userId, projectId, roles, methods, expiresAt: Math.min(notAfter, this.now() + this.tokenTtlMs) });
    } else {
      keystoneError(res, 401, 'Unauthorized', `Attempted to authenticate with an unsupported method.`);
      return;
    }
    this.answerToken(res, { userId, projectId, roles, methods, expiresAt: this.now() + this.tokenTtlMs });
  }

  private findProject(scope: { id?: string; name?: string; domain?: unknown }): FakeProject | undefined {
    if (scope.id !== undefined) return this.projects.find((pr) => pr.id === scope.id);
    const domain = this.findDomain(scope.domain);
    return domain && this.projects.find((pr) => pr.name === scope.name && pr.domain_id === domain.id);
  }

  /** A token for a user in a project, as if they had run `openstack token issue` (for OS_TOKEN); not counted in `issued`. */
  mintToken(userId: string, projectId: string): string {
    const id = `gAAAA${randomBytes(24).toString('hex')}`;
    const roles = this.users.find((u) => u.id === userId)?.roles[projectId] ?? [];
    this.tokens.set(id, { id, userId, projectId, roles, expiresAt: this.now() + this.tokenTtlMs, revoked: false, methods: ['password'] });
    return id;
  }

  private answerToken(res: http.ServerResponse, fields: Omit<FakeToken, 'id' | 'revoked'>): void {
    const { userId, projectId, roles, methods } = fields;
    const now = this.now();
    const id = `gAAAA${randomBytes(24).toString('hex')}`;
    const token: FakeToken = { ...fields, id, revoked: false };
    this.tokens.set(id, token);
    this.issued++;
    const user = this.users.find((u) => u.id === userId);
    const project = this.projects.find((p) => p.id === projectId);
    send(res, 201, {
      token: {
        methods,
        expires_at: isoMicros(token.expiresAt),
        issued_at: isoMicros(now),
        project: { id: projectId, name: project?.name ?? projectId, domain: DEFAULT_DOMAIN },
        user: { id: userId, name: user?.name ?? userId, domain: user?.domain ?? DEFAULT_DOMAIN },
        roles: roles.map((name, i) => ({ id: `role-${i}`, name })),
        catalog: this.catalog().map((service, i) => ({
          type: service.type,
          name: service.name ?? service.type,
          id: `svc-${i}`,
          endpoints: service.endpoints.map((e, j) => ({ id: `ep-${i}-${j}`, interface: e.interface, region_id: e.region, region: e.region, url: e.url })),
        })),
      },
    }, { 'X-Subject-Token': id });
  }

  /** Directory calls need a valid token with the admin role. */
  private authorize(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const check = this.validate(req.headers['x-auth-token'] as string | undefined);
    if (!check.ok) {
      keystoneError(res, 401, 'Unauthorized', 'The request you have made requires authentication.', { 'WWW-Authenticate': `Keystone uri="${this.url}"` });
      return false;
    }
    if (!check.token.roles.includes('admin')) {
      keystoneError(res, 403, 'Forbidden', 'You are not authorized to perform the requested action: identity:list_projects.');
      return false;
    }
    return true;
  }

  private listProjects(req: http.IncomingMessage, url: URL, res: http.ServerResponse): void {
    if (!this.authorize(req, res)) return;
    let list = [...this.projects].sort((a, b) => (a.id < b.id ? -1 : 1));
    const enabled = url.searchParams.get('enabled');
    if (enabled !== null) list = list.filter((p) => (p.enabled ?? true) === (enabled.toLowerCase() === 'true'));
    const name = url.searchParams.get('name');
    if (name !== null) list = list.filter((p) => p.name === name);
    const marker = url.searchParams.get('marker');
    if (marker !== null) list = list.filter((p) => p.id > marker);
    const size = this.options.projectPageSize;
    let next: string | null = null;
    if (size !== undefined && list.length > size) {
      list = list.slice(0, size);
      const n = new URL(url.toString().replace('http://x', this.options.projectLinksOrigin ?? this.url));
      n.searchParams.set('marker', list[list.length - 1]!.id);
      next = n.toString();
    }
    const limit = this.options.projectListLimit;
    const truncated = limit !== undefined && list.length > limit;
    if (truncated) list = list.slice(0, limit);
    send(res, 200, {
      projects: list.map((p) => ({ id: p.id, name: p.name, domain_id: p.domain_id, enabled: p.enabled ?? true, is_domain: false, links: {} })),
      links: { self: `${this.url}${url.pathname}${url.search}`, previous: null, next },
      ...(truncated ? { truncated: true } : {}),
    });
  }

  private getProject(req: http.IncomingMessage, id: string, res: http.ServerResponse): void {
    if (!this.authorize(req, res)) return;
    const p = this.projects.find((pr) => pr.id === id);
    if (!p) return keystoneError(res, 404, 'Not Found', `Could not find project: ${id}.`);
    send(res, 200, { project: { id: p.id, name: p.name, domain_id: p.domain_id, enabled: p.enabled ?? true } });
  }
}
