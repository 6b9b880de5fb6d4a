/**
 * Keystone v3 tokens (docs/keystone.md): the request body for a password or an application
 * credential, and the token read from Keystone's answer. The token itself is never printed.
 */
import { TelemetryError } from '../../model/errors.js';
import { parseTimestamp, US_PER_MS } from '../../model/time.js';
import type { KeystoneSettings } from '../../config/keystone.js';
import type { CatalogService } from './catalog.js';

export interface KeystoneToken {
  /** The token itself (`X-Subject-Token`): never print it. */
  id: string;
  /** `expires_at` as Keystone gave it, epoch ms by Keystone's clock; undefined if absent (then only a 401 renews it). */
  expiresAt?: number;
  /** Epoch ms by the local clock when the token arrived. */
  receivedAt: number;
  /**
   * When it expires by the local clock: `receivedAt + (expires_at − issued_at)`, so a local
   * clock that is off does not make every request re-authenticate (or none).
   */
  localExpiry?: number;
  project?: { id: string; name?: string; domain?: { id?: string; name?: string } };
  user?: { id: string; name?: string };
  roles: string[];
  catalog: CatalogService[];
}


export type Json = Record<string, unknown>;

export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The token in Keystone's answer (`id` from `X-Subject-Token`), timed by the local clock at `receivedAt`. */
export function readToken(id: string, body: unknown, receivedAt: number, context: string): KeystoneToken {
  const token = asObject(asObject(body)?.token);
  if (!token) throw new TelemetryError(`Keystone ${context}: no "token" in the answer`);
  const expires = typeof token.expires_at === 'string' ? parseTimestamp(token.expires_at) : undefined;
  const issuedAt = typeof token.issued_at === 'string' ? parseTimestamp(token.issued_at) : undefined;
  const expiresAt = expires === undefined ? undefined : Math.floor(expires / US_PER_MS);
  const lifetime = expires !== undefined && issuedAt !== undefined ? Math.floor((expires - issuedAt) / US_PER_MS) : undefined;
  const project = asObject(token.project);
  const user = asObject(token.user);
  return {
    id,
    expiresAt,
    receivedAt,
    localExpiry: lifetime !== undefined && lifetime > 0 ? receivedAt + lifetime : expiresAt,
    project: project && typeof project.id === 'string'
      ? { id: project.id, name: typeof project.name === 'string' ? project.name : undefined, domain: asObject(project.domain) as { id?: string; name?: string } | undefined }
      : undefined,
    user: user && typeof user.id === 'string' ? { id: user.id, name: typeof user.name === 'string' ? user.name : undefined } : undefined,
    roles: Array.isArray(token.roles) ? token.roles.map((r) => asObject(r)?.name).filter((n): n is string => typeof n === 'string') : [],
    catalog: Array.isArray(token.catalog) ? (token.catalog.filter((s) => asObject(s) && typeof (s as Json).type === 'string') as CatalogService[]) : [],
  };
}

/** The token request. An application credential is never sent with a scope (Keystone refuses it). */
export function tokenRequestBody(s: KeystoneSettings): unknown {
  if (s.authType === 'application_credential') {
    return { auth: { identity: { methods: ['application_credential'], application_credential: { ...s.credential, secret: s.secret } } } };
  }
  // A token (v3token) is exchanged for one scoped to the project.
  if (s.authType === 'token') return { auth: { identity: { methods: ['token'], token: { id: s.token } }, scope: { project: s.project } } };
  return {
    auth: {
      identity: { methods: ['password'], password: { user: { ...s.user, password: s.password } } },
      scope: { project: s.project },
    },
  };
}

/** The config keys to check when Keystone refuses the credentials. */
export function credentialKeys(s: KeystoneSettings): string {
  if (s.authType === 'token') return '[keystone] token (it may have expired), project_name or project_id, project_domain_name';
  return s.authType === 'application_credential'
    ? '[keystone] application_credential_id (or _name and the user), application_credential_secret'
    : '[keystone] username or user_id, password, user_domain_name, project_name or project_id, project_domain_name';
}
