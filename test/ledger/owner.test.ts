/**
 * src/owner.ts: a pending bill's owner is gone when its pid is free, and also when the pid now
 * belongs to another process (a reboot after a crash, or pid reuse on a busy host).
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { currentOwner, ownerAlive, processAlive, processIdentity } from '../../src/ledger/owner.js';

const HOST = os.hostname();
const NOW = new Date('2024-06-02T12:00:00Z');
const beatAt = (minutesAgo: number) => ({ heartbeatAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(), claimedAt: null, createdAt: '2024-06-02T00:00:00Z' });

/** A pid that was just used and is free again. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('processIdentity (Linux /proc)', () => {
  it('is stable for one process, different for another, undefined for no process', () => {
    const mine = processIdentity(process.pid);
    expect(mine).toMatch(/^[0-9a-f-]{36}:\d+$/);
    expect(processIdentity(process.pid)).toBe(mine);
    expect(processIdentity(1)).toMatch(/^[0-9a-f-]{36}:\d+$/);
    expect(processIdentity(1)).not.toBe(mine);
    expect(processIdentity(deadPid())).toBeUndefined();
    expect(processIdentity(0)).toBeUndefined();
  });

  it('currentOwner carries it for this process only (a pid of another process gets none)', () => {
    expect(currentOwner('run-1')).toEqual({ host: HOST, pid: process.pid, runId: 'run-1', process: processIdentity(process.pid) });
    expect(currentOwner('run-1', 4242, 'other-host')).toEqual({ host: 'other-host', pid: 4242, runId: 'run-1' });
  });
});

describe('ownerAlive', () => {
  const ctx = { host: HOST, now: NOW };
  const me = currentOwner('run-1');

  it('on this host: the same live process is alive', () => {
    expect(ownerAlive(me, beatAt(600), ctx)).toBe(true); // a heartbeat of any age: the process is there
  });

  it('on this host: a live pid that is now another process (after a reboot, or reused) is gone', () => {
    expect(ownerAlive({ ...me, process: 'an-earlier-boot:12345' }, beatAt(0), ctx)).toBe(false);
    expect(processAlive(me.pid)).toBe(true);
  });

  it('on this host: a free pid is gone; an owner written before identities were kept is judged by its pid', () => {
    expect(ownerAlive({ host: HOST, pid: deadPid(), runId: 'r' }, beatAt(0), ctx)).toBe(false);
    expect(ownerAlive({ host: HOST, pid: process.pid, runId: 'r' }, beatAt(600), ctx)).toBe(true);
  });

  it('where /proc cannot tell (another OS), a live pid is alive', () => {
    expect(ownerAlive({ ...me, process: 'x:1' }, beatAt(0), { ...ctx, identityOf: () => undefined })).toBe(true);
  });

  it('on another host: alive while its heartbeat is younger than the lease', () => {
    const remote = { host: 'other-host', pid: process.pid, runId: 'r', process: 'x:1' };
    expect(ownerAlive(remote, beatAt(14), ctx)).toBe(true);
    expect(ownerAlive(remote, beatAt(15), ctx)).toBe(false);
    expect(ownerAlive(remote, beatAt(1), { ...ctx, leaseMs: 30_000 })).toBe(false);
    expect(ownerAlive(null, beatAt(0), ctx)).toBe(false);
  });
});
