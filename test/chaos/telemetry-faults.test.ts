/**
 * Whatever the telemetry servers do, no tenant gets a wrong bill: the real `bin/artifice bill
 * --all` against Keystone + Ceilometer v2 and against Gnocchi v1 (basic auth), each behind a
 * fault-injecting proxy. For every fault, each tenant is either billed exactly what an
 * undisturbed run bills (a transient fault retried) or fails — exit 1, nothing committed for it,
 * and the next undisturbed run bills its window. A token sent to another origin, or printed, is
 * a leaked secret.
 */
import { existsSync, readFileSync } from 'node:fs';
import { FakeCeilometer } from '../fakes/ceilometer-server.js';
import { FakeGnocchi, type FakeGnocchiResource } from '../fakes/gnocchi-server.js';
import { DEFAULT_DOMAIN, FakeKeystone } from '../fakes/keystone-server.js';
import { cleanTempDirs } from '../helpers/tmp.js';
import { FaultProxy, type FaultKind, type SeenRequest } from './fault-proxy.js';
import { artifice, cloud, committed, httpTelemetry, judge, ledgerBills, MONTH, site, tally, type Site } from './kit.js';
import { forms, leaked } from './secrets.js';

const TENANTS = 4;
const PASSWORD = 'pw-"quoted"\\and\\slashed';
const world = cloud(TENANTS);
const tenantIds = world.plans.map((p) => p.id);

let keystone: FakeKeystone;
let ceilometer: FakeCeilometer;
let gnocchi: FakeGnocchi;
/** The proxies artifice talks to, and the "other origin" redirects lead to (it forwards too). */
let ks: FaultProxy;
let ceilo: FaultProxy;
let gn: FaultProxy;
let elsewhere: FaultProxy;
let ceiloTotals: Map<string, string>;
let gnocchiTotals: Map<string, string>;

function ceilometerIni(): string {
  return `${httpTelemetry('ceilometer', ceilo.url, 4, 40)}

[keystone]
auth_url = ${ks.url}/v3
username = billing
password = ${PASSWORD}
user_domain_name = Default
project_name = admin
project_domain_name = Default`;
}

function gnocchiIni(): string {
  return `${httpTelemetry('gnocchi', gn.url, 4, 2)}

[gnocchi]
auth_type = basic
user = admin
granularity = 3600`;
}

/** Each tenant: one instance and three volumes (so a tenant's volume search takes two pages of 2). */
function gnocchiResources(): FakeGnocchiResource[] {
  return world.plans.flatMap((p, i) => [
    { id: `vm-${p.id}`, type: 'instance' as const, projectId: p.id, startedAt: '2024-04-20T00:00:00Z', value: 1, flavorName: p.flavor },
    ...[0, 1, 2].map((k) => ({ id: `vol-${p.id}-${k}`, type: 'volume' as const, projectId: p.id, startedAt: '2024-04-20T00:00:00Z', value: 10 + i + k * 5 })),
  ]);
}

beforeAll(async () => {
  ks = await FaultProxy.start('http://127.0.0.1:1');
  keystone = await FakeKeystone.start({
    users: [{ id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { 'p-admin': ['admin'] } }],
    projects: [{ id: 'p-admin', name: 'admin', domain_id: 'default' }, ...tenantIds.map((id) => ({ id, name: `${id}-name`, domain_id: 'default' }))],
  });
  ks.upstream = keystone.url;
  ceilometer = await FakeCeilometer.start({ samples: world.samples, keystone, defaultLimit: 100 });
  ceilo = await FaultProxy.start(ceilometer.url);
  gnocchi = await FakeGnocchi.start({ resources: gnocchiResources(), measuredUntil: '2024-06-02T00:00:00Z' });
  gn = await FaultProxy.start(gnocchi.url);
  elsewhere = await FaultProxy.start(ceilometer.url);

  ceiloTotals = await undisturbed(ceilometerIni(), 'ceilometer');
  gnocchiTotals = await undisturbed(gnocchiIni(), 'gnocchi');
}, 120_000);

afterAll(async () => {
  for (const s of [ks, ceilo, gn, elsewhere]) await s?.close();
  await ceilometer?.close();
  await keystone?.close();
  await gnocchi?.close();
  cleanTempDirs();
});

const chaosSite = (telemetry: string) => site(telemetry, { main: 'exclude_tenants = admin' });

async function undisturbed(telemetry: string, label: string): Promise<Map<string, string>> {
  const s = chaosSite(telemetry);
  const out = await artifice(['bill', '--config', s.ini, '--all', ...MONTH, '--json'], { cwd: s.dir });
  if (out.code !== 0) throw new Error(`the undisturbed ${label} run exited ${out.code}: ${out.stderr}${out.stdout}`);
  const totals = committed(s.database);
  if (totals.size !== TENANTS) throw new Error(`the undisturbed ${label} run committed ${totals.size} tenants, not ${TENANTS}`);
  return totals;
}

/** The k-th request (1-based) that `pick` selects. */
function nth(k: number, pick: (r: SeenRequest) => boolean): (r: SeenRequest) => boolean {
  let n = 0;
  return (r) => pick(r) && ++n === k;
}

const samplesOf = (tenant?: string, meter?: string) => (r: SeenRequest) =>
  r.url.startsWith('/v2/samples') && (tenant === undefined || r.url.includes(`q.value=${tenant}`)) && (meter === undefined || r.url.includes(`q.value=${encodeURIComponent(meter)}`));
const tokens = (r: SeenRequest) => r.url.startsWith('/v3/auth/tokens');
const projects = (r: SeenRequest) => r.url.startsWith('/v3/projects');
const aggregates = (r: SeenRequest) => r.url.startsWith('/v1/aggregates');
const search = (type?: string, tenant?: string) => (r: SeenRequest) =>
  r.url.startsWith(`/v1/search/resource/${type ?? ''}`) && (tenant === undefined || r.body.includes(`"${tenant}"`));
/** A search of the tenant list (no project filter) asking for a page after the first. */
const listingPage2 = (r: SeenRequest) => r.url.startsWith('/v1/search/resource/') && r.url.includes('marker=') && !r.body.includes('"project_id":"');
/** The first request `pick` matches for each resource type, and no later one (a transient fault per type). */
function oncePerType(pick: (r: SeenRequest) => boolean): (r: SeenRequest) => boolean {
  const seen = new Set<string>();
  return (r) => {
    const type = /^\/v1\/search\/resource\/([^?]+)/.exec(r.url)?.[1];
    if (!pick(r) || type === undefined || seen.has(type)) return false;
    seen.add(type);
    return true;
  };
}
const metricGet = (r: SeenRequest) => r.method === 'GET' && r.url.startsWith('/v1/metric/');
const FIRST = tenantIds[0]!;
const SECOND = tenantIds[1]!;

interface Case {
  name: string;
  /** Which proxy the fault goes to. */
  at: () => FaultProxy;
  fault: () => FaultKind;
  match: (r: SeenRequest) => boolean;
  times?: number;
}

const ceilometerCases: Case[] = [
  { name: '500 twice on samples', at: () => ceilo, fault: () => ({ kind: 'status', status: 500 }), match: samplesOf(), times: 2 },
  { name: '502 HTML page from a proxy', at: () => ceilo, fault: () => ({ kind: 'html', status: 502 }), match: samplesOf() },
  { name: '503 with Retry-After twice', at: () => ceilo, fault: () => ({ kind: 'status', status: 503, headers: { 'Retry-After': '1' } }), match: samplesOf(), times: 2 },
  { name: '429 with Retry-After three times', at: () => ceilo, fault: () => ({ kind: 'status', status: 429, headers: { 'Retry-After': '1' } }), match: samplesOf(), times: 3 },
  { name: 'a request that hangs', at: () => ceilo, fault: () => ({ kind: 'hang' }), match: samplesOf() },
  { name: 'slow bodies within the timeout', at: () => ceilo, fault: () => ({ kind: 'slow', chunks: 8, gapMs: 100 }), match: samplesOf(), times: 3 },
  { name: 'a body slower than the timeout', at: () => ceilo, fault: () => ({ kind: 'slow', chunks: 10, gapMs: 400 }), match: samplesOf() },
  { name: 'a truncated page (complete HTTP, broken JSON)', at: () => ceilo, fault: () => ({ kind: 'truncate' }), match: nth(2, samplesOf(FIRST, 'instance')) },
  { name: 'a connection cut mid-body', at: () => ceilo, fault: () => ({ kind: 'cut' }), match: nth(2, samplesOf(FIRST, 'instance')) },
  { name: 'a connection reset', at: () => ceilo, fault: () => ({ kind: 'reset' }), match: samplesOf(), times: 2 },
  { name: 'invalid JSON with 200', at: () => ceilo, fault: () => ({ kind: 'invalid-json' }), match: nth(2, samplesOf(FIRST, 'instance')) },
  { name: 'an HTML page with 200', at: () => ceilo, fault: () => ({ kind: 'html', status: 200 }), match: samplesOf(FIRST) },
  { name: 'an object instead of a list', at: () => ceilo, fault: () => ({ kind: 'status', status: 200, body: '{"samples": []}' }), match: samplesOf(FIRST) },
  { name: 'an empty page mid-paging', at: () => ceilo, fault: () => ({ kind: 'empty-page' }), match: nth(2, samplesOf(FIRST, 'instance')) },
  { name: 'a short page mid-paging', at: () => ceilo, fault: () => ({ kind: 'short-page' }), match: nth(2, samplesOf(FIRST, 'instance')) },
  { name: '404 on one tenant\'s samples', at: () => ceilo, fault: () => ({ kind: 'status', status: 404 }), match: samplesOf(SECOND) },
  { name: '401 once the token is revoked', at: () => ceilo, fault: () => ({ kind: 'before', before: () => keystone.revokeAll() }), match: nth(5, samplesOf()) },
  { name: 'every token revoked on use', at: () => ceilo, fault: () => ({ kind: 'before', before: () => keystone.revokeAll() }), match: samplesOf(SECOND), times: Infinity },
  { name: 'a redirect to the same origin', at: () => ceilo, fault: () => ({ kind: 'redirect', to: 'same' }), match: samplesOf(), times: 2 },
  { name: 'a redirect to another origin', at: () => ceilo, fault: () => ({ kind: 'redirect', to: elsewhere.url }), match: samplesOf(FIRST), times: 2 },
  { name: '302 to another origin', at: () => ceilo, fault: () => ({ kind: 'redirect', to: elsewhere.url, status: 302 }), match: samplesOf(SECOND) },
  { name: 'errors that echo the request and its headers', at: () => ceilo, fault: () => ({ kind: 'echo', status: 500 }), match: samplesOf(SECOND), times: Infinity },
  { name: 'Keystone 503 with Retry-After', at: () => ks, fault: () => ({ kind: 'status', status: 503, headers: { 'Retry-After': '1' } }), match: tokens, times: 2 },
  { name: 'Keystone hangs once', at: () => ks, fault: () => ({ kind: 'hang' }), match: tokens },
  { name: 'Keystone answers invalid JSON', at: () => ks, fault: () => ({ kind: 'invalid-json' }), match: tokens },
  { name: 'Keystone echoes the token request', at: () => ks, fault: () => ({ kind: 'echo', status: 400 }), match: tokens, times: Infinity },
  { name: 'Keystone project list 500 once', at: () => ks, fault: () => ({ kind: 'status', status: 500 }), match: projects },
  { name: 'Keystone project list truncated', at: () => ks, fault: () => ({ kind: 'truncate' }), match: projects },
  { name: 'Keystone redirects to another origin', at: () => ks, fault: () => ({ kind: 'redirect', to: elsewhere.url }), match: projects },
];

const gnocchiCases: Case[] = [
  { name: '500 twice on aggregates', at: () => gn, fault: () => ({ kind: 'status', status: 500 }), match: aggregates, times: 2 },
  { name: '503 with Retry-After on search', at: () => gn, fault: () => ({ kind: 'status', status: 503, headers: { 'Retry-After': '1' } }), match: search('volume'), times: 2 },
  { name: '429 on metric reads', at: () => gn, fault: () => ({ kind: 'status', status: 429, headers: { 'Retry-After': '1' } }), match: metricGet, times: 2 },
  { name: 'aggregates hang once', at: () => gn, fault: () => ({ kind: 'hang' }), match: aggregates },
  { name: 'slow aggregates', at: () => gn, fault: () => ({ kind: 'slow', chunks: 5, gapMs: 100 }), match: aggregates, times: 2 },
  { name: 'truncated aggregates', at: () => gn, fault: () => ({ kind: 'truncate' }), match: aggregates },
  { name: 'a search cut mid-body', at: () => gn, fault: () => ({ kind: 'cut' }), match: search('volume', FIRST) },
  { name: 'invalid JSON for a metric', at: () => gn, fault: () => ({ kind: 'invalid-json' }), match: metricGet },
  { name: 'an HTML page with 200 for aggregates', at: () => gn, fault: () => ({ kind: 'html', status: 200 }), match: aggregates },
  // Page 2 of the tenant list, once for each resource type it searches (4 tenants, pages of 2; every
  // type lists every tenant, so one type's lost page alone would hide nobody). A tenant's own
  // searches are a single page here, and an empty first page there is what a tenant without such
  // resources looks like: Gnocchi offers no count to reconcile it with.
  { name: 'an empty search page mid-paging', at: () => gn, fault: () => ({ kind: 'empty-page' }), match: oncePerType(listingPage2), times: Infinity },
  { name: 'a short search page mid-paging (Link kept)', at: () => gn, fault: () => ({ kind: 'short-page' }), match: nth(1, search('volume', FIRST)) },
  { name: 'a short tenant list page', at: () => gn, fault: () => ({ kind: 'short-page' }), match: nth(1, (r) => search('instance')(r) && !r.body.includes('"project_id":"')) },
  { name: '401 once on aggregates', at: () => gn, fault: () => ({ kind: 'status', status: 401, body: '{"code": 401}' }), match: aggregates },
  { name: 'aggregates redirect to the same origin', at: () => gn, fault: () => ({ kind: 'redirect', to: 'same' }), match: aggregates },
  { name: 'aggregates redirect to another origin', at: () => gn, fault: () => ({ kind: 'redirect', to: elsewhere.url }), match: aggregates },
  { name: 'errors that echo the request and its headers', at: () => gn, fault: () => ({ kind: 'echo', status: 500 }), match: search(undefined, SECOND), times: Infinity },
];

/** Secrets the run must not print or send elsewhere: the password, every token Keystone issued, the Basic credentials. */
function secrets(): Record<string, string[]> {
  const out: Record<string, string[]> = { 'keystone password': forms(PASSWORD) };
  for (const id of keystone.tokens.keys()) out[`token ${id.slice(0, 10)}…`] = forms(id);
  return out;
}

async function underFault(c: Case, telemetry: string, reference: Map<string, string>): Promise<void> {
  const proxy = c.at();
  proxy.inject(c.fault(), c.match, c.times ?? 1);
  elsewhere.seen.length = 0;
  elsewhere.upstream = proxy === gn ? gnocchi.url : proxy === ks ? keystone.url : ceilometer.url;
  const s: Site = chaosSite(telemetry);
  let out;
  try {
    out = await artifice(['bill', '--config', s.ini, '--all', ...MONTH, '--json'], { cwd: s.dir });
  } finally {
    for (const p of [ks, ceilo, gn]) p.reset();
  }
  tally('faults');
  const problems = judge(s.database, reference, c.name);

  // Secrets: nothing printed or written, nothing sent to another origin.
  const traces = [out.stdout, out.stderr, existsSync(s.statusFile) ? readFileSync(s.statusFile, 'utf8') : ''].join('\n');
  const printed = leaked(traces, secrets());
  const sent = elsewhere.seen.flatMap((r) => ['x-auth-token', 'authorization'].filter((h) => r.headers[h] !== undefined).map((h) => `${h} sent to another origin (${r.url})`));
  tally('leaks', printed.length + sent.length, c.name);
  problems.push(...printed.map((p) => `${p} printed`), ...sent);

  // The outcome: exit 0 only when everything is billed; a failed tenant has nothing committed.
  if (![0, 1, 2].includes(out.code ?? -1)) problems.push(`exit ${out.code} (${out.signal ?? ''}): ${out.stderr}`);
  if (/\n\s+at .*:\d+:\d+/.test(out.stderr)) problems.push(`a stack trace on stderr: ${out.stderr}`);
  const billed = committed(s.database);
  if (out.code === 0 && billed.size !== TENANTS) problems.push(`exit 0 but only ${billed.size} of ${TENANTS} tenants committed`);
  if (out.code !== 0 && billed.size === TENANTS) problems.push(`exit ${out.code} although every tenant was committed`);

  // The window stays billable: an undisturbed run bills what is missing, exactly.
  if (billed.size !== TENANTS) {
    const again = await artifice(['bill', '--config', s.ini, '--all', ...MONTH, '--json'], { cwd: s.dir });
    const after = committed(s.database);
    if (after.size !== TENANTS) {
      tally('lost', TENANTS - after.size, c.name);
      problems.push(`after the fault, an undisturbed run committed ${after.size} of ${TENANTS} tenants (exit ${again.code}): ${again.stderr}`);
    }
    problems.push(...judge(s.database, reference, `${c.name} (re-run)`));
    const pending = ledgerBills(s.database).filter((b) => b.status === 'pending');
    if (pending.length > 0) problems.push(`${pending.length} bills left pending`);
  }
  expect(problems).toEqual([]);
}

describe('Keystone + Ceilometer v2 under faults: billed exactly, or failed and billable', () => {
  it.each(ceilometerCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => underFault(c, ceilometerIni(), ceiloTotals), 120_000);
});

describe('Gnocchi v1 (basic auth) under faults: billed exactly, or failed and billable', () => {
  it.each(gnocchiCases.map((c) => [c.name, c] as const))('%s', async (_name, c) => underFault(c, gnocchiIni(), gnocchiTotals), 120_000);
});
