/**
 * Issue 3, end to end: May 2024 of the demo, billed once from the samples file and once from
 * the fake Ceilometer (behind the fake Keystone) serving the very same samples, gives the same
 * ledger (bills, usage, lines) and the same CSV invoices, whatever the page size; and the
 * network going wrong mid-run (a token that dies, a 503 burst, a 429 with Retry-After, a hung
 * connection) ends in the right bill, or in one failed tenant with a clear message while the
 * others are billed. `artifice check` reports the endpoint, auth, and every meter.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { bill } from '../../src/commands/bill.js';
import { testDeps } from '../helpers/deps.js';
import type { Config } from '../../src/config.js';
import { openCeilometer } from '../../src/telemetry/ceilometer.js';
import type { Collector } from '../../src/telemetry/contract.js';
import { FakeCeilometer, type FakeRequest, type RawSample } from '../fakes/ceilometer-server.js';
import { DEFAULT_DOMAIN, FakeKeystone } from '../fakes/keystone-server.js';
import { ACME, AFTER_MAY, DEMO_METERS, GLOBEX, INITECH, demo, run, type Demo } from '../helpers/cli.js';
import { demoProjects, demoSamples } from '../helpers/demo-cloud.js';
import { cleanTempDirs, filesIn, tempDir, writeIn } from '../helpers/tmp.js';

const ADMIN = 'a0000000000000000000000000000001';
const PASSWORD = 'billing-pa55word';
const samples: RawSample[] = demoSamples();

let ks: FakeKeystone;
let ceilometer: FakeCeilometer;

beforeAll(async () => {
  ks = await FakeKeystone.start({
    users: [{ id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN]: ['admin'] } }],
    projects: [...demoProjects(ADMIN), { id: 'f0000000000000000000000000000009', name: 'closed-account', domain_id: 'default', enabled: false }],
    catalog: () => [
      { type: 'identity', endpoints: [{ interface: 'public', region: 'RegionOne', url: `${ks.url}/v3` }] },
      { type: 'metering', endpoints: [
        { interface: 'public', region: 'RegionOne', url: ceilometer.url },
        { interface: 'internal', region: 'RegionOne', url: 'http://192.0.2.1:8777' },
      ] },
    ],
  });
  ceilometer = await FakeCeilometer.start({ samples, keystone: ks, ties: 'shuffle' });
});

afterAll(async () => {
  await Promise.all([ks.close(), ceilometer.close()]);
  cleanTempDirs();
});

beforeEach(() => {
  ceilometer.faults.length = 0;
  ceilometer.onRequest = undefined;
  ceilometer.requests.length = 0;
});

/** The demo config with `[telemetry]` pointing at the fake Ceilometer through the fake Keystone's catalog. */
function ceilometerDemo(telemetry: string, edit: (text: string) => string = (t) => t): Demo {
  return demo((text) =>
    edit(
      text
        .replace(/\[telemetry\][^[]*/, `[telemetry]\nbackend = ceilometer\nregion = RegionOne\n${telemetry}\n\n`)
        .replace('[main]\n', '[main]\nexclude_tenants = admin\n') +
      `\n[keystone]\nauth_url = ${ks.url}\nusername = billing\npassword = ${PASSWORD}\nproject_name = admin\nuser_domain_name = Default\n`,
    ),
  );
}

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
  sleeps: number[];
}

/** `bill` with the Ceilometer collector's sleeps captured (no test waits on a real backoff). */
async function billVia(d: Demo, args: { tenant?: string[]; all?: boolean; json?: boolean }, io: { timeoutMs?: number } = {}): Promise<Captured> {
  const out: Captured = { code: -1, stdout: '', stderr: '', sleeps: [] };
  const deps = testDeps({
    cwd: d.dir,
    now: () => AFTER_MAY,
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
    openCollector: async (config: Config): Promise<Collector> => openCeilometer(config, { sleep: async (ms) => void out.sleeps.push(ms) }),
  });
  out.code = await bill({ config: d.ini, month: '2024-05', ...args }, deps);
  return out;
}

interface LedgerView {
  bills: unknown[];
  usage: unknown[];
  lines: unknown[];
}

/** Everything the ledger says about the bills, without ids and clock times. */
function ledgerView(database: string): LedgerView {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    return {
      bills: db.prepare(`SELECT tenant, tenant_name, start_us, end_us, status, revision, total, currency FROM bills ORDER BY tenant`).all(),
      usage: db.prepare(`SELECT b.tenant, u.meter, u.resource_id, u.service, u.datacenter, u.quantity, u.unit, u.samples, u.first_sample_us,
          u.last_sample_us, u.gaps FROM usage u JOIN bills b ON b.id = u.bill_id ORDER BY b.tenant, u.meter, u.resource_id, u.service`).all(),
      lines: db.prepare(`SELECT b.tenant, l.position, l.datacenter, l.name, l.quantity, l.unit, l.rate, l.amount
          FROM lines l JOIN bills b ON b.id = l.bill_id ORDER BY b.tenant, l.position`).all(),
    };
  } finally {
    db.close();
  }
}

/** Each invoice file, minus the bill id line (a fresh id per ledger). */
function invoices(outDir: string): Record<string, string> {
  return Object.fromEntries(
    filesIn(outDir).map((name) => [name, readFileSync(path.join(outDir, name), 'utf8').replace(/^bill,[0-9a-f-]+$/m, 'bill,<id>')]),
  );
}

let baseline: Promise<{ ledger: LedgerView; invoices: Record<string, string> }> | undefined;

/** May 2024 billed from the samples file, as `npm run demo` does: what every Ceilometer run must equal. */
function fromFile(): Promise<{ ledger: LedgerView; invoices: Record<string, string> }> {
  baseline ??= (async () => {
    const d = demo();
    const r = await run(['bill', '--all', '--month', '2024-05', '--config', d.ini], { cwd: d.dir });
    expect(r.code).toBe(0);
    const result = { ledger: ledgerView(d.database), invoices: invoices(d.outDir) };
    expect(Object.keys(result.invoices)).toHaveLength(3);
    expect(result.ledger.usage.length).toBeGreaterThan(15);
    return result;
  })();
  return baseline;
}

describe('the same month from the file and from Ceilometer', () => {
  let fileLedger: LedgerView;
  let fileInvoices: Record<string, string>;

  beforeAll(async () => {
    ({ ledger: fileLedger, invoices: fileInvoices } = await fromFile());
  });

  it.each([100, 7])('bills identically with page_size %i (all tenants, every meter)', async (pageSize) => {
    const d = ceilometerDemo(`page_size = ${pageSize}`);
    const r = await billVia(d, { all: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ledgerView(d.database)).toEqual(fileLedger);
    expect(invoices(d.outDir)).toEqual(fileInvoices);
    expect(r.sleeps).toEqual([]);
    expect(ks.requests.filter((q) => q.path === '/v3/projects?enabled=true')).not.toHaveLength(0);
    // Every page but the last of each query was full; most queries needed several.
    const pages = ceilometer.sampleRequests().length;
    expect(pages).toBeGreaterThan(samples.length / pageSize / 2);
  }, 300_000); // page_size 7 is 14,227 requests: minutes on a loaded machine

  it('bills identically with page_size 1 (globex-research, volume.size only: every sample is a page)', async () => {
    const meters = writeIn(tempDir(), 'meters.ini', readFileSync(DEMO_METERS, 'utf8')
      .split(/\n(?=\[)/).filter((section) => section.startsWith('[volume.size]')).join('\n'));
    const withMeters = (text: string) => text.replace(/^meters = .*$/m, `meters = ${meters}`);
    // The file side names tenants from their samples' metadata, so it bills --all (one tenant kept).
    const f = demo((text) => withMeters(text).replace('[main]\n', `[main]\ninclude_tenants = ${GLOBEX}\n`));
    expect((await run(['bill', '--all', '--month', '2024-05', '--config', f.ini], { cwd: f.dir })).code).toBe(0);
    const d = ceilometerDemo('page_size = 1', withMeters);
    // By name: Keystone resolves it to the id.
    const r = await billVia(d, { tenant: ['globex-research'] });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const expected = ledgerView(f.database);
    // The volume `scratch`, which has one duplicated sample, retyped hdd → ssd: a record per type.
    expect(expected.usage.map((u) => (u as { service: string }).service)).toEqual(['volume.size.hdd', 'volume.size.ssd']);
    expect(ledgerView(d.database)).toEqual(expected);
    expect(invoices(d.outDir)).toEqual(invoices(f.outDir));
    // Per instant: its page, and the query (limit 2) that proves nothing else shares it; the
    // instant of the duplicated sample needs one more (limit 4); the empty page that ends the
    // paging; and prepare()'s probe.
    const times = samples.filter((s) => s.project_id === GLOBEX && s.meter === 'volume.size'
      && s.timestamp! >= '2024-04-30T23' && s.timestamp! < '2024-06-01').map((s) => s.timestamp!);
    const instants = new Set(times).size;
    expect(times.length - instants).toBe(1);
    expect(ceilometer.sampleRequests().length).toBe(2 * instants + 1 + 1 + 1);
  }, 300_000);
});

describe('when the network goes wrong mid-run', () => {
  let expected: LedgerView;
  const isSamples = (r: FakeRequest) => r.path === '/v2/samples' && r.filters.length > 1;
  const of = (tenant: string) => (r: FakeRequest) => isSamples(r) && r.filters.some((f) => f.field === 'project_id' && f.value === tenant);

  beforeAll(async () => {
    const d = ceilometerDemo('page_size = 1000');
    expect((await billVia(d, { all: true })).code).toBe(0);
    expected = ledgerView(d.database);
  }, 120_000);

  it('a token that expires mid-run is renewed, and the bills are right', async () => {
    const issued = ks.issued;
    ceilometer.onRequest = (_r, n) => {
      if (n === 40) ks.revokeAll();
    };
    const d = ceilometerDemo('page_size = 500');
    const r = await billVia(d, { all: true });
    expect(r.code).toBe(0);
    expect(ks.issued - issued).toBe(2);
    expect(ceilometer.requests.filter((q) => !ks.validate(q.token).ok).length).toBeGreaterThan(0);
    expect(ledgerView(d.database)).toEqual(expected);
  }, 120_000);

  it('a 503 burst is waited out, and the bills are right', async () => {
    ceilometer.fail({ kind: 'status', status: 503, body: '<html><h1>503 Service Unavailable</h1></html>' }, 3, isSamples);
    const d = ceilometerDemo('page_size = 1000');
    const r = await billVia(d, { all: true });
    expect(r.code).toBe(0);
    expect(r.sleeps).toHaveLength(3);
    expect(ledgerView(d.database)).toEqual(expected);
  }, 120_000);

  it('a 429 with Retry-After waits as long as asked, and the bills are right', async () => {
    ceilometer.fail({ kind: 'status', status: 429, headers: { 'Retry-After': '7' }, body: { error_message: { faultstring: 'slow down' } } }, 1, isSamples);
    const d = ceilometerDemo('page_size = 1000');
    const r = await billVia(d, { all: true });
    expect(r.code).toBe(0);
    expect(r.sleeps).toEqual([7000]);
    expect(ledgerView(d.database)).toEqual(expected);
  }, 120_000);

  it('a hung connection times out and is retried, and the bills are right', async () => {
    // The fake server shares this process's event loop with the billing: the timeout leaves it
    // room even on a loaded machine, where a healthy answer may also be slow (one more retry).
    ceilometer.fail({ kind: 'hang' }, 2, isSamples);
    const d = ceilometerDemo('page_size = 1000\ntimeout = 5');
    const started = Date.now();
    const r = await billVia(d, { all: true });
    expect(r.code).toBe(0);
    expect(r.sleeps.length).toBeGreaterThanOrEqual(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5000);
    expect(ledgerView(d.database)).toEqual(expected);
  }, 120_000);

  it('a tenant whose samples never come back fails with a clear message; the others are billed', async () => {
    ceilometer.fail({ kind: 'hang' }, Infinity, of(GLOBEX));
    const d = ceilometerDemo('page_size = 1000\ntimeout = 5\nretries = 1'); // room for healthy answers on a loaded machine
    const r = await billVia(d, { all: true, json: true });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { bills: { tenant: string; status: string; error?: string }[] };
    const globex = out.bills.find((b) => b.tenant === GLOBEX)!;
    expect(globex.status).toBe('failed');
    expect(globex.error).toMatch(new RegExp(
      `^\\S+ samples of ${GLOBEX} from RegionOne: GET ${ceilometer.url}/v2/samples\\?q\\.field=project_id&.* failed: timed out after 5 s \\(2 attempts\\)$`,
    ));
    expect(out.bills.filter((b) => b.tenant !== GLOBEX).map((b) => b.status)).toEqual(['committed', 'committed']);
    const view = ledgerView(d.database);
    expect(view.lines).toEqual((expected.lines as { tenant: string }[]).filter((l) => l.tenant !== GLOBEX));
    expect((view.bills as { tenant: string; status: string }[]).find((b) => b.tenant === GLOBEX)!.status).toBe('failed');
  }, 120_000);

  /** `bill --all --json` whose one tenant must fail with `error`; the others are billed as usual. */
  async function oneTenantFails(d: Demo, tenant: string, error: RegExp): Promise<void> {
    const r = await billVia(d, { all: true, json: true });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { bills: { tenant: string; status: string; error?: string }[] };
    const failed = out.bills.find((b) => b.tenant === tenant)!;
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(error);
    expect(out.bills.filter((b) => b.tenant !== tenant).map((b) => b.status)).toEqual(['committed', 'committed']);
    expect(ledgerView(d.database).lines).toEqual((expected.lines as { tenant: string }[]).filter((l) => l.tenant !== tenant));
  }

  it('a redirect of a tenant\'s samples to another origin fails that tenant, naming the origin; nothing is sent there', async () => {
    const other = await FakeCeilometer.start({ samples: [] });
    try {
      ceilometer.fail({ kind: 'status', status: 302, headers: { Location: `${other.url}/v2/samples?limit=1000` }, body: '' }, 1, of(ACME));
      await oneTenantFails(ceilometerDemo('page_size = 1000'), ACME, new RegExp(
        `^\\S+ samples of ${ACME} from RegionOne: GET ${ceilometer.url}/v2/samples\\?.* → 302 Found: a redirect to another origin, ${other.url}; not followed, as credentials are never sent to another server$`,
      ));
      expect(other.requests).toEqual([]);
    } finally {
      await other.close();
    }
  }, 120_000);

  it('a page of a tenant\'s samples that is wrongly empty fails that tenant: fewer samples read than the statistics count', async () => {
    ceilometer.fail({ kind: 'status', status: 200, body: [] }, 1, (r) => of(ACME)(r) && r.filters.some((f) => f.op === 'le'));
    await oneTenantFails(ceilometerDemo('page_size = 200'), ACME, new RegExp(
      `^\\S+ samples of ${ACME} from RegionOne: read \\d+ samples, but Ceilometer's statistics report \\d+ for the same query; a page was cut short or padded, so none of them is billed$`,
    ));
  }, 120_000);

  it('a tenant whose samples always fail with a 500 names the server\'s faultstring; the others are billed', async () => {
    ceilometer.fail({ kind: 'status', status: 500, body: { error_message: { faultcode: 'Server', faultstring: '(OperationalError) database is locked', debuginfo: null } } }, Infinity, of(ACME));
    const d = ceilometerDemo('page_size = 1000\nretries = 1');
    const r = await billVia(d, { all: true, json: true });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { bills: { tenant: string; status: string; error?: string }[] };
    expect(out.bills.find((b) => b.tenant === ACME)!.error).toMatch(/→ 500 Internal Server Error: \(OperationalError\) database is locked \(2 attempts\)$/);
    expect(out.bills.filter((b) => b.tenant !== ACME).map((b) => b.status)).toEqual(['committed', 'committed']);
  }, 120_000);

  it('a Ceilometer that publishes to Gnocchi stops the run before any bill, saying to use backend = gnocchi', async () => {
    ceilometer.gone = true;
    try {
      const d = ceilometerDemo('page_size = 1000');
      const r = await billVia(d, { all: true }).catch((e: unknown) => e);
      expect(r).toBeInstanceOf(Error);
      expect((r as Error).message).toBe(`${ceilometer.url}/v2: this Ceilometer publishes to Gnocchi and serves no samples (410 Gone): set [telemetry] backend = gnocchi`);
      expect((r as { exitCode?: number }).exitCode).toBe(2);
      // No bill written: no ledger at all, or one without bills.
      if (existsSync(d.database)) {
        const db = new Database(d.database, { readonly: true });
        expect(db.prepare('SELECT count(*) AS n FROM bills').get()).toEqual({ n: 0 });
        db.close();
      }
      expect(filesIn(d.outDir)).toEqual([]);
    } finally {
      ceilometer.gone = false;
    }
  }, 60_000);
});

describe('selecting tenants through Keystone', () => {
  it('--all bills the enabled projects; include_tenants and exclude_tenants filter them', async () => {
    const d = ceilometerDemo('page_size = 1000');
    const text = readFileSync(d.ini, 'utf8').replace('exclude_tenants = admin', 'exclude_tenants = admin, initech-labs\ninclude_tenants = acme-webshop, initech-labs, admin');
    writeIn(d.dir, 'artifice.ini', text);
    const r = await billVia(d, { all: true, json: true });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { bills: { tenant: string; tenant_name?: string; status: string }[] };
    expect(out.bills.map((b) => [b.tenant, b.tenant_name, b.status])).toEqual([[ACME, 'acme-webshop', 'committed']]);
  }, 60_000);

  it('an include entry no enabled project matches is an error before anything is billed', async () => {
    const d = ceilometerDemo('page_size = 1000');
    writeIn(d.dir, 'artifice.ini', readFileSync(d.ini, 'utf8').replace('[main]\n', '[main]\ninclude_tenants = acme-webshop, closed-account\n'));
    await expect(billVia(d, { all: true })).rejects.toThrow(`[main] include_tenants names closed-account: no enabled project has that id or name in keystone ${ks.url}/v3`);
  });

  it('--tenant with an unknown name is a usage error', async () => {
    const d = ceilometerDemo('page_size = 1000');
    await expect(billVia(d, { tenant: ['no-such-project'] })).rejects.toThrow(`--tenant no-such-project: Keystone (${ks.url}/v3) has no project with that id or name`);
  });
});

describe('artifice check', () => {
  it('reports the catalog endpoint, the token and every meter of config/meters.ini', async () => {
    const d = ceilometerDemo('');
    const r = await run(['check', '--config', d.ini, '--json'], { cwd: d.dir });
    const report = JSON.parse(r.stdout) as { ok: boolean; items: { name: string; ok: boolean; detail: string }[] };
    const item = (name: string) => report.items.find((i) => i.name === name);
    expect(item('keystone auth')).toEqual({ name: 'keystone auth', ok: true, detail: expect.stringContaining('password token for user billing in project admin') });
    expect(item('ceilometer endpoint')).toEqual({
      name: 'ceilometer endpoint', ok: true, detail: `${ceilometer.url}/v2 (from Keystone catalog metering/public/RegionOne; region RegionOne)`,
    });
    const meters = report.items.filter((i) => i.name.startsWith('meter '));
    expect(meters.map((i) => i.name)).toEqual(['instance', 'volume.size', 'ip.floating', 'image.size', 'storage.objects.size',
      'network.incoming.bytes', 'network.outgoing.bytes'].map((m) => `meter ${m}`));
    expect(meters.every((i) => i.ok)).toBe(true);
    expect(item('meter instance')!.detail).toMatch(/^readable; latest sample 2024-06-01T0/);
    expect(item('meter storage.objects.size')!.detail).toBe('readable; no samples yet');
    expect(r.stdout).not.toContain(PASSWORD);
  });

  it('fails the meters it cannot read, and says why', async () => {
    ceilometer.fail({ kind: 'status', status: 403, body: { error_message: { faultcode: 'Client', faultstring: 'RBAC Authorization Failed' } } }, Infinity,
      (r) => r.filters.some((f) => f.field === 'meter' && f.value === 'network.outgoing.bytes'));
    const d = ceilometerDemo('retries = 0');
    const r = await run(['check', '--config', d.ini], { cwd: d.dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/meter network\.outgoing\.bytes\s+FAIL\s+GET http:\/\/127\.0\.0\.1:\d+\/v2\/samples\?q\.field=meter&q\.op=eq&q\.type=&q\.value=network\.outgoing\.bytes&limit=1 → 403 Forbidden: RBAC Authorization Failed/);
  });

  it('a wrong password fails auth without printing it', async () => {
    const d = ceilometerDemo('');
    writeIn(d.dir, 'artifice.ini', readFileSync(d.ini, 'utf8').replace(`password = ${PASSWORD}`, 'password = Wr0ng-Pa55'));
    const r = await run(['check', '--config', d.ini], { cwd: d.dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/keystone auth\s+FAIL\s+Keystone refused the password credentials/);
    expect(r.stdout + r.stderr).not.toContain('Wr0ng-Pa55');
  });
});

describe('several regions', () => {
  /** One Ceilometer per region: az-north's samples, az-south's, and the rest (no zone: IPs, the image). */
  const REGIONS = ['north', 'south', 'RegionOne'] as const;
  const regionOf = (s: RawSample) => {
    const zone = (s.metadata as Record<string, unknown> | undefined)?.availability_zone;
    return zone === 'az-north' ? 'north' : zone === 'az-south' ? 'south' : 'RegionOne';
  };
  let servers: FakeCeilometer[];
  let regionKs: FakeKeystone;

  beforeAll(async () => {
    servers = await Promise.all(REGIONS.map((region) => FakeCeilometer.start({ samples: samples.filter((s) => regionOf(s) === region), ties: 'shuffle' })));
    regionKs = await FakeKeystone.start({
      users: [{ id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN]: ['admin'] } }],
      projects: [{ id: ADMIN, name: 'admin', domain_id: 'default' }, { id: ACME, name: 'acme-webshop', domain_id: 'default' },
        { id: GLOBEX, name: 'globex-research', domain_id: 'default' }, { id: INITECH, name: 'initech-labs', domain_id: 'default' }],
      catalog: () => [{ type: 'metering', endpoints: REGIONS.map((region, i) => ({ interface: 'public', region, url: servers[i]!.url })) }],
    });
    for (const server of servers) server.keystone = regionKs;
  });
  afterAll(async () => {
    await Promise.all([regionKs.close(), ...servers.map((server) => server.close())]);
  });

  it('one endpoint per region, each region the datacenter of its resources: the same bills as [datacenters] gives', async () => {
    const { ledger, invoices: expected } = await fromFile();
    // No [datacenters] mapping: the region a sample came from is its datacenter.
    const d = demo((text) =>
      text
        .replace(/\[telemetry\][^[]*/, `[telemetry]\nbackend = ceilometer\nregions = ${REGIONS.join(', ')}\npage_size = 1000\n\n`)
        .replace(/\[datacenters\][^[]*/, '')
        .replace('[main]\n', '[main]\nexclude_tenants = admin\n') +
      `\n[keystone]\nauth_url = ${regionKs.url}/v3\nusername = billing\npassword = ${PASSWORD}\nproject_name = admin\n`,
    );
    expect(readFileSync(d.ini, 'utf8')).not.toContain('az-north');
    const r = await billVia(d, { all: true });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(ledgerView(d.database)).toEqual(ledger);
    expect(invoices(d.outDir)).toEqual(expected);
    for (const server of servers) expect(server.sampleRequests().length).toBeGreaterThan(0);
  }, 120_000);
});
