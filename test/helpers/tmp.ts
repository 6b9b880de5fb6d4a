/** Temporary directories for tests: created fresh, removed after each test (or suite). */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const created: string[] = [];

/** A new empty directory under the OS temp dir; removed by `cleanTempDirs()`. */
export function tempDir(prefix = 'artifice-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** Removes every directory made by `tempDir()` so far. Call from afterEach/afterAll. */
export function cleanTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Writes `text` to `dir/relative` (creating parent directories) and returns the absolute path.
 * A new file is its owner's only (0600), as a config that holds a secret must be: artifice warns
 * about one that others can read.
 */
export function writeIn(dir: string, relative: string, text: string): string {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

/** File names in `dir`, sorted; [] when it does not exist. */
export function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}
