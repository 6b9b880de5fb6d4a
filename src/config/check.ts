/**
 * `artifice check` items about credentials: where each `[keystone]` value and each secret kept
 * outside the ini came from (never the value), and a FAIL for each file that holds a secret
 * and that group or others can read.
 */
import type { Config } from '../config.js';
import type { CheckItem } from '../model/types.js';

export function credentialItems(config: Config): CheckItem[] {
  const { keystone, secrets, exposed } = config.credentials;
  return [
    ...(keystone.length ? [{ name: 'keystone source', ok: true, detail: keystone.join(', ') }] : []),
    ...(secrets.length ? [{ name: 'secrets', ok: true, detail: secrets.join(', ') }] : []),
    ...exposed.map((line) => ({ name: 'secret permissions', ok: false, detail: line })),
  ];
}
