/**
 * The names of the files the file adapters write, and their temp files: an invoice name that
 * always fits the file system's 255-byte limit, and a temp file name that fits too.
 */
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';

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

/**
 * A temp file name for `file`, unique per write (two commits of one name at once, in this
 * process or another, must not share one), within 255 bytes: the invoice name is cut if need be.
 */
export function tempFileName(file: string): string {
  const suffix = `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const name = path.basename(file);
  return path.join(path.dirname(file), `${name.slice(0, MAX_NAME_BYTES - suffix.length)}${suffix}`);
}
