/** Plain data the ledger hands out. Re-exported by src/ledger.ts: import from there. */
import type { Micros } from '../model/time.js';
import type { InvoiceLine, UsageRecord, Window } from '../model/types.js';

export type { Window };

/** Who holds a pending bill: the process and the `runs` row that claimed it. */
export interface Owner {
  host: string;
  pid: number;
  runId: string;
  /** The process's identity on its host (boot id and start time, src/owner.ts), when known. */
  process?: string;
}

export type BillStatus = 'pending' | 'committed' | 'failed' | 'voided';

/** One row of `bills`. Instants other than the window are ISO-8601 UTC strings. */
export interface Bill {
  id: string;
  tenant: string;
  tenantName: string | null;
  /** Half-open window [start, end), epoch microseconds. */
  start: Micros;
  end: Micros;
  status: BillStatus;
  /** 1 + the number of voided bills of the same tenant and exact window. */
  revision: number;
  owner: Owner | null;
  claimedAt: string | null;
  heartbeatAt: string | null;
  committedAt: string | null;
  /** What the invoice adapter's `commit()` returned. */
  reference: string | null;
  /** Decimal as a string, e.g. "12.30". */
  total: string | null;
  currency: string | null;
  error: string | null;
  voidReason: string | null;
  voidedBy: string | null;
  voidedAt: string | null;
  createdAt: string;
}

export type ClaimResult =
  /** A new pending bill, or a pending bill whose owner is gone (taken over: resumed). */
  | { kind: 'claimed'; bill: Bill; resumed: boolean }
  /** This exact window is already billed: skip it. */
  | { kind: 'committed'; bill: Bill }
  /** Pending, and its owner (another run) is alive. */
  | { kind: 'busy'; bill: Bill }
  /** Pending or committed bills of the tenant overlap the window with a different window. */
  | { kind: 'overlap'; bills: Bill[] };

export interface BillFilter {
  tenant?: string;
  /** Bills overlapping [start, end); either bound may be left out. */
  start?: Micros;
  end?: Micros;
  status?: BillStatus[];
}

/** A stored usage row: the UsageRecord written, Decimals restored as Decimal. */
export interface StoredUsage extends UsageRecord {
  billId: string;
}

/** A stored invoice line, in the order written (`position` from 0), Decimals as Decimal. */
export interface StoredLine extends InvoiceLine {
  billId: string;
  position: number;
}

export type RunStatus = 'running' | 'ok' | 'failed' | 'partial';

export interface RunError {
  tenant?: string;
  message: string;
}

export interface RunResult {
  status: 'ok' | 'failed' | 'partial';
  /** Anything JSON-serialisable. */
  summary: unknown;
  errors: RunError[];
}

export interface Run {
  id: string;
  command: string;
  args: string[];
  host: string;
  pid: number;
  startedAt: string;
  finishedAt: string | null;
  status: RunStatus;
  summary: unknown;
  errors: RunError[];
}

export interface TenantSeen {
  id: string;
  /** The latest name the tenant was billed under, if any. */
  name: string | null;
}

export interface LedgerOptions {
  /** How long a statement waits for another process's lock (default 10000 ms). */
  busyTimeoutMs?: number;
  /** The clock for every stored instant (default: the system clock). */
  now?: () => Date;
  /**
   * Whether the owner of a pending bill still runs. Default: on this host, `kill(pid, 0)`;
   * on another host, until its heartbeat is older than `leaseMs`.
   */
  isOwnerAlive?: (owner: Owner, bill: Bill) => boolean;
  /** How long another host's claim holds without a heartbeat (default 15 minutes). */
  leaseMs?: number;
  /** SQLite journal: `wal` (default; one host) or `delete` (a ledger shared over NFS). */
  journal?: LedgerJournal;
  /** PostgreSQL: the password (`[main] database_password_file`); else PGPASSWORD or ~/.pgpass, as libpq. */
  password?: string;
  /** PostgreSQL: connections this process may hold at once (default 5; `bill` gives its concurrency + 1). */
  connections?: number;
  /** PostgreSQL: called with each password the driver used (one from ~/.pgpass too), to keep it out of output. */
  onSecret?: (secret: string) => void;
  /** For tests: the network file system a file is on (default: statfs, src/ledger/file-system.ts). */
  networkFileSystem?: (file: string) => string | undefined;
}

export type LedgerJournal = 'wal' | 'delete';
