/**
 * The lines of a file, streamed (gunzipped on the way when it is gzip): memory holds one chunk
 * and one line, never the file, so a file of any size, or a gzip bomb, cannot exhaust it.
 */
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export interface Line {
  /** 1-based. */
  number: number;
  /** The line's bytes, without its `\n`. */
  bytes: Buffer;
}

/** A failure to read the file, or to gunzip it: the caller words each its own way. */
export class LineReadError extends Error {
  constructor(
    readonly stage: 'read' | 'gunzip',
    readonly error: unknown,
  ) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
  }
}

/** A line longer than the limit: reading stops there, before the rest of the file is read. */
export class LineTooLongError extends Error {
  constructor(
    readonly number: number,
    readonly limit: number,
  ) {
    super(`line ${number} is longer than ${limit} bytes`);
  }
}

export interface LineSource {
  path: string;
  gzip: boolean;
  maxLineBytes: number;
  /** Opens the file as a byte stream; defaults to `fs.createReadStream`. */
  open?: (path: string) => Readable;
}

async function* chunks(source: LineSource): AsyncGenerator<Buffer> {
  const raw = (source.open ?? ((p: string) => createReadStream(p)))(source.path);
  const gunzip = source.gzip ? createGunzip() : undefined;
  if (gunzip) {
    raw.on('error', (error: Error) => gunzip.destroy(new LineReadError('read', error)));
    raw.pipe(gunzip);
  }
  try {
    for await (const chunk of gunzip ?? raw) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof LineReadError) throw error;
    throw new LineReadError(gunzip ? 'gunzip' : 'read', error);
  } finally {
    // Stopped early (a bad line, a line too long): read no further.
    raw.destroy();
    gunzip?.destroy();
  }
}

/** The file's lines, `\n`-separated (a `\r` before it is the caller's to trim), a leading BOM dropped. */
export async function* readLines(source: LineSource): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 1;
  for await (const chunk of chunks(source)) {
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      if (pendingBytes + nl - from > source.maxLineBytes) throw new LineTooLongError(number, source.maxLineBytes);
      const part = chunk.subarray(from, nl);
      const bytes = pending.length === 0 ? part : Buffer.concat([...pending, part]);
      pending = [];
      pendingBytes = 0;
      yield { number, bytes: number === 1 ? dropBom(bytes) : bytes };
      number += 1;
      from = nl + 1;
    }
    if (from < chunk.length) {
      pendingBytes += chunk.length - from;
      if (pendingBytes > source.maxLineBytes) throw new LineTooLongError(number, source.maxLineBytes);
      pending.push(chunk.subarray(from));
    }
  }
  if (pendingBytes > 0) {
    const bytes = Buffer.concat(pending);
    yield { number, bytes: number === 1 ? dropBom(bytes) : bytes };
  }
}

function dropBom(bytes: Buffer): Buffer {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
}
