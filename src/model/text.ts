/**
 * Bytes to text that keeps invalid UTF-8 visible: each byte that is not part of a valid UTF-8
 * sequence becomes an escape (`\xNN` by default) instead of U+FFFD, so a project name of Latin-1
 * bytes reads `caf\xe9` in tables and messages, and two such names stay two names.
 */
import { isUtf8 } from 'node:buffer';

/** `\xff`: how an invalid byte reads in plain text. */
export const textEscape = (byte: number): string => `\\x${byte.toString(16).padStart(2, '0')}`;

/**
 * `\\xff`: how an invalid byte is put into JSON text, so that once the JSON is parsed the
 * string reads `\xff` (a byte outside a JSON string makes the line invalid JSON either way).
 */
export const jsonEscape = (byte: number): string => `\\${textEscape(byte)}`;

/** Length of the valid UTF-8 sequence at `i` (RFC 3629: no overlongs, surrogates or > U+10FFFF), or 0. */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const lead = bytes[i]!;
  if (lead < 0x80) return 1;
  const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  for (let k = 1; k < length; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return 0;
  const second = bytes[i + 1]!;
  if ((lead === 0xe0 && second < 0xa0) || (lead === 0xed && second >= 0xa0)) return 0;
  if ((lead === 0xf0 && second < 0x90) || (lead === 0xf4 && second >= 0x90)) return 0;
  return length;
}

/** `bytes` as UTF-8, each byte of an invalid sequence written as `escape(byte)`. */
export function decodeUtf8(bytes: Buffer, escape: (byte: number) => string = textEscape): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  while (i < bytes.length) {
    const length = sequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString('utf8', start, i) + escape(bytes[i]!);
    i += 1;
    start = i;
  }
  return out + bytes.toString('utf8', start);
}

/** The bytes from `start` up to `end` (or the end of `bytes`), one character each: for ASCII read in place. */
export function latin1Text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, Math.min(end, bytes.length) - start)).toString('latin1');
}
