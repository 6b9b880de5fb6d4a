/**
 * Where the ledger file lives decides how SQLite may journal it. WAL keeps its index in shared
 * memory (a -shm file mapped by every process), which only processes of one host can share: on
 * NFS, SMB, CephFS… two cron hosts in WAL mode would each trust their own copy and can corrupt
 * the ledger. There, `[main] ledger_journal = delete` (a rollback journal guarded by file locks)
 * is the mode SQLite supports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { nearestExisting } from '../model/paths.js';

/** statfs f_type magic numbers (linux/magic.h) of file systems shared over a network. */
const NETWORK_FILE_SYSTEMS: Record<number, string> = {
  0x6969: 'nfs',
  0x517b: 'smb',
  0xff534d42: 'cifs',
  0xfe534d42: 'smb2',
  0x00c36400: 'ceph',
  0x01021997: '9p',
  0x5346414f: 'afs',
  0x6b414653: 'afs',
  0x0bd00bd0: 'lustre',
  0x47504653: 'gpfs',
};

export type StatFs = (dir: string) => { type: number };

/**
 * The network file system the ledger `file` would be on (its nearest existing directory), or
 * undefined for a local one, or when the system cannot tell (statfs unavailable).
 */
export function networkFileSystem(file: string, statfs: StatFs = fs.statfsSync): string | undefined {
  const dir = nearestExisting(path.dirname(path.resolve(file)));
  try {
    return NETWORK_FILE_SYSTEMS[statfs(dir).type >>> 0];
  } catch {
    return undefined;
  }
}
