/**
 * Credentials the way an OpenStack operator keeps them, end to end: `artifice check` and
 * `artifice bill --all` against the fake Keystone and the fake Ceilometer (real HTTP), with an
 * empty `[keystone]` and the credentials in clouds.yaml + secure.yaml (OS_CLOUD), in `OS_*`
 * variables, in an `OS_TOKEN`, or in a password file. No secret is ever printed.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { FakeCeilometer } from '../fakes/ceilometer-server.js';
import { DEFAULT_DOMAIN, FakeKeystone } from '../fakes/keystone-server.js';
import { ACME, GLOBEX, INITECH, demo, expectOneLine, ledgerBills, run, type Demo, type Run } from '../helpers/cli.js';
import { demoProjects, demoSamples } from '../helpers/demo-cloud.js';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';

const ADMIN = 'a0000000000000000000000000000001';
const PASSWORD = 'cl0uds-pa55word';

let ks: FakeKeystone;
let ceilometer: FakeCeilometer;

beforeAll(async () => {
  ks = await FakeKeystone.start({
    users: [{ id: 'u-billing', name: 'billing', domain: DEFAULT_DOMAIN, password: PASSWORD, roles: { [ADMIN]: ['admin'] } }],
    projects: demoProjects(ADMIN),
    catalog: () => [{ type: 'metering', endpoints: [{ interface: 'public', region: 'RegionOne', url: ceilometer.url }] }],
  });
  ceilometer = await FakeCeilometer.start({ samples: demoSamples(), keystone: ks });
});

afterAll(async () => {
  await Promise.all([ks.close(), ceilometer.close()]);
  cleanTempDirs();
});

/** The demo config on the fake Ceilometer, with `[keystone]` holding only `keystone`. */
function cloudDemo(keystone = ''): Demo {
  return demo((text) =>
    text
      .replace(/\[telemetry\][^[]*/, '[telemetry]\nbackend = ceilometer\nregion = RegionOne\n\n')
      .replace('[main]\n', '[main]\nexclude_tenants = admin\n') + `\n[keystone]\n${keystone}`,
  );
}

/** The environment of a run: HOME inside the temp dir (no real ~/.config/openstack), and `vars`. */
const envOf = (d: Demo, vars: Record<string, string>) => ({ HOME: path.join(d.dir, 'home'), XDG_CONFIG_DIRS: path.join(d.dir, 'xdg'), ...vars });

async function checkJson(d: Demo, env: Record<string, string>): Promise<Run & { items: { name: string; ok: boolean; detail: string }[] }> {
  const r = await run(['check', '--config', d.ini, '--json'], { cwd: d.dir, env });
  return { ...r, items: (JSON.parse(r.stdout) as { items: { name: string; ok: boolean; detail: string }[] }).items };
}

function expectNoSecret(r: Run, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
  }
}

async function expectBillsAll(d: Demo, env: Record<string, string>, ...secrets: string[]): Promise<void> {
  const r = await run(['bill', '--all', '--month', '2024-05', '--config', d.ini], { cwd: d.dir, env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(ledgerBills(d.database).map((b) => [b.tenant, b.status])).toEqual([GLOBEX, ACME, INITECH].sort().map((t) => [t, 'committed']));
  expectNoSecret(r, ...secrets);
}

describe('an empty [keystone] filled from clouds.yaml', () => {
  it('OS_CLOUD=mycloud with ./clouds.yaml and secure.yaml: check passes, saying where each value came from; bill --all bills', async () => {
    const d = cloudDemo();
    writeIn(d.dir, 'clouds.yaml', `clouds:\n  mycloud:\n    auth:\n      auth_url: ${ks.url}/v3\n      username: billing\n      project_name: admin\n      user_domain_name: Default\n    region_name: RegionOne\n`);
    writeIn(d.dir, 'secure.yaml', `clouds:\n  mycloud:\n    auth:\n      password: ${PASSWORD}\n`);
    const env = envOf(d, { OS_CLOUD: 'mycloud', OS_AUTH_URL: `${ks.url}/v3` });
    const r = await checkJson(d, env);
    expect(r.items.filter((i) => !i.ok)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.items.find((i) => i.name === 'keystone source')!.detail).toBe(
      'auth_url from OS_AUTH_URL, username from clouds.yaml (mycloud), user_domain_name from clouds.yaml (mycloud), password from secure.yaml (mycloud), ' +
        'project_name from clouds.yaml (mycloud), region_name from clouds.yaml (mycloud)',
    );
    expect(r.items.find((i) => i.name === 'keystone auth')!.detail).toContain('password token for user billing in project admin');
    expect(r.stderr).toBe('');
    expectNoSecret(r, PASSWORD);
    await expectBillsAll(d, env, PASSWORD);
  });

  it('a wrong OS_CLOUD is one line naming the files searched, exit 2', async () => {
    const d = cloudDemo();
    writeIn(d.dir, 'clouds.yaml', 'clouds:\n  mycloud:\n    auth:\n      auth_url: http://127.0.0.1:9\n');
    const r = await run(['bill', '--all', '--month', '2024-05', '--config', d.ini], { cwd: d.dir, env: envOf(d, { OS_CLOUD: 'mycluod' }) });
    expect(r.code).toBe(2);
    expect(expectOneLine(r.stderr)).toBe(
      `artifice: OS_CLOUD = 'mycluod': ${d.dir}/clouds.yaml has no cloud 'mycluod' (it has: mycloud); searched ${d.dir}/clouds.yaml, ` +
        `${d.dir}/home/.config/openstack/clouds.yaml, ${d.dir}/xdg/openstack/clouds.yaml, /etc/openstack/clouds.yaml (also .yml, .json); fix the name or set OS_CLIENT_CONFIG_FILE`,
    );
  });
});

describe('an empty [keystone] filled from OS_* variables', () => {
  it('an openrc: check passes and bill --all bills', async () => {
    const d = cloudDemo();
    const env = envOf(d, {
      OS_AUTH_URL: ks.url, OS_USERNAME: 'billing', OS_PASSWORD: PASSWORD, OS_PROJECT_NAME: 'admin', OS_USER_DOMAIN_NAME: 'Default',
      OS_PROJECT_DOMAIN_NAME: 'Default', OS_REGION_NAME: 'RegionOne', OS_INTERFACE: 'public', OS_IDENTITY_API_VERSION: '3',
    });
    const r = await checkJson(d, env);
    expect(r.items.filter((i) => !i.ok)).toEqual([]);
    expect(r.items.find((i) => i.name === 'keystone source')!.detail).toContain('password from OS_PASSWORD');
    expectNoSecret(r, PASSWORD);
    await expectBillsAll(d, env, PASSWORD);
  });

  it('OS_TOKEN: exchanged for a project-scoped token (methods token), never printed', async () => {
    const d = cloudDemo();
    const token = ks.mintToken('u-billing', ADMIN);
    const env = envOf(d, { OS_AUTH_URL: ks.url, OS_AUTH_TYPE: 'v3token', OS_TOKEN: token, OS_PROJECT_ID: ADMIN });
    ks.requests.length = 0;
    const r = await checkJson(d, env);
    expect(r.items.filter((i) => !i.ok)).toEqual([]);
    expect(r.items.find((i) => i.name === 'keystone auth')!.detail).toContain('token token for user billing in project admin');
    expect(ks.requests.find((q) => q.path === '/v3/auth/tokens')!.body).toEqual({
      auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: ADMIN } } },
    });
    expectNoSecret(r, token);
    await expectBillsAll(d, env, token);
  });

  it('a token Keystone does not know fails check without printing it', async () => {
    const d = cloudDemo('auth_type = token\n');
    const r = await checkJson(d, envOf(d, { OS_AUTH_URL: ks.url, OS_TOKEN: 'gAAAA-forged-token', OS_PROJECT_ID: ADMIN }));
    expect(r.code).toBe(2);
    expect(r.items.find((i) => i.name === 'keystone auth')).toMatchObject({ ok: false, detail: expect.stringContaining('Keystone refused the token credentials') });
    expectNoSecret(r, 'gAAAA-forged-token');
  });
});

describe('secrets outside the ini', () => {
  const KEYS = (ks: FakeKeystone) => `auth_url = ${ks.url}\nusername = billing\nproject_name = admin\n`;

  it('password_file: a file others can read is a warning on every command and a FAIL in check; chmod 600 and both go', async () => {
    const d = cloudDemo(`${KEYS(ks)}password_file = keystone.pw\n`);
    const pw = writeIn(d.dir, 'keystone.pw', `${PASSWORD}\n`);
    chmodSync(pw, 0o644);
    const env = envOf(d, {});
    const r = await checkJson(d, env);
    const warning = `${pw} holds a secret ([keystone] password_file) and is readable by everyone (mode 0644): chmod 600 ${pw}`;
    expect(r.stderr).toBe(`warning: ${warning}\n`);
    expect(r.code).toBe(2);
    expect(r.items.filter((i) => !i.ok)).toEqual([{ name: 'secret permissions', ok: false, detail: warning }]);
    expect(r.items.find((i) => i.name === 'keystone source')!.detail).toContain(`password from [keystone] password_file (${pw})`);
    const history = await run(['history', '--config', d.ini], { cwd: d.dir, env });
    expect(history.stderr).toBe(`warning: ${warning}\n`);
    chmodSync(pw, 0o600);
    const fixed = await checkJson(d, env);
    expect(fixed.stderr).toBe('');
    expect(fixed.code).toBe(0);
    expectNoSecret(fixed, PASSWORD);
    await expectBillsAll(d, env, PASSWORD);
  });

  it('an ini that holds the password itself and that others can read: the same warning and FAIL', async () => {
    const d = cloudDemo(`${KEYS(ks)}password = ${PASSWORD}\n`);
    chmodSync(d.ini, 0o640);
    const r = await checkJson(d, envOf(d, {}));
    const warning = `${d.ini} holds a secret ([keystone] password) and is readable by its group (mode 0640): chmod 600 ${d.ini}`;
    expect(r.stderr).toBe(`warning: ${warning}\n`);
    expect(r.items.filter((i) => !i.ok)).toEqual([{ name: 'secret permissions', ok: false, detail: warning }]);
    expectNoSecret(r, PASSWORD);
  });

  it('ARTIFICE_KEYSTONE_PASSWORD: bills, and the ini (no secret in it) may stay readable', async () => {
    const d = cloudDemo(KEYS(ks));
    chmodSync(d.ini, 0o644);
    const env = envOf(d, { ARTIFICE_KEYSTONE_PASSWORD: PASSWORD, OS_PASSWORD: 'not-this-one' });
    const r = await checkJson(d, env);
    expect(r.items.filter((i) => !i.ok)).toEqual([]);
    expect(r.items.find((i) => i.name === 'keystone source')!.detail).toContain('password from ARTIFICE_KEYSTONE_PASSWORD');
    await expectBillsAll(d, env, PASSWORD, 'not-this-one');
  });
});
