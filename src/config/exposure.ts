/**
 * A file that holds a secret must be readable by its owner only: artifice.ini when it holds a
 * password, secret, token or API key itself, and every `KEY_file` a secret was read from.
 * Each exposed file is one line, printed as a warning by every command and a FAIL by `check`.
 */
import { statSync } from 'node:fs';
import { isSecretKey, type Reader } from './reader.js';

/**
 * Keys whose value is a secret (what `isSecretKey` hides in messages, minus the keys that only
 * name or point at one: `password_file`, `application_credential_id`, `…_name`, `…_url`).
 */
export function holdsSecret(key: string): boolean {
  return isSecretKey(key) && !/_(file|id|name|url|type)$/.test(key);
}

/** The first `[section] key` of the ini whose value is a secret, if any. */
export function secretInIni(at: Reader): string | undefined {
  for (const [section, keys] of at.sections) {
    const key = Object.keys(keys).find((k) => holdsSecret(k) && keys[k]!.trim() !== '');
    if (key !== undefined) return `[${section}] ${key}`;
  }
  return undefined;
}

/** The permission bits, or undefined when the file cannot be looked at (a test's virtual file; Windows has no such bits). */
function modeOf(file: string): number | undefined {
  if (process.platform === 'win32') return undefined;
  try {
    return statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

/** One line per file that holds a secret and that group or others may read. */
export function exposedFiles(at: Reader, secretFiles: readonly { file: string; key: string }[]): string[] {
  const holders = [
    ...(secretInIni(at) ? [{ file: at.file, key: secretInIni(at)! }] : []),
    ...secretFiles,
  ];
  const lines: string[] = [];
  for (const { file, key } of holders) {
    const mode = modeOf(file);
    if (mode === undefined || (mode & 0o044) === 0) continue;
    lines.push(`${file} holds a secret (${key}) and is readable by ${mode & 0o004 ? 'everyone' : 'its group'} (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${file}`);
  }
  return [...new Set(lines)];
}
