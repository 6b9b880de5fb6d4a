/**
 * Every secret value the Config holds, wherever it came from (the ini, a `KEY_file`, the
 * environment, clouds.yaml or secure.yaml), so the redaction layer can register them before
 * anything is printed: the Keystone password, application credential secret or token, the
 * Gnocchi basic-auth password, and the secret-looking keys of `[invoice:object]` (the odoo
 * adapter's password or API key, or another adapter's).
 */
import type { Config } from '../config.js';
import type { Secrets } from '../model/secrets.js';
import { isSecretKey } from './reader.js';
import { urlPassword } from '../ledger/url.js';

/**
 * An `[invoice:object]` key whose value is a secret: any key the config reader hides (INVOICES.md,
 * "Errors": names containing pass, secret, token, api_key or credential), and also `key` or one
 * ending in `_key`. Registering one that only names a secret (`credential_id`) costs nothing but
 * its redaction.
 */
export function isInvoiceSecretKey(key: string): boolean {
  return isSecretKey(key) || /(^|_)key$/i.test(key);
}

export function configSecrets(config: Config): string[] {
  const found: (string | undefined)[] = [];
  const telemetry = config.telemetry;
  if (telemetry.backend !== 'file') {
    const keystone = telemetry.keystone;
    if (keystone?.authType === 'password') found.push(keystone.password);
    if (keystone?.authType === 'application_credential') found.push(keystone.secret);
    if (keystone?.authType === 'token') found.push(keystone.token);
    if (telemetry.backend === 'gnocchi') found.push(telemetry.gnocchi.password);
  }
  for (const [key, value] of Object.entries(config.invoice)) if (isInvoiceSecretKey(key)) found.push(value.trim());
  found.push(config.main.databasePassword, urlPassword(config.main.database));
  return [...new Set(found.filter((value): value is string => value !== undefined && value !== ''))];
}

/** Registers each of them (Gnocchi's also as the Basic header's base64 of `user:password`). */
export function registerConfigSecrets(config: Config, secrets: Pick<Secrets, 'add' | 'addBasic'>): void {
  for (const secret of configSecrets(config)) secrets.add(secret);
  const telemetry = config.telemetry;
  if (telemetry.backend === 'gnocchi' && telemetry.gnocchi.password) secrets.addBasic(telemetry.gnocchi.user, telemetry.gnocchi.password);
}
