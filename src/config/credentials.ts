/**
 * Credentials as an OpenStack operator keeps them: `[keystone]` filled in from the `OS_*`
 * variables openstackclient reads and from a clouds.yaml entry (`[keystone] cloud` or
 * `OS_CLOUD`), secrets from `KEY_file` keys and `ARTIFICE_*` variables. Precedence, highest
 * first: artifice.ini, the environment, clouds.yaml (secure.yaml merged over it).
 *
 * The result is the ini's sections with those values filled in (and the `_file` and `cloud`
 * keys replaced by what they point at), read through a Reader whose errors name where a value
 * came from; the section parsers (keystone.ts, telemetry.ts, gnocchi.ts) then check them as if
 * the ini had held them. The environment and clouds.yaml are consulted only when artifice.ini
 * has a `[keystone]` section and an HTTP backend: a shell with an openrc sourced does not turn
 * Keystone on for a config that has none.
 */
import type { ConfigError } from '../model/errors.js';
import type { IniSection, IniSections } from './ini-file.js';
import { authFamily, impliedAuthType } from './keystone.js';
import { Reader } from './reader.js';
import { loadCloud, type CloudEntry } from './clouds.js';
import { resolveOdooSecrets } from './odoo-secrets.js';
import { envValue, resolvedPath, secretValue, type Env, type Sourced, type Tier } from './sources.js';

export interface CredentialContext {
  readonly env: Env;
  readonly cwd: string;
  /** The ini file's directory (`KEY_file` paths are relative to it). */
  readonly dir: string;
}

/** Where the values came from, for `check` (never a value). */
export interface CredentialOrigins {
  /** `auth_url from OS_AUTH_URL`, `password from secure.yaml (mycloud)` … for each `[keystone]` key in use; empty without Keystone. */
  readonly keystone: readonly string[];
  /** Secrets of other sections that are not in the ini itself: `[gnocchi] password from ARTIFICE_GNOCCHI_PASSWORD`. */
  readonly secrets: readonly string[];
  /** The `KEY_file` files a secret was read from (for the permission check). */
  readonly secretFiles: readonly { readonly file: string; readonly key: string }[];
}

/** Reads the effective sections; an error about a value that did not come from the ini key itself names its origin. */
export class SourcedReader extends Reader {
  constructor(file: string, sections: IniSections, private readonly origins: ReadonlyMap<string, string>) {
    super(file, sections);
  }

  override error(section: string, key: string, what: string): ConfigError {
    const from = this.origins.get(`${section} ${key}`);
    return super.error(section, from ? `${key} (from ${from})` : key, what);
  }
}

interface KeySpec {
  /** openstackclient's variables, and artifice's own for secrets, in precedence order. */
  readonly env: readonly string[];
  /** Where clouds.yaml has it: under `auth:` or at the top of the entry. */
  readonly cloud: 'auth' | 'top';
  readonly secret?: boolean;
}

const auth = (...env: string[]): KeySpec => ({ env, cloud: 'auth' });
const secret = (...env: string[]): KeySpec => ({ env, cloud: 'auth', secret: true });

/** Every `[keystone]` key that may come from elsewhere, in the order `check` lists them. */
export const KEYSTONE_SOURCES: Readonly<Record<string, KeySpec>> = {
  auth_url: auth('OS_AUTH_URL'),
  auth_type: { env: ['OS_AUTH_TYPE'], cloud: 'top' },
  user_id: auth('OS_USER_ID'),
  username: auth('OS_USERNAME'),
  user_domain_id: auth('OS_USER_DOMAIN_ID'),
  user_domain_name: auth('OS_USER_DOMAIN_NAME'),
  password: secret('ARTIFICE_KEYSTONE_PASSWORD', 'OS_PASSWORD'),
  project_id: auth('OS_PROJECT_ID', 'OS_TENANT_ID'),
  project_name: auth('OS_PROJECT_NAME', 'OS_TENANT_NAME'),
  project_domain_id: auth('OS_PROJECT_DOMAIN_ID'),
  project_domain_name: auth('OS_PROJECT_DOMAIN_NAME'),
  application_credential_id: auth('OS_APPLICATION_CREDENTIAL_ID'),
  application_credential_name: auth('OS_APPLICATION_CREDENTIAL_NAME'),
  application_credential_secret: secret('ARTIFICE_KEYSTONE_APPLICATION_CREDENTIAL_SECRET', 'OS_APPLICATION_CREDENTIAL_SECRET'),
  token: secret('ARTIFICE_KEYSTONE_TOKEN', 'OS_TOKEN'),
  interface: { env: ['OS_INTERFACE'], cloud: 'top' },
  region_name: { env: ['OS_REGION_NAME'], cloud: 'top' },
};

export const KEYSTONE_SECRETS = Object.keys(KEYSTONE_SOURCES).filter((key) => KEYSTONE_SOURCES[key]!.secret);

/** Keys that come as an id-or-name pair: the highest source that gives either one gives the pair. */
const PAIRS: Readonly<Record<string, readonly [string, string]>> = {
  user: ['user_id', 'username'],
  user_domain: ['user_domain_id', 'user_domain_name'],
  project: ['project_id', 'project_name'],
  project_domain: ['project_domain_id', 'project_domain_name'],
  credential: ['application_credential_id', 'application_credential_name'],
};

/** What each auth type reads besides auth_url, interface and region_name: keys from the environment or clouds.yaml that it does not read are ignored. */
const READS: Readonly<Record<string, readonly string[]>> = {
  password: ['user', 'user_domain', 'password', 'project', 'project_domain'],
  application_credential: ['credential', 'application_credential_secret', 'user', 'user_domain'],
  token: ['token', 'project', 'project_domain'],
};

const TIERS: readonly Tier[] = ['ini', 'env', 'clouds'];

/** One key's value at one tier. */
class KeystoneSources {
  private readonly iniSecrets = new Map<string, Sourced>();

  constructor(
    private readonly at: Reader,
    private readonly env: Env,
    private readonly cloud: CloudEntry | undefined,
    context: CredentialContext,
  ) {
    for (const key of KEYSTONE_SECRETS) {
      const found = secretValue(at, 'keystone', key, context);
      if (found) this.iniSecrets.set(key, found);
    }
  }

  get(key: string, tier: Tier): Sourced | undefined {
    const spec = KEYSTONE_SOURCES[key]!;
    if (tier === 'ini') {
      if (spec.secret) return this.iniSecrets.get(key);
      const value = this.at.string('keystone', key);
      return value === undefined ? undefined : { value, from: `[keystone] ${key}`, tier };
    }
    if (tier === 'env') return spec.env.map((name) => envValue(this.env, name)).find(Boolean);
    return this.cloud?.get(key, spec.cloud);
  }

  first(key: string): Sourced | undefined {
    return TIERS.map((tier) => this.get(key, tier)).find(Boolean);
  }

  /** The pair from the highest tier that gives either key; outside the ini, the id wins over the name (as keystoneauth does). */
  pair([idKey, nameKey]: readonly [string, string]): [string, Sourced][] {
    for (const tier of TIERS) {
      const id = this.get(idKey, tier);
      const name = this.get(nameKey, tier);
      if (tier === 'ini' && (id || name)) return [...(id ? [[idKey, id] as [string, Sourced]] : []), ...(name ? [[nameKey, name] as [string, Sourced]] : [])];
      if (id) return [[idKey, id]];
      if (name) return [[nameKey, name]];
    }
    return [];
  }

  /** auth_type as given by the highest tier, else implied by the highest tier that holds credentials. */
  authType(): { type: string; given?: Sourced; tier?: Tier } {
    const given = this.first('auth_type');
    if (given) return { type: given.value, given };
    for (const tier of TIERS) {
      const type = impliedAuthType((key) => this.get(key, tier) !== undefined);
      if (type) return { type, tier };
    }
    return { type: 'password' };
  }
}

/** The effective `[keystone]`: the ini's keys (secrets read from their `_file`), then what the environment and clouds.yaml add. */
function effectiveKeystone(at: Reader, context: CredentialContext, into: Filled): void {
  const section = at.sections.get('keystone')!;
  const cloudName = at.string('keystone', 'cloud') ?? envValue(context.env, 'OS_CLOUD')?.value;
  const selectedBy = at.string('keystone', 'cloud') !== undefined ? `${at.file} [keystone] cloud` : 'OS_CLOUD';
  const cloud = cloudName === undefined ? undefined : loadCloud(cloudName, selectedBy, context.env, context.cwd);
  const sources = new KeystoneSources(at, context.env, cloud, context);
  const keys: IniSection = {};
  for (const [key, value] of Object.entries(section)) {
    if (key !== 'cloud' && !key.endsWith('_file') && value.trim() !== '') keys[key] = value;
  }
  into.sections.set('keystone', keys);
  const { type, given, tier } = sources.authType();
  const set = (key: string, value: Sourced) => into.set('keystone', key, value);
  if (given && given.tier !== 'ini') set('auth_type', given);
  if (type.trim().toLowerCase() === 'none') return;
  // An auth type implied by the environment or clouds.yaml is written out, so keystone.ts does not imply another from the ini's keys.
  if (!given && tier !== undefined && tier !== 'ini') keys.auth_type = type;
  const family = authFamily(type);
  for (const key of ['auth_url', 'interface', 'region_name']) {
    const found = sources.first(key);
    if (found) set(key, found);
  }
  for (const item of family ? READS[family]! : []) {
    const pair = PAIRS[item];
    if (pair) for (const [key, found] of sources.pair(pair)) set(key, found);
    else {
      const found = sources.first(item);
      if (found) set(item, found);
    }
  }
  // Secrets the auth type does not read stay, so keystone.ts refuses a stray one given in the ini.
  for (const key of KEYSTONE_SECRETS) {
    const inIni = sources.get(key, 'ini');
    if (inIni && keys[key] === undefined) set(key, inIni);
  }
  effectiveTls(at, context, cloud, into);
}

/** `[telemetry] ca_file` and `insecure`, else `OS_CACERT` / `OS_INSECURE`, else clouds.yaml `cacert` / `verify`. */
function effectiveTls(at: Reader, context: CredentialContext, cloud: CloudEntry | undefined, into: Filled): void {
  if (at.string('telemetry', 'ca_file') === undefined) {
    const found = envValue(context.env, 'OS_CACERT') ?? cloud?.get('cacert', 'top');
    if (found) into.set('telemetry', 'ca_file', resolvedPath(found, context.cwd));
  }
  if (at.string('telemetry', 'insecure') === undefined) {
    const verify = cloud?.get('verify', 'top');
    const found = envValue(context.env, 'OS_INSECURE') ??
      (verify ? { ...verify, value: String(['false', 'no', 'off', '0'].includes(verify.value.toLowerCase())) } : undefined);
    if (found) into.set('telemetry', 'insecure', found);
  }
}

/** The sections being filled in, and where each filled value came from. */
class Filled {
  readonly sections: IniSections;
  readonly origins = new Map<string, string>();
  readonly listed: { section: string; key: string; from: string }[] = [];
  readonly secretFiles: { file: string; key: string }[] = [];

  constructor(original: IniSections) {
    this.sections = new Map([...original].map(([name, section]) => [name, { ...section }]));
  }

  set(section: string, key: string, value: Sourced): void {
    const keys = this.sections.get(section) ?? {};
    keys[key] = value.value;
    this.sections.set(section, keys);
    this.listed.push({ section, key, from: value.from });
    if (value.from !== `[${section}] ${key}`) this.origins.set(`${section} ${key}`, value.from);
    if (value.file !== undefined) {
      this.secretFiles.push({ file: value.file, key: `[${section}] ${key}_file` });
      delete keys[`${key}_file`];
    }
  }
}

/** `[gnocchi] password`, `password_file` or `ARTIFICE_GNOCCHI_PASSWORD` (basic auth behind a proxy that checks it). */
function effectiveGnocchi(at: Reader, context: CredentialContext, into: Filled): void {
  const found = secretValue(at, 'gnocchi', 'password', context, ['ARTIFICE_GNOCCHI_PASSWORD']);
  if (found) into.set('gnocchi', 'password', found);
}

/**
 * artifice.ini's sections with credentials filled in from `KEY_file`s, the environment and
 * clouds.yaml, and where each came from. `adapter` is `[main] invoice:object`: the built-in
 * odoo adapter's password or API key may come from a file or the environment too.
 */
export function resolveCredentials(at: Reader, adapter: string, context: CredentialContext): { reader: SourcedReader; origins: CredentialOrigins } {
  const into = new Filled(at.sections);
  const backend = at.string('telemetry', 'backend');
  const http = backend === 'ceilometer' || backend === 'gnocchi';
  const authNone = at.string('keystone', 'auth_type')?.toLowerCase() === 'none';
  if (http && at.sections.has('keystone') && !authNone) effectiveKeystone(at, context, into);
  if (backend === 'gnocchi') effectiveGnocchi(at, context, into);
  for (const [key, found] of resolveOdooSecrets(at, adapter, context)) into.set('invoice:object', key, found);
  const shown = (item: { key: string; from: string }) => `${item.key} from ${item.from.endsWith(`] ${item.key}`) ? item.from.slice(0, -item.key.length - 1) : item.from}`;
  const keystoneOrder = Object.keys(KEYSTONE_SOURCES);
  const keystone = into.listed.filter((item) => item.section === 'keystone').sort((a, b) => keystoneOrder.indexOf(a.key) - keystoneOrder.indexOf(b.key));
  const others = into.listed.filter((item) => item.section !== 'keystone' && item.section !== 'telemetry' && item.from !== `[${item.section}] ${item.key}`);
  return {
    reader: new SourcedReader(at.file, into.sections, into.origins),
    origins: {
      keystone: [...keystone, ...into.listed.filter((item) => item.section === 'telemetry').map((item) => ({ ...item, key: `[telemetry] ${item.key}` }))].map(shown),
      secrets: others.map((item) => `[${item.section}] ${shown(item)}`),
      secretFiles: into.secretFiles,
    },
  };
}
