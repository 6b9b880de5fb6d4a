/**
 * Servers that quote the request back (docs/operations.md, "Secrets"): a Keystone whose refusal
 * echoes the token request (the password in it) and a Ceilometer whose error echoes the request
 * headers (the token in them). Neither secret may reach stderr, stdout (`check`, `bill --json`),
 * the status file or the ledger, in any form it was quoted in.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { FakeCeilometer } from '../fakes/ceilometer-server.js';
import { DEFAULT_DOMAIN, FakeKeystone } from '../fakes/keystone-server.js';
import { ACME, demo, run, type Demo } from '../helpers/cli.js';
import { leaks } from '../helpers/secrets.js';
import { cleanTempDirs } from '../helpers/tmp.js';

const ADMIN = 'a0000000000000000000000000000001';
/** A password with a quote and a backslash: its JSON-escaped form differs from it. */
const PASSWORD = 'Sw0rd"fish\\pass-1';
const REDACTED = '[redacted]';

let ks: FakeKeystone;
let ceilometer: FakeCeilometer;

beforeAll(async () => {
  ks = await FakeKeystone.start({
    users: [{ id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN]: ['admin'] } }],
    projects: [{ id: ADMIN, name: 'admin', domain_id: 'default' }, { id: ACME, name: 'acme-webshop', domain_id: 'default' }],
    catalog: () => [{ type: 'metering', endpoints: [{ interface: 'public', region: 'RegionOne', url: ceilometer.url }] }],
  });
  ceilometer = await FakeCeilometer.start({ samples: [], keystone: ks });
});

afterAll(async () => {
  await Promise.all([ks.close(), ceilometer.close()]);
  cleanTempDirs();
});

beforeEach(() => {
  ks.refusalMessage = undefined;
  ceilometer.faults.length = 0;
});

/** The demo billed from the fake Ceilometer behind the fake Keystone, logging in with `password`. */
function cloud(password: string): Demo {
  return demo((text) =>
    text.replace(/\[telemetry\][^[]*/, '[telemetry]\nbackend = ceilometer\nregion = RegionOne\n\n') +
    `\n[keystone]\nauth_url = ${ks.url}\nusername = billing\npassword = ${password}\nproject_name = admin\nuser_domain_name = Default\n`,
  );
}

async function statusFileText(d: Demo): Promise<string> {
  const config = await loadConfig({ flag: d.ini, env: {}, cwd: d.dir });
  return readFileSync(config.main.statusFile, 'utf8');
}

describe('a Keystone that echoes the token request', () => {
  const WRONG = 'Wr0ng"pass\\word-2';

  beforeEach(() => {
    ks.refusalMessage = ({ text, password }) => `Invalid username or password ${password} in ${text}`;
  });

  it('shows the password neither on stderr (with --verbose or without) nor in the status file', async () => {
    const d = cloud(WRONG);
    for (const verbose of [[], ['--verbose']]) {
      const r = await run(['bill', '--all', '--month', '2024-05', '--config', d.ini, ...verbose], { cwd: d.dir });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('Keystone refused');
      expect(r.stderr).toContain(REDACTED);
      expect(leaks(r.stderr, WRONG)).toEqual([]);
      const status = await statusFileText(d);
      expect(status).toContain(REDACTED);
      expect(leaks(status, WRONG)).toEqual([]);
    }
  });

  it('shows the password nowhere in check, as a table or as JSON', async () => {
    const d = cloud(WRONG);
    for (const json of [[], ['--json']]) {
      const r = await run(['check', '--config', d.ini, ...json], { cwd: d.dir });
      expect(r.code).toBe(2);
      expect(r.stdout).toContain('keystone auth');
      expect(r.stdout).toContain(REDACTED);
      expect(leaks(r.stdout + r.stderr, WRONG)).toEqual([]);
    }
  });

  it('keeps the one-line message whole when the echo is clipped inside the password', async () => {
    const d = cloud(WRONG);
    // errorDetail clips a server's message to 300 characters: pad it so the cut would fall in the
    // password, while the redacted message still fits.
    ks.refusalMessage = ({ password }) => `${'x'.repeat(285)} ${password}`;
    const r = await run(['bill', '--all', '--month', '2024-05', '--config', d.ini], { cwd: d.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(REDACTED);
    expect(r.stderr).not.toContain(WRONG.slice(0, 8));
  });
});

describe('a Ceilometer that echoes the request headers', () => {
  it('shows the token neither in bill --json, the status file, bills.error nor runs.errors', async () => {
    const d = cloud(PASSWORD);
    ceilometer.fail({ kind: 'echo', status: 400 }, Infinity, (request) => request.filters.some((f) => f.value === ACME));
    const r = await run(['bill', '--tenant', ACME, '--month', '2024-05', '--config', d.ini, '--json'], { cwd: d.dir });
    expect(r.code).toBe(1);
    const tokens = [...ks.tokens.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    expect(ceilometer.requests.some((request) => request.token !== undefined && tokens.includes(request.token))).toBe(true);

    const failed = (JSON.parse(r.stdout) as { bills: { tenant: string; status: string; error?: string }[] }).bills;
    expect(failed).toMatchObject([{ tenant: ACME, status: 'failed' }]);
    expect(failed[0]!.error).toContain(`x-auth-token: ${REDACTED}`);

    const db = new Database(d.database, { readonly: true, fileMustExist: true });
    const bills = db.prepare('SELECT error FROM bills').all() as { error: string }[];
    const runs = db.prepare('SELECT errors FROM runs').all() as { errors: string }[];
    db.close();
    expect(bills.map((b) => b.error).join('\n')).toContain(REDACTED);
    expect(runs.map((row) => row.errors).join('\n')).toContain(REDACTED);
    const status = await statusFileText(d);
    expect(status).toContain(REDACTED);

    const everything = [r.stdout, r.stderr, status, ...bills.map((b) => b.error), ...runs.map((row) => row.errors)].join('\n');
    for (const token of tokens) expect(leaks(everything, token)).toEqual([]);
  });
});
