/**
 * Replacing a file whole, so that a reader (or a power cut) sees the old content or the new,
 * never a part: write a temp file in the same directory, fsync it, rename it over the file, fsync
 * the directory. Without the first fsync a crash after the rename can leave the new name on an
 * empty file (ext4 and XFS may write the rename before the data); without the second the rename
 * itself may be lost — and a committed bill would point at an invoice file that is not there.
 *
 * The one writer of the status file, the metrics file and the file adapters' invoices. It is
 * synchronous on purpose: the ledger's commits (SQLite) already wait for their fsync in the same
 * way, and the status file is also written from a signal handler that exits right after.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The file system calls the write makes: node:fs, or a twin in a test. */
export type AtomicWriteFs = Pick<typeof fs, 'openSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>;

export interface AtomicWriteOptions {
  /** The temp file (in the same directory as the file); default `<file>.tmp-<pid>-<random>`, unique per write. */
  temp?: string;
  fs?: AtomicWriteFs;
}

/**
 * Error codes of an fsync a directory cannot have (some file systems, Windows): the rename is
 * then as durable as that file system makes it, and nothing better can be done.
 */
const NO_DIRECTORY_FSYNC = new Set(['EINVAL', 'EISDIR', 'EPERM', 'EBADF', 'ENOTSUP']);

/**
 * Writes `data` to `file` atomically and durably (see the module comment). On failure the temp
 * file is removed and the error is thrown as it came: the caller says which file it was for.
 * A temp file that exists already is another writer's: the write fails (EEXIST) and leaves it be.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const ops = options.fs ?? fs;
  const temp = options.temp ?? `${file}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  // 'wx': a temp file that exists is another writer's, never ours to truncate nor to remove.
  const fd = ops.openSync(temp, 'wx');
  try {
    try {
      ops.writeFileSync(fd, data);
      ops.fsyncSync(fd);
    } finally {
      ops.closeSync(fd);
    }
    ops.renameSync(temp, file);
  } catch (error) {
    try {
      ops.rmSync(temp, { force: true });
    } catch {
      // nothing more to do: the write's own error is what matters
    }
    throw error;
  }
  syncDirectory(ops, path.dirname(file));
}

function syncDirectory(ops: AtomicWriteFs, dir: string): void {
  try {
    withFd(ops, dir, 'r', (fd) => ops.fsyncSync(fd));
  } catch (error) {
    if (!NO_DIRECTORY_FSYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

function withFd(ops: AtomicWriteFs, file: string, flags: string, use: (fd: number) => void): void {
  const fd = ops.openSync(file, flags);
  try {
    use(fd);
  } finally {
    ops.closeSync(fd);
  }
}
