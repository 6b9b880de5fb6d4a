/**
 * The secrets a config holds, registered once it is read so that no message shows them
 * (docs/operations.md, "Secrets"): the Keystone password or application credential secret, and
 * the `[invoice:object]` keys that hold secrets. Tokens are registered where they are obtained
 * (src/telemetry/keystone.ts).
 */
import type { Config } from '../config.js';
import type { Secrets } from '../model/secrets.js';
import { isSecretKey } from './reader.js';

/**
 * An `[invoice:object]` key whose value is a secret: `password`, `api_key`, a key ending in
 * `_password`, `_secret`, `_token` or `_key`, or any key the config reader hides (INVOICES.md,
 * "Errors": names containing pass, secret, token, api_key or credential).
 */
export function isInvoiceSecretKey(key: string): boolean {
  return /(^|_)(password|secret|token|key)$/i.test(key) || isSecretKey(key);
}

/** Registers every secret of `config` in `secrets`. */
export function registerConfigSecrets(config: Config, secrets: Secrets): void {
  const telemetry = config.telemetry;
  if (telemetry.backend !== 'file' && telemetry.keystone) {
    const keystone = telemetry.keystone;
    secrets.add(keystone.authType === 'password' ? keystone.password : keystone.secret);
  }
  for (const [key, value] of Object.entries(config.invoice)) {
    if (isInvoiceSecretKey(key)) secrets.add(value);
  }
}
