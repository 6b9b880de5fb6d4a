/**
 * The names of the files the file adapters write, and their temp files: an invoice name that
 * always fits the file system's 255-byte limit, and the cleaning of temp files a killed run left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../src/invoice/adapter.js';

/** The longest file name (in bytes) Linux, macOS and Windows file systems all accept. */
export const MAX_NAME_BYTES = 255;

/**
 * A tenant id as part of a file name, injectively: every UTF-8 byte outside [A-Za-z0-9._-]
 * (`%` and `/` included) becomes %XX, so `acme/eu` and `acme_eu` get files of their own, and
 * ordinary ids (hex UUIDs) are unchanged.
 */
function fileNamePart(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * `<id>_<rest>` where `<id>` is the escaped tenant id, as it always was when that fits in 255
 * bytes. A longer id is cut and followed by `~` and a hash of the whole id: `~` is never in an
 * escaped id, so a cut name cannot equal an uncut one, and the hash keeps long ids apart.
 */
export function invoiceFileName(tenantId: string, rest: string): string {
  const part = fileNamePart(tenantId);
  const whole = `${part}_${rest}`;
  if (Buffer.byteLength(whole) <= MAX_NAME_BYTES) return whole;
  const hash = `~${createHash('sha256').update(tenantId, 'utf8').digest('hex').slice(0, 32)}`;
  let cut = part.slice(0, Math.max(0, MAX_NAME_BYTES - hash.length - 1 - Buffer.byteLength(rest)));
  // Not in the middle of a %XX: the name stays readable as a prefix of the id.
  const percent = cut.lastIndexOf('%');
  if (percent >= 0 && percent > cut.length - 3) cut = cut.slice(0, percent);
  return `${cut}${hash}_${rest}`;
}

/** This host, in temp file names: a pid in a temp file name only means something on its own host. */
const HOST_TAG = createHash('sha256').update(os.hostname()).digest('hex').slice(0, 8);

/** `.tmp-<host>-<pid>-<random>`; older versions wrote `.tmp-<pid>-<random>`. */
const TEMP_SUFFIX = /\.tmp-(?:([0-9a-f]{8})-)?(\d+)-[0-9a-f]{12}$/;

/**
 * A temp file of another host (or of an older version, without a host) is removed only when no
 * write can still be at it: one invoice is one write of a few kilobytes, never a day long.
 */
const FOREIGN_TEMP_AGE_MS = 24 * 3600_000;

/**
 * A temp file name for `file`, unique per write (two commits of one name at once, in this
 * process or another, must not share one), within 255 bytes: the invoice name is cut if need be.
 */
export function tempFileName(file: string): string {
  const suffix = `.tmp-${HOST_TAG}-${process.pid}-${randomBytes(6).toString('hex')}`;
  const name = path.basename(file);
  return path.join(path.dirname(file), `${name.slice(0, MAX_NAME_BYTES - suffix.length)}${suffix}`);
}

/** Whether `name` in `dir` is a temp file of a file adapter whose writer is surely gone. */
async function isStaleTemp(dir: string, name: string, now: number): Promise<boolean> {
  const match = TEMP_SUFFIX.exec(name);
  if (!match) return false;
  const [, host, pid] = match;
  if (host === HOST_TAG) return !processAlive(Number(pid));
  const { mtimeMs } = await stat(path.join(dir, name));
  return now - mtimeMs > FOREIGN_TEMP_AGE_MS;
}

/**
 * Removes the temp files a killed commit left in `dir` (a SIGKILL between write and rename):
 * those of a process of this host that is gone, and those of any other writer older than a day.
 * Never one a live run is writing. Best effort: a file that cannot be looked at or removed stays.
 */
export async function removeStaleTemps(dir: string, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    try {
      if (!(await isStaleTemp(dir, name, now))) continue;
      await rm(path.join(dir, name));
      removed.push(name);
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
  return removed;
}
