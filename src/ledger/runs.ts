/** The `runs` table: a row per command run, from `running` to ok, failed or partial. */
import { randomUUID } from 'node:crypto';
import { LedgerError } from '../model/errors.js';
import { toRun } from './rows.js';
import type { RunRow } from './rows.js';
import type { Store } from './sqlite.js';
import type { Run, RunResult } from './types.js';

/** Records the start of a command run (status `running`) and returns its id. */
export function startRun(store: Store, command: string, args: string[], by: { host: string; pid: number }): string {
  const id = randomUUID();
  store
    .statement(`INSERT INTO runs (id, command, args, host, pid, started_at, status) VALUES (?, ?, ?, ?, ?, ?, 'running')`)
    .run(id, command, JSON.stringify(args), by.host, by.pid, store.stamp());
  return id;
}

/** running → ok | failed | partial, with a JSON summary and the per-tenant errors. */
export function finishRun(store: Store, runId: string, result: RunResult): Run {
  const changed = store
    .statement(`UPDATE runs SET finished_at = ?, status = ?, summary = ?, errors = ? WHERE id = ? AND status = 'running'`)
    .run(store.stamp(), result.status, JSON.stringify(result.summary ?? null), JSON.stringify(result.errors), runId);
  const run = selectRun(store, runId);
  if (!run) throw new LedgerError(`cannot finish run ${runId}: no such run in ledger ${store.file}`);
  if (changed.changes !== 1) throw new LedgerError(`cannot finish run ${runId}: it is already ${run.status}`);
  return run;
}

export function selectRun(store: Store, runId: string): Run | undefined {
  const row = store.statement('SELECT * FROM runs WHERE id = ?').get(runId) as RunRow | undefined;
  return row && toRun(row);
}

/** The latest `limit` runs, newest first. */
export function selectRuns(store: Store, limit: number): Run[] {
  return (store.statement('SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?').all(limit) as RunRow[]).map(toRun);
}
