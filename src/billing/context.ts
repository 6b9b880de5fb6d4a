/**
 * The types src/billing/ shares: what a bill run works with (passed as one object from the command
 * to the run and its rendering), what it stores as its summary, and what health is judged with.
 */
import type { SelectOptions } from '../commands/common.js';
import type { Config } from '../config.js';
import type { Deps } from '../deps.js';
import type { Ledger, RunError } from '../ledger.js';
import type { Outcome } from '../model/outcome.js';
import type { BillingWindow } from '../model/types.js';
import type { Output } from '../view/output.js';

export interface BillOptions extends SelectOptions {
  dryRun?: boolean;
  concurrency?: number;
  /** Read-only preview (the `usage` command): no ledger, no commit. */
  preview?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  explain?: boolean;
}

/** The parsed command, the world, the config and the window of one `bill` or `usage` command. */
export interface RunContext {
  options: BillOptions;
  deps: Deps;
  config: Config;
  window: BillingWindow;
  out: Output;
}

/** What a finished run hands to its renderer. */
export interface RunResult {
  outcomes: Outcome[];
  /** The run's ledger, still open (absent for a preview). */
  ledger?: Ledger;
  /** Errors of the run itself, shown after its outcomes (--all found nobody). */
  errors: RunError[];
  /** The signal that interrupted the run, if one did. */
  interruptedBy: string | null;
}

export type Render = (result: RunResult) => void | Promise<void>;

/** What `bill` stores as a run's summary in the `runs` table. */
export interface RunSummary {
  text: string;
  window: { label: string; start: string; end: string };
  all: boolean;
  /** The batch ran to its end over a window that was billable (not interrupted, not open). */
  complete: boolean;
  counts: Record<string, number>;
  totals: Record<string, string>;
  exit_code?: number;
}

export interface HealthContext {
  config: Config;
  now: Date;
  /** This host's name: a claim of this host is alive while its pid is. */
  host: string;
}
