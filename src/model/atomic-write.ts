/**
 * Replacing a file whole, so that a reader (or a power cut) sees the old content or the new,
 * never a part: write a temp file in the same directory, fsync it, rename it over the file, fsync
 * the directory. Without the first fsync a crash after the rename can leave the new name on an
 * empty file (ext4 and XFS may write the rename before the data); without the second the rename
 * itself may be lost — and a committed bill would point at an invoice file that is not there.
 *
 * Two twins take the same steps. `writeFileAtomic` is synchronous: it writes the status file,
 * also from a signal handler that exits right after (nothing asynchronous would finish there),
 * and the metrics file and the report page, once a run. `writeFileAtomicAsync` writes the file
 * adapters' invoices, one a tenant: its fsyncs (milliseconds each on a server disk) wait in
 * libuv's thread pool, so a batch goes on reading the other tenants' HTTP answers meanwhile
 * instead of blocking its event loop for seconds.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The file system calls the synchronous write makes: node:fs, or a twin in a test. */
export type AtomicWriteFs = Pick<typeof fs, 'openSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>;

/**
 * The calls the asynchronous write makes: node:fs/promises, or a twin in a test. It writes,
 * fsyncs and closes through the `FileHandle` that `open` returns (`writeFile`, `sync`, `close`).
 */
export type AtomicWriteAsyncFs = Pick<typeof fs.promises, 'open' | 'rename' | 'rm'>;

export interface AtomicWriteOptions<F = AtomicWriteFs> {
  /** The temp file (in the same directory as the file); default `<file>.tmp-<pid>-<random>`, unique per write. */
  temp?: string;
  fs?: F;
}

export type AtomicWriteAsyncOptions = AtomicWriteOptions<AtomicWriteAsyncFs>;

function tempOf(file: string, options: AtomicWriteOptions<unknown>): string {
  return options.temp ?? `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Error codes of an fsync a directory cannot have (some file systems, Windows): the rename is
 * then as durable as that file system makes it, and nothing better can be done.
 */
const NO_DIRECTORY_FSYNC = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EBADF', 'ENOTSUP']);

/** Rethrows the error of a directory's fsync unless that directory cannot have one. */
function directorySyncFailed(error: unknown): void {
  if (!NO_DIRECTORY_FSYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
}

/**
 * Writes `data` to `file` atomically and durably (see the module comment). On failure the temp
 * file is removed and the error is thrown as it came: the caller says which file it was for.
 * A temp file that exists already is another writer's: the write fails (EEXIST) and leaves it be.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const ops = options.fs ?? fs;
  const temp = tempOf(file, options);
  // 'wx': a temp file that exists is another writer's, never ours to truncate nor to remove.
  const fd = ops.openSync(temp, 'wx');
  try {
    closing(ops, fd, () => {
      ops.writeFileSync(fd, data);
      ops.fsyncSync(fd);
    });
    ops.renameSync(temp, file);
  } catch (error) {
    try {
      ops.rmSync(temp, { force: true });
    } catch {
      // nothing more to do: the write's own error is what matters
    }
    throw error;
  }
  try {
    const dir = ops.openSync(path.dirname(file), 'r');
    closing(ops, dir, () => ops.fsyncSync(dir));
  } catch (error) {
    directorySyncFailed(error);
  }
}

function closing(ops: AtomicWriteFs, fd: number, use: () => void): void {
  try {
    use();
  } finally {
    ops.closeSync(fd);
  }
}

/**
 * `writeFileAtomic` with the same steps and guarantees, through node:fs/promises: nothing of it
 * blocks the event loop. Rejects as `writeFileAtomic` throws.
 */
export async function writeFileAtomicAsync(file: string, data: string | Uint8Array, options: AtomicWriteAsyncOptions = {}): Promise<void> {
  const ops = options.fs ?? fs.promises;
  const temp = tempOf(file, options);
  // 'wx', and outside the cleanup below: see writeFileAtomic.
  const handle = await ops.open(temp, 'wx');
  try {
    await handle.writeFile(data).then(() => handle.sync()).finally(() => handle.close());
    await ops.rename(temp, file);
  } catch (error) {
    // nothing more to do when the removal fails too: the write's own error is what matters
    await ops.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  const dir = await ops.open(path.dirname(file), 'r').catch(directorySyncFailed);
  await dir?.sync().finally(() => dir.close()).catch(directorySyncFailed);
}
