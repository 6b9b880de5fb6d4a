/**
 * Seeds a real Gnocchi (one started by test/services/gnocchi-up.sh) with the month of
 * scenario.ts: archive policies and resource types if missing, the tenants' resources with
 * their history back-dated in PostgreSQL (docs/gnocchi.md, "Resource history": `revision_start` is the server
 * clock, so a resize "on March 10" has to be written into resource_history), the measures, and
 * then waits until metricd has processed them. Idempotent: a complete seed leaves a marker
 * resource, and a second run returns at once.
 *
 *   npm run build && node dist/test/gnocchi-live/seed.js [BASE_URL]
 *
 * BASE_URL defaults to $GNOCCHI_URL. Auth: basic, user admin (gnocchi-up.sh's default).
 * PostgreSQL: 127.0.0.1:$GNOCCHI_PG_PORT (default 54329, as gnocchi-up.sh), user postgres,
 * database gnocchi, with `psql` from PATH or /usr/lib/postgresql/<version>/bin.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { basicAuth } from '../../src/telemetry/gnocchi.js';
import { HttpClient, HttpError } from '../../src/http/index.js';
import { POLICIES, RESOURCES, SEED_MARKER, type ScenarioResource } from './scenario.js';

export interface SeedOptions {
  /** Gnocchi base URL, without /v1. */
  base: string;
  pgPort?: number;
  log?: (line: string) => void;
  /** Seconds to wait for metricd. */
  waitSeconds?: number;
}

const S = { type: 'string', min_length: 0, max_length: 255 };
/** What gnocchi-up.sh (GNOCCHI_SEED=1) creates, in case it ran with GNOCCHI_SEED=0. */
const BASE_POLICIES = [
  { name: 'ceilometer-low', back_window: 0, aggregation_methods: ['mean'], definition: [{ granularity: '5 minutes', timespan: '30 days' }] },
  { name: 'billing-1h', back_window: 0, aggregation_methods: ['mean', 'max', 'min', 'last', 'sum', 'count', 'rate:mean'], definition: [{ granularity: '1 hour', timespan: '400 days' }] },
];
const RESOURCE_TYPES = [
  {
    name: 'instance',
    attributes: {
      display_name: { ...S, required: true }, flavor_id: { ...S, required: true }, flavor_name: { ...S, required: true },
      image_ref: { ...S, required: false }, host: { ...S, required: false }, server_group: { ...S, required: false },
      availability_zone: { ...S, required: false }, launched_at: { type: 'datetime', required: false },
      created_at: { type: 'datetime', required: false }, deleted_at: { type: 'datetime', required: false },
    },
  },
  {
    name: 'volume',
    attributes: {
      display_name: { ...S, required: false }, volume_type: { ...S, required: false }, volume_type_id: { ...S, required: false },
      image_id: { type: 'uuid', required: false }, instance_id: { type: 'uuid', required: false },
    },
  },
  { name: 'image', attributes: { name: { ...S, required: true }, container_format: { ...S, required: false }, disk_format: { ...S, required: false } } },
  { name: 'network', attributes: {} },
  { name: 'instance_network_interface', attributes: { name: { ...S, required: true }, instance_id: { type: 'uuid', required: true } } },
  { name: 'swift_account', attributes: { storage_policy: { ...S, required: false } } },
];

const iso = (ms: number) => new Date(ms).toISOString();
const sqlTime = (ms: number) => `'${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;

function psqlPath(): string {
  if (process.env.GNOCCHI_PSQL) return process.env.GNOCCHI_PSQL;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(`${dir}/psql`)) return `${dir}/psql`;
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(`/usr/lib/postgresql/${v}/bin/psql`)) return `/usr/lib/postgresql/${v}/bin/psql`;
  throw new Error('psql not found (set GNOCCHI_PSQL)');
}

function psql(sql: string, port: number): string {
  return execFileSync(psqlPath(), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'gnocchi', '-v', 'ON_ERROR_STOP=1', '-qtA', '-f', '-'], {
    input: sql, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * Revision k of a resource (0 = as created) started at instants[k]: the history rows (ordered by
 * revision) get [instants[k], instants[k+1]); the resource row starts at the last instant.
 */
function backdateSql(r: ScenarioResource): string {
  const instants = [r.startedAt, ...r.changes.map((c) => c.at), ...(r.endedAt !== undefined ? [r.endedAt] : [])];
  const statements: string[] = [];
  if (instants.length > 1) {
    const values = instants.slice(0, -1).map((at, k) => `(${k + 1}, ${sqlTime(at)}::timestamp, ${sqlTime(instants[k + 1]!)}::timestamp)`).join(', ');
    statements.push(
      `DO $$ BEGIN IF (SELECT count(*) FROM resource_history WHERE id = '${r.id}') <> ${instants.length - 1} THEN RAISE EXCEPTION 'resource ${r.id}: expected ${instants.length - 1} history rows'; END IF; END $$;`,
      `UPDATE resource_history h SET revision_start = v.rs, revision_end = v.re FROM (SELECT revision, row_number() OVER (ORDER BY revision) AS k FROM resource_history WHERE id = '${r.id}') o JOIN (VALUES ${values}) AS v(k, rs, re) ON v.k = o.k WHERE h.revision = o.revision;`,
    );
  }
  statements.push(`UPDATE resource SET revision_start = ${sqlTime(instants[instants.length - 1]!)} WHERE id = '${r.id}';`);
  return statements.join('\n');
}

export async function seed(options: SeedOptions): Promise<{ seeded: boolean; ms: number }> {
  const t0 = Date.now();
  const log = options.log ?? (() => undefined);
  const v1 = `${options.base.replace(/\/+$/, '')}/v1`;
  const http = new HttpClient({ retries: 5, timeoutMs: 120_000, concurrency: 4 });
  const auth = basicAuth('admin');
  // Writes here are safe to repeat (a second resource POST is a 409; a repeated measure changes no mean, last or max).
  const post = (path: string, body: unknown, ok: number[] = [200, 201, 202]) =>
    http.request('POST', `${v1}${path}`, { auth, body, okStatuses: ok, idempotent: true });
  try {
    const marker = await http.request('GET', `${v1}/resource/generic/${SEED_MARKER}`, { auth, okStatuses: [200, 404] });
    if (marker.status === 200) {
      log(`already seeded (${SEED_MARKER})`);
      return { seeded: false, ms: Date.now() - t0 };
    }

    const policies = new Set((await http.request('GET', `${v1}/archive_policy`, { auth })).json<{ name: string }[]>().map((p) => p.name));
    for (const policy of [...BASE_POLICIES, ...POLICIES]) if (!policies.has(policy.name)) await post('/archive_policy', policy, [201, 409]);
    const types = new Set((await http.request('GET', `${v1}/resource_type`, { auth })).json<{ name: string }[]>().map((t) => t.name));
    for (const type of RESOURCE_TYPES) if (!types.has(type.name)) await post('/resource_type', type, [201, 409]);

    for (const r of RESOURCES) {
      const created = await post(`/resource/${r.type}`, {
        id: r.id, project_id: r.tenant.id, user_id: `user-${r.tenant.key}`, started_at: iso(r.startedAt), ...r.attributes,
        metrics: Object.fromEntries(Object.entries(r.metrics).map(([name, policy]) => [name, { archive_policy_name: policy }])),
      }, [201, 409]);
      if (created.status === 409) {
        throw new Error(`resource ${r.type} ${r.id} (${r.key}) exists but the seed is not complete: a previous seed died; start over with gnocchi-down.sh --purge`);
      }
      for (const change of r.changes) {
        await http.request('PATCH', `${v1}/resource/${r.type}/${r.id}`, { auth, body: change.attributes, idempotent: true });
      }
      if (r.endedAt !== undefined) await http.request('PATCH', `${v1}/resource/${r.type}/${r.id}`, { auth, body: { ended_at: iso(r.endedAt) }, idempotent: true });
      // One batch per resource, each metric's measures in time order: with back_window 0, a
      // measure older than what metricd already processed would be dropped silently.
      const byMetric: Record<string, { timestamp: string; value: number }[]> = {};
      for (const s of r.samples) if (s.measure) (byMetric[s.measure.metric] ??= []).push({ timestamp: iso(s.t), value: s.measure.value });
      await post('/batch/resources/metrics/measures', { [r.id]: byMetric }, [202]);
      log(`${r.tenant.key}/${r.key}: ${r.type} ${r.id}, ${r.samples.filter((s) => s.measure).length} measures`);
    }

    psql(RESOURCES.map(backdateSql).join('\n'), options.pgPort ?? Number(process.env.GNOCCHI_PG_PORT ?? 54329));
    log('history back-dated');

    await waitForMetricd(http, auth, v1, options.waitSeconds ?? 180, log);
    await post('/resource/generic', { id: SEED_MARKER, started_at: iso(Date.UTC(2026, 0, 1)) }, [201, 409]);
    log(`seeded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return { seeded: true, ms: Date.now() - t0 };
  } finally {
    http.close();
  }
}

/** Until Gnocchi reports no measures left to process, twice in a row. */
async function waitForMetricd(http: HttpClient, auth: ReturnType<typeof basicAuth>, v1: string, seconds: number, log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let clear = 0;
  for (;;) {
    const status = (await http.request('GET', `${v1}/status`, { auth, query: [['details', 'false']] })).json<{ storage?: { summary?: { measures?: number } } }>();
    const left = status.storage?.summary?.measures;
    clear = left === 0 ? clear + 1 : 0;
    if (clear >= 2) return;
    if (Date.now() > deadline) throw new Error(`metricd did not process the seeded measures within ${seconds} s (${left} left): is gnocchi-metricd running?`);
    if (left) log(`waiting for metricd: ${left} measures left`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const base = process.argv[2] ?? process.env.GNOCCHI_URL;
  if (!base) {
    console.error('usage: node dist/test/gnocchi-live/seed.js BASE_URL   (or set GNOCCHI_URL; start Gnocchi with test/services/gnocchi-up.sh)');
    process.exit(2);
  }
  seed({ base, log: (line) => console.error(`[seed] ${line}`) }).then(
    (r) => console.error(`[seed] ${r.seeded ? 'done' : 'nothing to do'} (${(r.ms / 1000).toFixed(1)} s)`),
    (error: unknown) => {
      console.error(`[seed] FAILED: ${error instanceof HttpError || error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
