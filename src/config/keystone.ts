/**
 * `[keystone]` of artifice.ini: Keystone v3 auth for the HTTP backends, either a password or an
 * application credential. Secrets are never echoed in errors.
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

export type KeystoneSettings = PasswordAuth | ApplicationCredentialAuth;

const AUTH_TYPES = ['password', 'v3password', 'application_credential', 'v3applicationcredential', 'none'] as const;
const CREDENTIAL_KEYS = ['application_credential_id', 'application_credential_name', 'application_credential_secret'];

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
  let authType = at.oneOf('keystone', 'auth_type', AUTH_TYPES);
  if (authType === 'none') {
    const stray = k.given('auth_url', 'username', 'user_id', 'password', ...CREDENTIAL_KEYS);
    if (stray.length) throw at.error('keystone', stray[0]!, 'is set, but auth_type = none: remove it, or set auth_type = password or application_credential');
    return undefined;
  }
  authType ??= k.given(...CREDENTIAL_KEYS).length ? 'application_credential' : 'password';
  const base = parseBase(k);
  return authType === 'password' || authType === 'v3password' ? passwordAuth(k, base) : credentialAuth(k, base);
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
  const stray = k.given(...CREDENTIAL_KEYS);
  if (stray.length) throw at.error('keystone', stray[0]!, 'is an application credential key, but auth_type = password: remove it or set auth_type = application_credential');
  const user = k.user();
  if (!user) throw at.error('keystone', 'username', 'is required with auth_type = password (or user_id)');
  const password = k.s('password');
  if (password === undefined) throw at.error('keystone', 'password', 'is required with auth_type = password');
  const project = k.idOrName('project_id', 'project_name');
  if (project === undefined) {
    throw at.error('keystone', 'project_name', 'is required with auth_type = password (or project_id): the token must be scoped to a project, and carry the admin role to read every project');
  }
  const scope = 'id' in project ? project : { ...project, domain: k.domain('project_domain_id', 'project_domain_name') };
  return { ...base, authType: 'password', user, password, project: scope };
}

/** Application credential: scoped to its own project; a scope in the request is refused. */
function credentialAuth(k: KeystoneReader, base: KeystoneBase): ApplicationCredentialAuth {
  const { at } = k;
  const stray = k.given('project_id', 'project_name', 'project_domain_id', 'project_domain_name', 'password');
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
