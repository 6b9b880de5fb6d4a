/** Who runs or holds something: a run row, a claim. One wording everywhere a person reads it. */

/** The identity of a run that owns a claim (the ledger's Owner has these fields and more). */
export interface RunIdentity {
  host: string;
  pid: number;
  runId: string;
}

/** `host pid N`: a process, as `status`, `verify` and the status file name it. */
export function hostPid(who: { host: string; pid: number }): string {
  return `${who.host} pid ${who.pid}`;
}

/** `host pid N (run 1a2b3c4d)`, or `an unknown run` when the claim names no owner. */
export function describeOwner(owner: RunIdentity | null | undefined): string {
  if (!owner) return 'an unknown run';
  return `${hostPid(owner)} (run ${owner.runId.slice(0, 8)})`;
}
