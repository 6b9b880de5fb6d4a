/**
 * Keystone v3 against the fake Keystone: password and application-credential tokens (never a
 * scope with a credential), token reuse and renewal near expiry and on a 401, the catalog
 * lookup, the project directory, and the `[keystone]` settings (errors name the key, never the
 * secret).
 */
import { parseConfig, type Config } from '../../src/config.js';
import { ConfigError, TelemetryError, UsageError } from '../../src/model/errors.js';
import { HttpClient } from '../../src/http/index.js';
import { KeystoneAuth, findEndpoint, versionedUrl, type CatalogService } from '../../src/telemetry/keystone.js';
import { resolveEndpoints } from '../../src/telemetry/keystone/client.js';
import { telemetrySettings } from '../../src/config/telemetry.js';
import type { KeystoneSettings } from '../../src/config/keystone.js';
import { DEFAULT_DOMAIN, FakeKeystone, type FakeKeystoneOptions } from '../fakes/keystone-server.js';

const ADMIN_PROJECT = { id: 'a0000000000000000000000000000001', name: 'admin', domain_id: 'default' };
const PROJECTS = [
  ADMIN_PROJECT,
  { id: '20bef52e4e1bf47d0fb39f90e12eb92d', name: 'acme-webshop', domain_id: 'default' },
  { id: '12401defeb592084bf8bac1b9fafaa7c', name: 'globex-research', domain_id: 'default' },
  { id: 'deee1cf5d038d5669b60a3df605510da', name: 'initech-labs', domain_id: 'default' },
  { id: 'd15ab1ed000000000000000000000000', name: 'old-customer', domain_id: 'default', enabled: false },
  { id: 'e1000000000000000000000000000000', name: 'twin', domain_id: 'default' },
  { id: 'e2000000000000000000000000000000', name: 'twin', domain_id: 'other' },
];
const PASSWORD = 'correct horse battery staple';

function fakeOptions(extra: Partial<FakeKeystoneOptions> = {}): FakeKeystoneOptions {
  return {
    users: [
      { id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN_PROJECT.id]: ['admin', 'reader'] } },
      { id: 'u-viewer', name: 'viewer', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN_PROJECT.id]: ['reader'] } },
    ],
    projects: PROJECTS,
    appCredentials: [{ id: 'ac-1', name: 'billing-cred', userId: 'u-billing', secret: 's3cr3t-app', projectId: ADMIN_PROJECT.id, roles: ['admin'] }],
    catalog: [
      { type: 'identity', endpoints: [{ interface: 'public', region: 'RegionOne', url: 'http://ks.example/identity' }] },
      {
        type: 'metering',
        endpoints: [
          { interface: 'public', region: 'RegionOne', url: 'http://ceilo-one.example:8777' },
          { interface: 'internal', region: 'RegionOne', url: 'http://10.0.0.1:8777/' },
          { interface: 'public', region: 'RegionTwo', url: 'http://ceilo-two.example:8777/v2' },
        ],
      },
      { type: 'metric', endpoints: [{ interface: 'public', region: 'RegionOne', url: 'http://gnocchi.example:8041' }] },
    ],
    ...extra,
  };
}

function config(text: string) {
  return parseConfig(`[telemetry]\nbackend = ceilometer\n${text}`, '/etc/artifice/artifice.ini');
}

const http = () => new HttpClient({ sleep: async () => undefined, retries: 2 });

describe('KeystoneAuth tokens', () => {
  let ks: FakeKeystone;
  let clock: number;
  beforeEach(async () => {
    clock = Date.parse('2024-06-01T00:00:00Z');
    ks = await FakeKeystone.start(fakeOptions({ now: () => clock }));
  });
  afterEach(() => ks.close());

  const password = (): KeystoneSettings => ({
    authType: 'password', authUrl: `${ks.url}/v3`, interface: 'public',
    user: { name: 'billing', domain: { name: 'Default' } }, password: PASSWORD,
    project: { name: 'admin', domain: { name: 'Default' } },
  });

  it('gets a project-scoped token with a password and reuses it', async () => {
    const client = http();
    const auth = new KeystoneAuth(password(), client, { now: () => clock });
    const [a, b] = await Promise.all([auth.headers(), auth.headers()]);
    expect(a['X-Auth-Token']).toMatch(/^gAAAA/);
    expect(b).toEqual(a);
    await auth.headers();
    expect(ks.issued).toBe(1);
    const body = ks.requests[0]!.body as { auth: { identity: unknown; scope: unknown } };
    expect(body.auth).toEqual({
      identity: { methods: ['password'], password: { user: { name: 'billing', domain: { name: 'Default' }, password: PASSWORD } } },
      scope: { project: { name: 'admin', domain: { name: 'Default' } } },
    });
    const token = await auth.token();
    expect(token.roles).toEqual(['admin', 'reader']);
    expect(token.project?.id).toBe(ADMIN_PROJECT.id);
    expect(auth.describeToken(token)).toBe(`password token for user billing in project admin (${ADMIN_PROJECT.id}), roles admin, reader, expires 2024-06-01T01:00:00Z`);
    expect(auth.describeToken(token)).not.toContain(token.id);
    client.close();
  });

  it('renews the token 5 minutes before it expires (by the injected clock)', async () => {
    const auth = new KeystoneAuth(password(), http(), { now: () => clock });
    const first = (await auth.headers())['X-Auth-Token'];
    clock += 54 * 60 * 1000;
    expect((await auth.headers())['X-Auth-Token']).toBe(first);
    clock += 2 * 60 * 1000; // 56 min: within the margin
    expect((await auth.headers())['X-Auth-Token']).not.toBe(first);
    expect(ks.issued).toBe(2);
  });

  it('with short-lived tokens, renews at half their lifetime rather than on every request', async () => {
    ks.tokenTtlMs = 60_000;
    const auth = new KeystoneAuth(password(), http(), { now: () => clock });
    await auth.headers();
    clock += 20_000;
    await auth.headers();
    expect(ks.issued).toBe(1);
    clock += 15_000;
    await auth.headers();
    expect(ks.issued).toBe(2);
  });

  it('times expiry by the token\'s own lifetime, so a skewed local clock neither renews every time nor never', async () => {
    // Keystone's clock says 2024-06-01; ours is two years ahead.
    let local = Date.parse('2026-06-01T00:00:00Z');
    const auth = new KeystoneAuth(password(), http(), { now: () => local });
    await auth.headers();
    await auth.headers();
    expect(ks.issued).toBe(1);
    local += 56 * 60 * 1000;
    await auth.headers();
    expect(ks.issued).toBe(2);
  });

  it('a 401 earned by a token already replaced does not renew it again', async () => {
    const auth = new KeystoneAuth(password(), http(), { now: () => clock });
    const old = await auth.headers();
    auth.invalidate(old);
    const fresh = await auth.headers();
    auth.invalidate(old); // a slower request that had carried the old token
    expect(await auth.headers()).toEqual(fresh);
    expect(ks.issued).toBe(2);
  });

  it('invalidate() makes the next request re-authenticate', async () => {
    const auth = new KeystoneAuth(password(), http(), { now: () => clock });
    const first = await auth.headers();
    auth.invalidate();
    expect(await auth.headers()).not.toEqual(first);
    expect(ks.issued).toBe(2);
  });

  it('an application credential by id is sent without any scope', async () => {
    const auth = new KeystoneAuth({ authType: 'application_credential', authUrl: `${ks.url}/v3`, interface: 'public', credential: { id: 'ac-1' }, secret: 's3cr3t-app' }, http());
    const token = await auth.token();
    expect(token.project?.id).toBe(ADMIN_PROJECT.id);
    const body = ks.requests[0]!.body as { auth: Record<string, unknown> };
    expect(body.auth).toEqual({ identity: { methods: ['application_credential'], application_credential: { id: 'ac-1', secret: 's3cr3t-app' } } });
    expect('scope' in body.auth).toBe(false);
  });

  it('an application credential by name needs its user', async () => {
    const auth = new KeystoneAuth({
      authType: 'application_credential', authUrl: `${ks.url}/v3`, interface: 'public',
      credential: { name: 'billing-cred', user: { name: 'billing', domain: { name: 'Default' } } }, secret: 's3cr3t-app',
    }, http());
    expect((await auth.token()).roles).toEqual(['admin']);
  });

  it('refused credentials are a ConfigError with Keystone\'s message and never the password', async () => {
    const auth = new KeystoneAuth({ ...password(), password: 'wrong-password-123' } as KeystoneSettings, http());
    const error = await auth.token().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `Keystone refused the password credentials: POST ${ks.url}/v3/auth/tokens → 401 Unauthorized: The request you have made requires authentication.; check [keystone] username or user_id, password, user_domain_name, project_name or project_id, project_domain_name`,
    );
    expect((error as Error).message).not.toContain('wrong-password-123');
    expect(ks.requests).toHaveLength(1); // a 401 is not retried
  });

  it('retries a token request that met a 503', async () => {
    ks.failTokenRequests = { times: 2, status: 503 };
    const auth = new KeystoneAuth(password(), http());
    await auth.token();
    expect(ks.requests).toHaveLength(3);
  });

  it('lists enabled projects across pages and resolves ids and names', async () => {
    await ks.close();
    ks = await FakeKeystone.start(fakeOptions({ projectPageSize: 2 }));
    const auth = new KeystoneAuth(password(), http());
    const projects = await auth.projects();
    const enabled = PROJECTS.filter((p) => !('enabled' in p) || p.enabled !== false).sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(projects).toEqual(enabled.map((p) => ({ id: p.id, name: p.name })));
    expect(projects.find((p) => p.name === 'old-customer')).toBeUndefined();
    expect(ks.requests.filter((r) => r.path.startsWith('/v3/projects')).length).toBe(3); // 6 enabled projects, pages of 2
    expect(await auth.project('acme-webshop')).toEqual({ id: '20bef52e4e1bf47d0fb39f90e12eb92d', name: 'acme-webshop' });
    expect(await auth.project('12401defeb592084bf8bac1b9fafaa7c')).toEqual({ id: '12401defeb592084bf8bac1b9fafaa7c', name: 'globex-research' });
    await expect(auth.project('twin')).rejects.toThrow(UsageError);
    await expect(auth.project('twin')).rejects.toThrow('--tenant twin: 2 Keystone projects have that name (in domains default, other); give the project id');
    await expect(auth.project('nobody')).rejects.toThrow(`--tenant nobody: Keystone (${ks.url}/v3) has no project with that id or name`);
  });

  it('refuses a project list Keystone truncated at its list_limit (it cannot page projects) rather than skipping tenants', async () => {
    await ks.close();
    ks = await FakeKeystone.start(fakeOptions({ projectListLimit: 3 }));
    const auth = new KeystoneAuth(password(), http());
    const error = await auth.projects().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/truncated the project list at 3 projects \(its list_limit\)/);
    // Under the limit, the list is whole.
    await ks.close();
    ks = await FakeKeystone.start(fakeOptions({ projectListLimit: 100 }));
    expect(await new KeystoneAuth(password(), http()).projects()).toHaveLength(6);
  });

  it('never sends the token to another origin that links.next of the project list names', async () => {
    const other = await FakeKeystone.start(fakeOptions());
    try {
      await ks.close();
      ks = await FakeKeystone.start(fakeOptions({ projectPageSize: 2, projectLinksOrigin: other.url }));
      const error = await new KeystoneAuth(password(), http()).projects().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TelemetryError);
      expect((error as Error).message).toBe(
        `Keystone GET ${ks.url}/v3/projects: links.next points to another origin, ${other.url}; not followed, as the token is never sent to another server`,
      );
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('never sends the password to another origin a redirect of the token request names', async () => {
    const other = await FakeKeystone.start(fakeOptions());
    try {
      ks.redirectTokenRequests = { times: 1, status: 307, location: `${other.url}/v3/auth/tokens` };
      const error = await new KeystoneAuth(password(), http()).token().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TelemetryError);
      expect((error as Error).message).toBe(
        `cannot get a Keystone token: POST ${ks.url}/v3/auth/tokens → 307 Temporary Redirect: a redirect to another origin, ${other.url}; not followed, as credentials are never sent to another server`,
      );
      expect((error as Error).message).not.toContain(PASSWORD);
      expect(other.requests).toEqual([]);
      // On its own origin, a redirect is followed with the body.
      ks.redirectTokenRequests = { times: 1, status: 307, location: `${ks.url}/v3/auth/tokens` };
      await expect(new KeystoneAuth(password(), http()).token()).resolves.toMatchObject({ project: { id: ADMIN_PROJECT.id } });
    } finally {
      await other.close();
    }
  });

  it('a user without the admin role cannot list projects: a ConfigError that says so', async () => {
    const auth = new KeystoneAuth({ ...password(), user: { name: 'viewer', domain: { name: 'Default' } } } as KeystoneSettings, http());
    await expect(auth.projects()).rejects.toThrow(ConfigError);
    await expect(auth.projects()).rejects.toThrow(/needs the admin role/);
    // Looking a project up is not allowed either: the reference is taken as an id.
    expect(await auth.project('20bef52e4e1bf47d0fb39f90e12eb92d')).toEqual({ id: '20bef52e4e1bf47d0fb39f90e12eb92d' });
  });

  it('finds catalog endpoints by type, region and interface, and resolves one per region', async () => {
    const auth = new KeystoneAuth(password(), http());
    expect(await auth.endpoint({ serviceType: 'metering', version: 'v2', region: 'RegionOne' })).toEqual({
      url: 'http://ceilo-one.example:8777/v2', region: 'RegionOne', source: 'Keystone catalog metering/public/RegionOne',
    });
    expect((await auth.endpoint({ serviceType: 'metering', version: 'v2', region: 'RegionOne', interface: 'internal' })).url).toBe('http://10.0.0.1:8777/v2');
    expect((await auth.endpoint({ serviceType: 'metric', version: 'v1' })).url).toBe('http://gnocchi.example:8041/v1');
    await expect(auth.endpoint({ serviceType: 'metering', version: 'v2' })).rejects.toThrow(
      'the Keystone catalog has metering endpoints in several regions (RegionOne, RegionTwo): set [keystone] region_name to one, or [telemetry] regions to bill them all',
    );
    const found = await resolveEndpoints(
      [{ name: 'RegionOne', catalogRegion: 'RegionOne' }, { name: 'two', catalogRegion: 'RegionTwo' }, { name: 'lab', url: 'http://lab:8777', urlFrom: '[region:lab] url' }],
      auth, { serviceType: 'metering', version: 'v2' },
    );
    expect(found).toEqual([
      { url: 'http://ceilo-one.example:8777/v2', region: 'RegionOne', source: 'Keystone catalog metering/public/RegionOne' },
      { url: 'http://ceilo-two.example:8777/v2', region: 'two', source: 'Keystone catalog metering/public/RegionTwo' },
      { url: 'http://lab:8777/v2', region: 'lab', source: '[region:lab] url' },
    ]);
    expect(ks.issued).toBe(1);
  });
});

describe('findEndpoint', () => {
  const catalog: CatalogService[] = [
    { type: 'identity', endpoints: [{ interface: 'public', region_id: 'R1', url: 'http://ks' }] },
    { type: 'metric', endpoints: [{ interface: 'public', region: 'R1', url: 'http://gnocchi:8041' }] },
    { type: 'metering', endpoints: [{ interface: 'admin', region_id: 'R1', url: 'http://ceilo-admin:8777' }] },
  ];

  it('accepts the older `region` field', () => {
    expect(findEndpoint(catalog, { serviceType: 'metric', interface: 'public' })).toEqual({ url: 'http://gnocchi:8041', region: 'R1', interface: 'public' });
  });

  it('says what the catalog has when nothing matches', () => {
    expect(() => findEndpoint(catalog, { serviceType: 'metering', interface: 'public' })).toThrow(
      'the Keystone catalog has no metering endpoint for interface public (it has interface/region: admin/R1); check [keystone] interface and region_name, or [telemetry] regions',
    );
    expect(() => findEndpoint(catalog.slice(0, 2), { serviceType: 'metering', interface: 'public' })).toThrow(
      'the Keystone catalog has no metering service (it has: identity, metric); the catalog has Gnocchi (metric): set [telemetry] backend = gnocchi',
    );
  });

  it('appends the API version unless the URL has it', () => {
    expect(versionedUrl('http://ctl:8777', 'v2')).toBe('http://ctl:8777/v2');
    expect(versionedUrl('http://ctl:8777/', 'v2')).toBe('http://ctl:8777/v2');
    expect(versionedUrl('http://ctl/metering/v2/', 'v2')).toBe('http://ctl/metering/v2');
    expect(versionedUrl('http://ctl:8041', 'v1')).toBe('http://ctl:8041/v1');
  });
});

describe('[keystone] settings', () => {
  const keystoneSettings = (config: Config) => telemetrySettings(config).keystone;

  it('password auth by names, with the default domain, and interface publicURL', () => {
    const s = keystoneSettings(config('[keystone]\nauth_url = http://ks:5000\nusername = billing\npassword = p\nproject_name = admin\ninterface = internalURL\n'));
    expect(s).toEqual({
      authType: 'password', authUrl: 'http://ks:5000/v3', interface: 'internal', regionName: undefined,
      user: { name: 'billing', domain: { name: 'Default' } }, password: 'p', project: { name: 'admin', domain: { name: 'Default' } },
    });
  });

  it('ids instead of names, and domain ids', () => {
    const s = keystoneSettings(config('[keystone]\nauth_url = http://ks:5000/v3/\nuser_id = u1\npassword = p\nproject_name = admin\nproject_domain_id = d1\n'));
    expect(s).toMatchObject({ authUrl: 'http://ks:5000/v3', user: { id: 'u1' }, project: { name: 'admin', domain: { id: 'd1' } } });
  });

  it('an application credential is recognised by its keys', () => {
    expect(keystoneSettings(config('[keystone]\nauth_url = http://ks/v3\napplication_credential_id = ac\napplication_credential_secret = s\n'))).toMatchObject({
      authType: 'application_credential', credential: { id: 'ac' }, secret: 's',
    });
  });

  it('no [keystone], or auth_type = none, is no Keystone', () => {
    expect(keystoneSettings(config('url = http://c:8777\n'))).toBeUndefined();
    expect(keystoneSettings(config('url = http://c:8777\n[keystone]\nauth_type = none\n'))).toBeUndefined();
  });

  it.each([
    ['[keystone]\nusername = b\npassword = p\nproject_name = a\n', '[keystone] auth_url is required'],
    ['[keystone]\nauth_url = http://ks\nusername = b\nproject_name = a\n', '[keystone] password is required with auth_type = password'],
    ['[keystone]\nauth_url = http://ks\npassword = p\nproject_name = a\n', '[keystone] username is required'],
    ['[keystone]\nauth_url = http://ks\nusername = b\npassword = p\n', '[keystone] project_name is required'],
    ['[keystone]\nauth_url = http://ks\napplication_credential_id = x\napplication_credential_secret = s\nproject_name = a\n', '[keystone] project_name must not be set with an application credential'],
    ['[keystone]\nauth_url = http://ks\napplication_credential_name = x\napplication_credential_secret = s\n', '[keystone] username is required with application_credential_name'],
    ['[keystone]\nauth_url = http://ks\napplication_credential_id = x\n', '[keystone] application_credential_secret is required'],
    ['[keystone]\nauth_url = http://ks/v2.0\nusername = b\npassword = p\nproject_name = a\n', '[keystone] auth_url points at Keystone v2.0'],
    ['[keystone]\nauth_url = http://ks\nusername = b\npassword = p\nproject_name = a\ninterface = private\n', "[keystone] interface = 'private' is not valid"],
    ['[keystone]\nauth_type = kerberos\n', "[keystone] auth_type = 'kerberos' is not valid: use one of password, v3password"],
    ['url = http://c\n[keystone]\nauth_type = none\npassword = hunter2\n', '[keystone] password is set, but auth_type = none'],
  ])('rejects %j', (text, message) => {
    let error: unknown;
    try {
      keystoneSettings(config(text));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toMatch(/hunter2|= p\b|secret = s/);
  });
});

describe('[telemetry] settings and regions', () => {
  it('has defaults', () => {
    const c = config('url = http://c:8777\n');
    const s = telemetrySettings(c);
    expect(s.http).toEqual({ timeoutMs: 30000, retries: 4, concurrency: 8, caFile: undefined, insecure: false });
    expect(s.pageSize).toBeUndefined();
    expect(s.regions).toEqual([{ name: 'RegionOne', url: 'http://c:8777', urlFrom: '[telemetry] url', catalogRegion: undefined }]);
    expect(c.main.tenants).toEqual({ include: undefined, exclude: undefined });
  });

  it('reads every key', () => {
    const c = parseConfig(
      '[main]\ninclude_tenants = a, b\nexclude_tenants = admin\n[telemetry]\nbackend = ceilometer\nurl = http://c\ntimeout = 2.5\nretries = 0\npage_size = 7\nconcurrency = 2\nca_file = ca.pem\ninsecure = true\n',
      '/etc/artifice/artifice.ini',
    );
    const s = telemetrySettings(c);
    expect(s.http).toEqual({ timeoutMs: 2500, retries: 0, concurrency: 2, caFile: '/etc/artifice/ca.pem', insecure: true });
    expect(s.pageSize).toBe(7);
    expect(c.main.tenants).toEqual({ include: ['a', 'b'], exclude: ['admin'] });
  });

  it('rejects bad values naming the key', () => {
    expect(() => telemetrySettings(config('url = http://c\npage_size = 0\n'))).toThrow("[telemetry] page_size = '0' is not valid");
    expect(() => telemetrySettings(config('url = http://c\ntimeout = 0\n'))).toThrow("[telemetry] timeout = '0' is not valid");
    expect(() => telemetrySettings(config('url = http://c\ninsecure = maybe\n'))).toThrow("[telemetry] insecure = 'maybe' is not valid");
    expect(() => telemetrySettings(config(''))).toThrow('[telemetry] url is required: there is no Keystone catalog to find it in');
  });

  const ks = '[keystone]\nauth_url = http://ks\nusername = b\npassword = p\nproject_name = a\n';

  it('one region from the catalog: named by [telemetry] region, else by the catalog', () => {
    const c = config(ks);
    expect(telemetrySettings(c).regions).toEqual([{ name: undefined, url: undefined, urlFrom: undefined, catalogRegion: undefined }]);
    const named = config(`region = north\n${ks}region_name = RegionOne\n`);
    expect(telemetrySettings(named).regions).toEqual([{ name: 'north', url: undefined, urlFrom: undefined, catalogRegion: 'RegionOne' }]);
  });

  it('several regions: [telemetry] regions and [region:NAME] sections', () => {
    const c = config(`regions = RegionOne, lab\n${ks}[region:lab]\nurl = http://lab:8777\n`);
    expect(telemetrySettings(c).regions).toEqual([
      { name: 'RegionOne', url: undefined, urlFrom: undefined, catalogRegion: 'RegionOne' },
      { name: 'lab', url: 'http://lab:8777', urlFrom: '[region:lab] url', catalogRegion: 'lab' },
    ]);
    const sections = config('[region:north]\nurl = http://n:8777\n[region:south]\nurl = http://s:8777\nregion_name = RegionTwo\n');
    expect(telemetrySettings(sections).regions.map((r) => [r.name, r.url])).toEqual([['north', 'http://n:8777'], ['south', 'http://s:8777']]);
  });

  it('rejects regions it cannot resolve', () => {
    expect(() => telemetrySettings(config('regions = a, b\n[region:a]\nurl = http://a\n'))).toThrow('[region:b] url is required for region b');
    expect(() => telemetrySettings(config('regions = a\n[region:a]\nurl = http://a\n[region:b]\nurl = http://b\n'))).toThrow(
      '[telemetry] regions does not list b, which has a [region:b] section',
    );
    expect(() => config(`url = http://one\nregions = a, b\n${ks}`)).toThrow('[telemetry] url serves one region, but several regions are configured');
  });

  it('knows the keys (unknown keys are still refused)', () => {
    expect(() => config('url = http://c\npagesize = 7\n')).toThrow('[telemetry] pagesize: unknown key');
    expect(() => config('url = http://c\n[keystone]\nauth_uri = http://ks\n')).toThrow('[keystone] auth_uri: unknown key');
    expect(() => config('[region:a]\nendpoint = http://a\n')).toThrow('[region:a] endpoint: unknown key');
  });
});
