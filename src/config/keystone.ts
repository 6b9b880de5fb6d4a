/**
 * `[keystone]` of artifice.ini: Keystone v3 auth for the HTTP backends: a password, an
 * application credential, or a token (exchanged for a project-scoped one). Its keys may come
 * from the environment or clouds.yaml (credentials.ts fills them in first). Secrets are never
 * echoed in errors.
 */
import type { Reader } from './reader.js';

export type EndpointInterface = 'public' | 'internal' | 'admin';

export type Domain = { readonly id: string } | { readonly name: string };
export type Ref = { readonly id: string } | { readonly name: string; readonly domain: Domain };

interface KeystoneBase {
  /** The identity v3 root, ending in `/v3`. */
  readonly authUrl: string;
  readonly interface: EndpointInterface;
  /** The catalog region of the single-region setup (`[keystone] region_name`). */
  readonly regionName?: string;
}

export interface PasswordAuth extends KeystoneBase {
  readonly authType: 'password';
  readonly user: Ref;
  readonly password: string;
  readonly project: Ref;
}

export interface ApplicationCredentialAuth extends KeystoneBase {
  readonly authType: 'application_credential';
  readonly credential: { readonly id: string } | { readonly name: string; readonly user: Ref };
  readonly secret: string;
}

/** A token (`OS_TOKEN`, clouds.yaml `auth.token`) exchanged for one scoped to the project (`methods: ["token"]`). */
export interface TokenAuth extends KeystoneBase {
  readonly authType: 'token';
  readonly token: string;
  readonly project: Ref;
}

export type KeystoneSettings = PasswordAuth | ApplicationCredentialAuth | TokenAuth;

const AUTH_TYPES = ['password', 'v3password', 'application_credential', 'v3applicationcredential', 'token', 'v3token', 'none'] as const;
const CREDENTIAL_KEYS = ['application_credential_id', 'application_credential_name', 'application_credential_secret'];

export type AuthFamily = 'password' | 'application_credential' | 'token';

/** `v3password` → password, `v3applicationcredential` → application_credential, `v3token` → token; undefined for `none` or a name parseKeystone refuses. */
export function authFamily(type: string): AuthFamily | undefined {
  const name = type.trim().toLowerCase().replace(/^v3/, '');
  if (name === 'password') return 'password';
  if (name === 'applicationcredential' || name === 'application_credential') return 'application_credential';
  if (name === 'token') return 'token';
  return undefined;
}

/** The auth type a set of keys implies when none is named: an application credential, else a password, else a token. */
export function impliedAuthType(has: (key: string) => boolean): AuthFamily | undefined {
  if (CREDENTIAL_KEYS.some(has)) return 'application_credential';
  if (has('password')) return 'password';
  if (has('token')) return 'token';
  return undefined;
}

/** `public`, `publicURL`, `internalURL`… → public | internal | admin. */
export function parseInterface(value: string): EndpointInterface | undefined {
  const name = value.trim().replace(/URL$/i, '').toLowerCase();
  return name === 'public' || name === 'internal' || name === 'admin' ? name : undefined;
}

/** `http://ks:5000`, `http://ks:5000/`, `http://ks/identity/v3/` → `…/v3`. */
export function identityV3Url(url: string): string {
  const base = url.replace(/\/+$/, '');
  return /\/v3$/.test(base) ? base : `${base}/v3`;
}

/** `[keystone]` → settings, or undefined when there is no Keystone. */
export function parseKeystone(at: Reader): KeystoneSettings | undefined {
  const section = at.sections.get('keystone');
  // No section, or one whose keys are all commented out: no Keystone.
  if (section === undefined || Object.values(section).every((value) => value.trim() === '')) return undefined;
  const k = new KeystoneReader(at);
  const authType = at.oneOf('keystone', 'auth_type', AUTH_TYPES);
  if (authType === 'none') {
    const stray = k.given('auth_url', 'username', 'user_id', 'password', 'token', ...CREDENTIAL_KEYS);
    if (stray.length) throw at.error('keystone', stray[0]!, 'is set, but auth_type = none: remove it, or set auth_type = password, application_credential or token');
    return undefined;
  }
  const family = authType === undefined ? impliedAuthType((key) => k.s(key) !== undefined) ?? 'password' : authFamily(authType)!;
  const base = parseBase(k);
  if (family === 'password') return passwordAuth(k, base);
  return family === 'token' ? tokenAuth(k, base) : credentialAuth(k, base);
}

/** `[keystone]` keys as text, and the id-or-name pairs they come in. */
class KeystoneReader {
  constructor(readonly at: Reader) {}

  s(key: string): string | undefined {
    return this.at.string('keystone', key);
  }

  given(...keys: string[]): string[] {
    return keys.filter((key) => this.s(key) !== undefined);
  }

  /** `{id}` from idKey or `{name}` from nameKey (both set is an error); undefined when neither is. */
  idOrName(idKey: string, nameKey: string): { id: string } | { name: string } | undefined {
    const id = this.s(idKey);
    if (id !== undefined) {
      if (this.s(nameKey) !== undefined) throw this.at.error('keystone', nameKey, `and ${idKey} are both set: give one`);
      return { id };
    }
    const name = this.s(nameKey);
    return name === undefined ? undefined : { name };
  }

  domain(idKey: string, nameKey: string): Domain {
    return this.idOrName(idKey, nameKey) ?? { name: 'Default' };
  }

  user(): Ref | undefined {
    const user = this.idOrName('user_id', 'username');
    return user === undefined || 'id' in user ? user : { ...user, domain: this.domain('user_domain_id', 'user_domain_name') };
  }
}

function parseBase(k: KeystoneReader): KeystoneBase {
  const { at } = k;
  const authUrl = at.url('keystone', 'auth_url');
  if (!authUrl) throw at.error('keystone', 'auth_url', 'is required: the Keystone v3 URL, e.g. http://keystone:5000/v3 (or auth_type = none for a telemetry API without auth)');
  if (/\/v2\.0$/.test(authUrl)) throw at.error('keystone', 'auth_url', 'points at Keystone v2.0, which is not supported: use the v3 URL');
  const iface = k.s('interface');
  const parsedInterface = iface === undefined ? 'public' : parseInterface(iface);
  if (!parsedInterface) throw at.error('keystone', 'interface', `= '${iface}' is not valid: use public, internal or admin`);
  return { authUrl: identityV3Url(authUrl), interface: parsedInterface, regionName: k.s('region_name') };
}

function passwordAuth(k: KeystoneReader, base: KeystoneBase): PasswordAuth {
  const { at } = k;
  const stray = k.given(...CREDENTIAL_KEYS, 'token');
  if (stray.length) throw at.error('keystone', stray[0]!, `is ${stray[0] === 'token' ? 'a token' : 'an application credential key'}, but auth_type = password: remove it or set auth_type = ${stray[0] === 'token' ? 'token' : 'application_credential'}`);
  const user = k.user();
  if (!user) throw at.error('keystone', 'username', 'is required with auth_type = password (or user_id)');
  const password = k.s('password');
  if (password === undefined) throw at.error('keystone', 'password', 'is required with auth_type = password');
  return { ...base, authType: 'password', user, password, project: projectScope(k, 'password') };
}

function projectScope(k: KeystoneReader, authType: string): Ref {
  const project = k.idOrName('project_id', 'project_name');
  if (project === undefined) {
    throw k.at.error('keystone', 'project_name', `is required with auth_type = ${authType} (or project_id): the token must be scoped to a project, and carry the admin role to read every project`);
  }
  return 'id' in project ? project : { ...project, domain: k.domain('project_domain_id', 'project_domain_name') };
}

/** A token exchanged for one scoped to the project: no user, no password, no application credential. */
function tokenAuth(k: KeystoneReader, base: KeystoneBase): TokenAuth {
  const stray = k.given('username', 'user_id', 'password', ...CREDENTIAL_KEYS);
  if (stray.length) throw k.at.error('keystone', stray[0]!, 'must not be set with auth_type = token: the token already says who the user is');
  const token = k.s('token');
  if (token === undefined) throw k.at.error('keystone', 'token', 'is required with auth_type = token (or token_file, ARTIFICE_KEYSTONE_TOKEN, OS_TOKEN)');
  return { ...base, authType: 'token', token, project: projectScope(k, 'token') };
}

/** Application credential: scoped to its own project; a scope in the request is refused. */
function credentialAuth(k: KeystoneReader, base: KeystoneBase): ApplicationCredentialAuth {
  const { at } = k;
  const stray = k.given('project_id', 'project_name', 'project_domain_id', 'project_domain_name', 'password', 'token');
  if (stray.length) {
    throw at.error('keystone', stray[0]!, 'must not be set with an application credential: the credential is already scoped to its project');
  }
  const secret = k.s('application_credential_secret');
  if (secret === undefined) throw at.error('keystone', 'application_credential_secret', 'is required with an application credential');
  const credential = k.idOrName('application_credential_id', 'application_credential_name');
  if (credential === undefined) {
    throw at.error('keystone', 'application_credential_id', 'is required with an application credential (or application_credential_name with username or user_id)');
  }
  if ('id' in credential) return { ...base, authType: 'application_credential', credential, secret };
  const user = k.user();
  if (!user) throw at.error('keystone', 'username', 'is required with application_credential_name (or user_id): a credential name is unique per user only');
  return { ...base, authType: 'application_credential', credential: { ...credential, user }, secret };
}
