/** Where the package's own files (config/meters.ini, config/rates.csv, invoices/) live. */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding artifice's package.json, from src/ (tests) or dist/src/ (built). */
export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || path.basename(dir) === 'dist') {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('artifice: cannot find its package.json');
    dir = parent;
  }
  root = dir;
  return dir;
}

export function packageFile(...parts: string[]): string {
  return path.join(packageRoot(), ...parts);
}

/** `dir` itself when it exists, else its nearest existing ancestor: where creating it would start. */
export function nearestExisting(dir: string): string {
  let existing = path.resolve(dir);
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  return existing;
}

/**
 * Whether `dir` could be created (or is there) and written in by this process, without creating
 * anything: its nearest existing ancestor must be a directory with write and search permission.
 */
export function directoryProblem(dir: string): { existing: string; problem?: 'not a directory' | 'not writable' } {
  const existing = nearestExisting(dir);
  try {
    if (!statSync(existing).isDirectory()) return { existing, problem: 'not a directory' };
    // X_OK too: creating an entry in a directory takes search permission as well as write.
    accessSync(existing, constants.W_OK | constants.X_OK);
    return { existing };
  } catch {
    return { existing, problem: 'not writable' };
  }
}

/** The `version` of artifice's package.json: what `artifice --version` prints. */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}
