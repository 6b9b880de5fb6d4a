/**
 * Who holds a pending bill, and whether that holder is still there (docs/architecture.md, "The ledger": "the next run
 * resumes it (its owner is gone)").
 *
 * A pid alone is not a process: after a crash and a reboot, or after long enough on a busy host,
 * another process has the crashed run's pid, and the bill would look held for as long as that
 * process lives. So an owner on Linux also carries `process`: the boot id and the process's
 * start time (from /proc). A live pid whose identity differs is another process: the owner is gone.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Bill, Owner } from './types.js';

export const DEFAULT_LEASE_MS = 15 * 60_000;

/** Whether a process of this host exists: signal 0 checks without signalling. */
export function processAlive(pid: number): boolean {
  // pid 0 or negative would address a process group: such an owner is simply not a process.
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else. Anything but ESRCH: assume alive (safe side).
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

let bootId: string | null | undefined;

function readBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * `<boot id>:<start time in clock ticks since boot>` of a process of this host, or undefined
 * where /proc cannot tell (not Linux, no such process). Stable for the life of a process, and
 * different for any other process that ever has the same pid.
 */
export function processIdentity(pid: number): string | undefined {
  const boot = readBootId();
  if (!boot || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may itself hold spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const startTime = fields[19]; // field 22 of proc(5); fields[0] is field 3 (state)
  return startTime && /^\d+$/.test(startTime) ? `${boot}:${startTime}` : undefined;
}

/** The owner to claim bills as: this host and process, for run `runId`. */
export function currentOwner(runId: string, pid = process.pid, host = os.hostname()): Owner {
  const identity = pid === process.pid ? processIdentity(pid) : undefined;
  return identity ? { host, pid, runId, process: identity } : { host, pid, runId };
}

export interface LivenessContext {
  host: string;
  now: Date;
  leaseMs?: number;
  /** For tests: what processIdentity() would say of a pid. */
  identityOf?: (pid: number) => string | undefined;
}

/**
 * Whether the owner of a pending bill is still at work. On this host: its process exists and, when
 * both sides know it, is the same process (not a later one with its pid). On another host, whose
 * pids mean nothing here: its heartbeat is younger than one lease.
 */
export function ownerAlive(
  owner: Owner | null | undefined,
  bill: Pick<Bill, 'heartbeatAt' | 'claimedAt' | 'createdAt'>,
  ctx: LivenessContext,
): boolean {
  if (!owner) return false;
  if (owner.host === ctx.host) {
    if (!processAlive(owner.pid)) return false;
    if (owner.process === undefined) return true;
    const now = (ctx.identityOf ?? processIdentity)(owner.pid);
    return now === undefined || now === owner.process;
  }
  const beat = Date.parse(bill.heartbeatAt ?? bill.claimedAt ?? bill.createdAt);
  return Number.isFinite(beat) && ctx.now.getTime() - beat < (ctx.leaseMs ?? DEFAULT_LEASE_MS);
}
