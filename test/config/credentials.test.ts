/**
 * Credentials as openstackclient reads them (src/config/credentials.ts, clouds.ts, sources.ts):
 * `[keystone]` filled in from `OS_*` and clouds.yaml (secure.yaml merged), secrets from
 * `KEY_file` and `ARTIFICE_*`, the precedence ini > environment > clouds.yaml, and where each
 * value came from. Real files in temp dirs; the environment is injected.
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { parseConfig, type Config } from '../../src/config.js';
import { configSecrets, registerConfigSecrets } from '../../src/config/secrets.js';
import { ConfigError } from '../../src/model/errors.js';
import { REDACTED, Secrets } from '../../src/model/secrets.js';
import { basicAuth } from '../../src/telemetry/gnocchi.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

const CLOUDS = `clouds:
  mycloud:
    auth:
      auth_url: http://ks.example:5000/v3
      username: billing
      project_name: admin
      user_domain_name: Default
      project_domain_id: default
    region_name: RegionTwo
    interface: internal
  other:
    auth:
      auth_url: http://other.example:5000
      application_credential_id: ac-1
      application_credential_secret: ac-s3cret
    auth_type: v3applicationcredential
`;
const SECURE = 'clouds:\n  mycloud:\n    auth:\n      password: from-secure-yaml\n';

interface World {
  dir: string;
  home: string;
  env: Record<string, string | undefined>;
}

function world(env: Record<string, string> = {}): World {
  const dir = tempDir('artifice-creds-');
  const home = path.join(dir, 'home');
  return { dir, home, env: { HOME: home, XDG_CONFIG_DIRS: path.join(dir, 'xdg'), ...env } };
}

/** `[telemetry] backend = ceilometer` and `extra`, loaded with the world's environment and its dir as cwd. */
function load(w: World, extra: string, backend = 'ceilometer'): Config {
  const ini = `[telemetry]\nbackend = ${backend}\nurl = http://ceilometer.example:8777\n${extra}`;
  return parseConfig(ini, path.join(w.dir, 'artifice.ini'), [], { env: w.env, cwd: w.dir });
}

function keystoneOf(config: Config) {
  if (config.telemetry.backend === 'file') throw new Error('no HTTP backend');
  return config.telemetry.keystone;
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

afterEach(() => cleanTempDirs());

describe('clouds.yaml', () => {
  it('OS_CLOUD selects an entry of ./clouds.yaml, secure.yaml merged; check says where each value came from', () => {
    const w = world({ OS_CLOUD: 'mycloud' });
    writeIn(w.dir, 'clouds.yaml', CLOUDS);
    writeIn(w.dir, 'secure.yaml', SECURE);
    const config = load(w, '[keystone]\n');
    expect(keystoneOf(config)).toEqual({
      authType: 'password', authUrl: 'http://ks.example:5000/v3', interface: 'internal', regionName: 'RegionTwo',
      user: { name: 'billing', domain: { name: 'Default' } }, password: 'from-secure-yaml',
      project: { name: 'admin', domain: { id: 'default' } },
    });
    expect(config.credentials.keystone.join(', ')).toBe(
      'auth_url from clouds.yaml (mycloud), username from clouds.yaml (mycloud), user_domain_name from clouds.yaml (mycloud), ' +
        'password from secure.yaml (mycloud), project_name from clouds.yaml (mycloud), project_domain_id from clouds.yaml (mycloud), ' +
        'interface from clouds.yaml (mycloud), region_name from clouds.yaml (mycloud)',
    );
    expect(JSON.stringify(config.credentials)).not.toContain('from-secure-yaml');
  });

  it('is searched in ~/.config/openstack (HOME from the environment), and OS_CLIENT_CONFIG_FILE comes first', () => {
    const w = world({ OS_CLOUD: 'other' });
    writeIn(w.home, '.config/openstack/clouds.yaml', CLOUDS);
    expect(keystoneOf(load(w, '[keystone]\n'))).toMatchObject({ authType: 'application_credential', credential: { id: 'ac-1' }, secret: 'ac-s3cret' });
    const explicit = writeIn(w.dir, 'elsewhere/my-clouds.yaml', 'clouds:\n  other:\n    auth:\n      auth_url: http://explicit:5000\n      application_credential_id: ac-2\n      application_credential_secret: x-s3cret\n');
    w.env.OS_CLIENT_CONFIG_FILE = explicit;
    expect(keystoneOf(load(w, '[keystone]\n'))).toMatchObject({ authUrl: 'http://explicit:5000/v3', credential: { id: 'ac-2' } });
  });

  it('[keystone] cloud wins over OS_CLOUD', () => {
    const w = world({ OS_CLOUD: 'mycloud' });
    writeIn(w.dir, 'clouds.yaml', CLOUDS);
    expect(keystoneOf(load(w, '[keystone]\ncloud = other\n'))).toMatchObject({ authUrl: 'http://other.example:5000/v3', authType: 'application_credential' });
  });

  it('a cloud no file holds is one line naming the files searched', () => {
    const w = world({ OS_CLOUD: 'nope' });
    expect(errorOf(() => load(w, '[keystone]\n'))).toBe(
      `OS_CLOUD = 'nope': no clouds.yaml found; searched ${w.dir}/clouds.yaml, ${w.home}/.config/openstack/clouds.yaml, ` +
        `${w.dir}/xdg/openstack/clouds.yaml, /etc/openstack/clouds.yaml (also .yml, .json); fix the name or set OS_CLIENT_CONFIG_FILE`,
    );
    writeIn(w.dir, 'clouds.yaml', CLOUDS);
    const message = errorOf(() => load(w, '[keystone]\n'));
    expect(message).toContain(`OS_CLOUD = 'nope': ${w.dir}/clouds.yaml has no cloud 'nope' (it has: mycloud, other); searched ${w.dir}/clouds.yaml, `);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('YAML that does not parse, and a value that is a mapping, are one-line errors', () => {
    const w = world({ OS_CLOUD: 'mycloud' });
    writeIn(w.dir, 'clouds.yaml', 'clouds:\n  mycloud: [unclosed\n');
    expect(errorOf(() => load(w, '[keystone]\n'))).toMatch(new RegExp(`^cannot read ${w.dir}/clouds.yaml: [^\n]+; fix its YAML$`));
    writeIn(w.dir, 'clouds.yaml', 'clouds:\n  mycloud:\n    auth:\n      auth_url: {a: 1}\n');
    expect(errorOf(() => load(w, '[keystone]\n'))).toBe('clouds.yaml (mycloud): auth.auth_url must be a single value, not a list or a mapping');
  });
});

describe('OS_* variables', () => {
  const OPENRC = {
    OS_AUTH_URL: 'http://env-ks:5000/v3', OS_USERNAME: 'env-user', OS_PASSWORD: 'env-pa55word', OS_PROJECT_NAME: 'env-project',
    OS_PROJECT_ID: 'p-123', OS_USER_DOMAIN_NAME: 'Users', OS_PROJECT_DOMAIN_NAME: 'Projects', OS_REGION_NAME: 'RegionThree', OS_INTERFACE: 'internalURL',
  };

  it('fill an empty [keystone] as openstackclient reads them (an id wins over a name, as keystoneauth does)', () => {
    const config = load(world(OPENRC), '[keystone]\n');
    expect(keystoneOf(config)).toEqual({
      authType: 'password', authUrl: 'http://env-ks:5000/v3', interface: 'internal', regionName: 'RegionThree',
      user: { name: 'env-user', domain: { name: 'Users' } }, password: 'env-pa55word', project: { id: 'p-123' },
    });
    expect(config.credentials.keystone).toContain('password from OS_PASSWORD');
    expect(config.credentials.keystone).toContain('project_id from OS_PROJECT_ID');
  });

  it('precedence per key: the ini, then the environment, then clouds.yaml; an id-or-name pair comes whole from one source', () => {
    const w = world({ ...OPENRC, OS_CLOUD: 'mycloud' });
    writeIn(w.dir, 'clouds.yaml', CLOUDS);
    writeIn(w.dir, 'secure.yaml', SECURE);
    delete w.env.OS_AUTH_URL;
    delete w.env.OS_PASSWORD;
    const config = load(w, '[keystone]\nproject_name = ini-project\n');
    expect(keystoneOf(config)).toEqual({
      authType: 'password', authUrl: 'http://ks.example:5000/v3', interface: 'internal', regionName: 'RegionThree',
      user: { name: 'env-user', domain: { name: 'Users' } }, password: 'from-secure-yaml',
      project: { name: 'ini-project', domain: { name: 'Projects' } },
    });
    expect(config.credentials.keystone.join(', ')).toBe(
      'auth_url from clouds.yaml (mycloud), username from OS_USERNAME, user_domain_name from OS_USER_DOMAIN_NAME, password from secure.yaml (mycloud), ' +
        'project_name from [keystone], project_domain_name from OS_PROJECT_DOMAIN_NAME, interface from OS_INTERFACE, region_name from OS_REGION_NAME',
    );
  });

  it('ARTIFICE_KEYSTONE_PASSWORD wins over OS_PASSWORD; password_file over both', () => {
    const w = world({ ...OPENRC, ARTIFICE_KEYSTONE_PASSWORD: 'artifice-pw' });
    expect(keystoneOf(load(w, '[keystone]\n'))).toMatchObject({ password: 'artifice-pw' });
    writeIn(w.dir, 'keystone.pw', 'file-pw\n');
    const config = load(w, '[keystone]\npassword_file = keystone.pw\n');
    expect(keystoneOf(config)).toMatchObject({ password: 'file-pw' });
    expect(config.credentials.keystone).toContain(`password from [keystone] password_file (${w.dir}/keystone.pw)`);
  });

  it('an application credential in the environment implies its auth type; keys it does not read are ignored', () => {
    const w = world({ OS_AUTH_URL: 'http://ks:5000', OS_APPLICATION_CREDENTIAL_ID: 'ac-9', OS_APPLICATION_CREDENTIAL_SECRET: 'ac9-s3cret', OS_PROJECT_NAME: 'ignored' });
    expect(keystoneOf(load(w, '[keystone]\n'))).toEqual({
      authType: 'application_credential', authUrl: 'http://ks:5000/v3', interface: 'public', regionName: undefined, credential: { id: 'ac-9' }, secret: 'ac9-s3cret',
    });
  });

  it('a bad value names the variable it came from', () => {
    expect(errorOf(() => load(world({ ...OPENRC, OS_INTERFACE: 'sideways' }), '[keystone]\n'))).toContain("[keystone] interface (from OS_INTERFACE) = 'sideways' is not valid");
    expect(errorOf(() => load(world({ ...OPENRC, OS_AUTH_URL: 'ks:5000' }), '[keystone]\n'))).toContain("[keystone] auth_url (from OS_AUTH_URL) = 'ks:5000' is not valid");
  });

  it('OS_CACERT and OS_INSECURE, or clouds.yaml cacert and verify, when [telemetry] does not say', () => {
    const w = world({ ...OPENRC, OS_CACERT: 'ca.pem', OS_INSECURE: 'true' });
    const http = (config: Config) => (config.telemetry.backend === 'file' ? undefined : config.telemetry.http);
    expect(http(load(w, '[keystone]\n'))).toMatchObject({ caFile: `${w.dir}/ca.pem`, insecure: true });
    expect(http(load(w, 'ca_file = /etc/ssl/mine.pem\ninsecure = false\n[keystone]\n'))).toMatchObject({ caFile: '/etc/ssl/mine.pem', insecure: false });
    const c = world({ OS_CLOUD: 'mycloud' });
    writeIn(c.dir, 'clouds.yaml', CLOUDS.replace('    region_name: RegionTwo\n', '    region_name: RegionTwo\n    cacert: /etc/ssl/cloud.pem\n    verify: false\n'));
    writeIn(c.dir, 'secure.yaml', SECURE);
    expect(http(load(c, '[keystone]\n'))).toMatchObject({ caFile: '/etc/ssl/cloud.pem', insecure: true });
  });

  it('are not read without a [keystone] section, nor for the samples file', () => {
    const w = world({ ...OPENRC, OS_CLOUD: 'nope', OS_CACERT: '/nope.pem' });
    expect(keystoneOf(load(w, ''))).toBeUndefined();
    expect(load(w, 'file = s.ndjson\n[keystone]\n', 'file').telemetry.backend).toBe('file');
    expect(keystoneOf(load(world(), '[keystone]\n'))).toBeUndefined(); // empty, and nothing to fill it: no Keystone, as before
  });
});

describe('token auth', () => {
  it('OS_TOKEN (or clouds.yaml auth.token) with auth_type v3token, scoped to a project', () => {
    const w = world({ OS_AUTH_URL: 'http://ks:5000', OS_TOKEN: 'gAAAA-env-token', OS_PROJECT_ID: 'p-1', OS_AUTH_TYPE: 'v3token' });
    expect(keystoneOf(load(w, '[keystone]\n'))).toEqual({ authType: 'token', authUrl: 'http://ks:5000/v3', interface: 'public', regionName: undefined, token: 'gAAAA-env-token', project: { id: 'p-1' } });
    delete w.env.OS_AUTH_TYPE;
    expect(keystoneOf(load(w, '[keystone]\n'))).toMatchObject({ authType: 'token' }); // implied by the token
    expect(errorOf(() => load(w, '[keystone]\nauth_type = token\nusername = b\n'))).toContain('[keystone] username must not be set with auth_type = token');
    delete w.env.OS_PROJECT_ID;
    expect(errorOf(() => load(w, '[keystone]\n'))).toContain('[keystone] project_name is required with auth_type = token');
  });
});

describe('secrets outside the ini', () => {
  it('KEY_file: relative to the ini, one trailing newline stripped; with the key itself, missing or empty: one line', () => {
    const w = world();
    writeIn(w.dir, 'secrets/ks.pw', 'pa55 word\r\n');
    const base = '[keystone]\nauth_url = http://ks\nusername = b\nproject_name = a\n';
    expect(keystoneOf(load(w, `${base}password_file = secrets/ks.pw\n`))).toMatchObject({ password: 'pa55 word' });
    expect(errorOf(() => load(w, `${base}password_file = secrets/ks.pw\npassword = x\n`))).toBe(
      `${w.dir}/artifice.ini [keystone] password_file and password are both set: give one`,
    );
    expect(errorOf(() => load(w, `${base}password_file = nope.pw\n`))).toMatch(
      new RegExp(`^${w.dir}/artifice.ini \\[keystone\\] password_file: cannot read ${w.dir}/nope.pw: [^\n]*ENOENT[^\n]*; give a readable file holding only the secret$`),
    );
    writeIn(w.dir, 'empty.pw', '\n');
    expect(errorOf(() => load(w, `${base}password_file = empty.pw\n`))).toBe(`${w.dir}/artifice.ini [keystone] password_file: ${w.dir}/empty.pw is empty; put the secret in it (one line)`);
  });

  it('[gnocchi] password from password_file or ARTIFICE_GNOCCHI_PASSWORD goes into the Basic header', async () => {
    const w = world({ ARTIFICE_GNOCCHI_PASSWORD: 'gn-env-pw' });
    const gnocchi = (config: Config) => (config.telemetry.backend === 'gnocchi' ? config.telemetry.gnocchi : undefined);
    const config = load(w, '[gnocchi]\nuser = biller\n', 'gnocchi');
    expect(gnocchi(config)).toMatchObject({ authType: 'basic', user: 'biller', password: 'gn-env-pw' });
    expect(config.credentials.secrets).toEqual(['[gnocchi] password from ARTIFICE_GNOCCHI_PASSWORD']);
    writeIn(w.dir, 'gnocchi.pw', 'gn-file-pw\n');
    expect(gnocchi(load(w, '[gnocchi]\npassword_file = gnocchi.pw\n', 'gnocchi'))).toMatchObject({ password: 'gn-file-pw' });
    expect(await basicAuth('biller', 'gn-env-pw').headers()).toEqual({ Authorization: `Basic ${Buffer.from('biller:gn-env-pw').toString('base64')}` });
  });

  it('the odoo adapter receives password or api_key resolved from a file or the environment, never the _file key', () => {
    const w = world({ ARTIFICE_ODOO_API_KEY: 'odoo-env-key' });
    const odoo = (extra: string) => load(w, `[main]\ninvoice:object = odoo\n[invoice:object]\nurl = http://odoo:8069\n${extra}`);
    expect(odoo('').invoice).toEqual({ url: 'http://odoo:8069', api_key: 'odoo-env-key' });
    writeIn(w.dir, 'odoo.pw', 'odoo-file-pw\n');
    const fromFile = odoo('password_file = odoo.pw\n');
    expect(fromFile.invoice).toEqual({ url: 'http://odoo:8069', password: 'odoo-file-pw' });
    expect(fromFile.credentials.secrets).toEqual([`[invoice:object] password from [invoice:object] password_file (${w.dir}/odoo.pw)`]);
    w.env.ARTIFICE_ODOO_PASSWORD = 'odoo-env-pw';
    expect(errorOf(() => odoo(''))).toBe('ARTIFICE_ODOO_PASSWORD and ARTIFICE_ODOO_API_KEY are both set: unset one (Odoo takes an API key in place of the password)');
    // Another adapter's [invoice:object] is its own business.
    expect(load(w, '[main]\ninvoice:object = ./mine.js:Mine\n[invoice:object]\npassword_file = x\n').invoice).toEqual({ password_file: 'x' });
  });

  it('every secret the Config holds is listed, and registered for redaction', () => {
    const w = world({ ...{ OS_AUTH_URL: 'http://ks:5000', OS_USERNAME: 'u', OS_PROJECT_ID: 'p' }, OS_PASSWORD: 'ks-env-pw', ARTIFICE_GNOCCHI_PASSWORD: 'gn-pw-1', ARTIFICE_ODOO_PASSWORD: 'odoo-pw-1' });
    const config = load(w, '[main]\ninvoice:object = odoo\n[keystone]\n[gnocchi]\nauth_type = basic\n', 'gnocchi');
    expect(configSecrets(config).sort()).toEqual(['gn-pw-1', 'ks-env-pw', 'odoo-pw-1']);
    const secrets = new Secrets();
    registerConfigSecrets(config, secrets);
    expect(secrets.redact(`a ks-env-pw b odoo-pw-1 c ${Buffer.from('admin:gn-pw-1').toString('base64')}`)).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });
});

describe('a file holding a secret that others can read', () => {
  it('is reported once per file, naming it and chmod 600; not when it is 0600 or holds no secret', () => {
    const w = world();
    const ini = writeIn(w.dir, 'artifice.ini', '');
    const pw = writeIn(w.dir, 'ks.pw', 'pw-in-file\n');
    const base = '[keystone]\nauth_url = http://ks\nusername = b\nproject_name = a\n';
    chmodSync(ini, 0o644);
    expect(load(w, `${base}password = inline-pw\n`).credentials.exposed).toEqual([
      `${ini} holds a secret ([keystone] password) and is readable by everyone (mode 0644): chmod 600 ${ini}`,
    ]);
    chmodSync(pw, 0o640);
    expect(load(w, `${base}password_file = ks.pw\n`).credentials.exposed).toEqual([
      `${pw} holds a secret ([keystone] password_file) and is readable by its group (mode 0640): chmod 600 ${pw}`,
    ]);
    chmodSync(pw, 0o600);
    expect(load(w, `${base}password_file = ks.pw\n`).credentials.exposed).toEqual([]);
    chmodSync(ini, 0o600);
    expect(load(w, `${base}password = inline-pw\n`).credentials.exposed).toEqual([]);
  });
});
