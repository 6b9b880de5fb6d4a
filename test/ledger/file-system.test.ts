/** src/ledger/file-system.ts: which file systems are network ones, from statfs's f_type. */
import os from 'node:os';
import path from 'node:path';
import { networkFileSystem } from '../../src/ledger/file-system.js';

const statfsOf = (type: number) => (dir: string) => {
  seen.push(dir);
  return { type };
};
let seen: string[] = [];
beforeEach(() => {
  seen = [];
});

describe('networkFileSystem', () => {
  it('names NFS, SMB/CIFS and CephFS by their magic numbers (CIFS is above 2^31)', () => {
    expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(0x6969))).toBe('nfs');
    expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(0xff534d42))).toBe('cifs');
    expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(0xff534d42 | 0))).toBe('cifs'); // as a signed 32-bit value
    expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(0xfe534d42))).toBe('smb2');
    expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(0x00c36400))).toBe('ceph');
  });

  it('local file systems (ext4, xfs, tmpfs, overlay) are not network ones', () => {
    for (const type of [0xef53, 0x58465342, 0x01021994, 0x794c7630]) {
      expect(networkFileSystem('/srv/ledger.sqlite', statfsOf(type))).toBeUndefined();
    }
  });

  it('asks about the nearest directory that exists (the ledger and its directory may not exist yet)', () => {
    const file = path.join(os.tmpdir(), 'no-such-dir-artifice', 'deeper', 'ledger.sqlite');
    networkFileSystem(file, statfsOf(0xef53));
    expect(seen).toEqual([os.tmpdir()]);
  });

  it('a statfs that fails (an old system) is taken as local', () => {
    expect(networkFileSystem('/srv/ledger.sqlite', () => {
      throw new Error('ENOSYS');
    })).toBeUndefined();
  });

  it('this machine\'s temp directory, through the real statfs, is local', () => {
    expect(networkFileSystem(path.join(os.tmpdir(), 'ledger.sqlite'))).toBeUndefined();
  });
});
