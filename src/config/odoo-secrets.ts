/**
 * The built-in odoo adapter's secret (`[invoice:object] password` or `api_key`) kept outside
 * artifice.ini: `password_file` / `api_key_file` (relative to the ini's directory), else
 * `ARTIFICE_ODOO_API_KEY` / `ARTIFICE_ODOO_PASSWORD`. It is resolved at load, so the adapter
 * receives `password` or `api_key` as if the ini held it and needs to know nothing of files or
 * the environment. Other adapters receive `[invoice:object]` as it is.
 */
import { ConfigError } from '../model/errors.js';
import type { Reader } from './reader.js';
import { envValue, secretValue, type SecretContext, type Sourced } from './sources.js';

/** `odoo` or `odoo:Class`: the built-in adapter (a path or a package is someone else's). */
export function isBuiltInOdoo(adapter: string): boolean {
  return /^odoo(:[^:]*)?$/.test(adapter.trim());
}

export const ODOO_ENV = { password: 'ARTIFICE_ODOO_PASSWORD', api_key: 'ARTIFICE_ODOO_API_KEY' } as const;

/** The odoo secret as `[key, value]` pairs to set in `[invoice:object]`; none for another adapter. */
export function resolveOdooSecrets(at: Reader, adapter: string, context: SecretContext): [string, Sourced][] {
  if (!isBuiltInOdoo(adapter)) return [];
  // In the ini (either key, or its _file): the environment is not consulted, so a variable left
  // in the shell cannot turn a password into "password and api_key are both set".
  const inIni = (['password', 'api_key'] as const).flatMap((key): [string, Sourced][] => {
    const found = secretValue(at, 'invoice:object', key, context);
    return found ? [[key, found]] : [];
  });
  if (inIni.length > 0) return inIni;
  const password = envValue(context.env, ODOO_ENV.password);
  const apiKey = envValue(context.env, ODOO_ENV.api_key);
  if (password && apiKey) {
    throw new ConfigError(`${ODOO_ENV.password} and ${ODOO_ENV.api_key} are both set: unset one (Odoo takes an API key in place of the password)`);
  }
  if (apiKey) return [['api_key', apiKey]];
  return password ? [['password', password]] : [];
}
