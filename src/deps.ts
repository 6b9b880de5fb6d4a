/**
 * What commands take from the world, injected so tests run them against twins. `processDeps()`
 * resolves every default once, here: commands use what they are given and never fall back.
 * stdout and stderr redact every secret registered in `secrets` (docs/operations.md, "Secrets"),
 * so whatever a command prints (tables, --json, errors, --verbose stacks) passes through it.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Config } from './config.js';
import { Secrets } from './model/secrets.js';
import type { Collector } from './telemetry/contract.js';
import { openCollector } from './telemetry/open.js';

/**
 * Subscribes to SIGINT/SIGTERM; the handler returns false to keep running, true to exit now, or a
 * promise to exit once it settles (the run recorded first). Returns an unsubscribe.
 */
export type OnSignal = (handler: (signal: string) => boolean | Promise<unknown>) => () => void;

export interface Deps {
  cwd: string;
  env: Record<string, string | undefined>;
  now: () => Date;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress lines and colour are allowed. */
  isTTY: boolean;
  /** stdout is a terminal: tables on stdout may be coloured. */
  stdoutIsTTY: boolean;
  readText: (file: string) => Promise<string>;
  /** This host and process: stamped on runs and claims. */
  host: string;
  pid: number;
  /** The secrets of this process: the config's, once read, and the tokens servers hand out. */
  secrets: Secrets;
  /** The telemetry source of a config ([telemetry] backend); tokens it obtains go into `secrets`. */
  openCollector: (config: Config, secrets: Secrets) => Promise<Collector>;
  onSignal: OnSignal;
  /** How often a pending bill's claim is refreshed (well inside the ledger's 15-minute lease). */
  heartbeatMs: number;
}

export const DEFAULT_HEARTBEAT_MS = 60_000;

let pipesGuarded = false;

/**
 * A reader that goes away (`artifice history | head -1`, `bill --verbose 2>&1 | head`) ends the
 * output, not the command: without a listener, the EPIPE error event would kill the process with
 * a stack trace, possibly in the middle of a bill run. Other stream errors stay fatal.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** The real process's signals: a second signal exits at once (130 for SIGINT, 143 for SIGTERM). */
export function processSignals(handler: (signal: string) => boolean | Promise<unknown>): () => void {
  const on = (signal: NodeJS.Signals) => {
    const exit = handler(signal);
    if (exit === false) return;
    const code = signal === 'SIGINT' ? 130 : 143;
    if (exit === true) process.exit(code);
    void exit.finally(() => process.exit(code));
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

/** `write`, with every secret of `secrets` replaced by `[redacted]` first: what Deps.stdout/stderr are. */
export function redacting(secrets: Secrets, write: (text: string) => void): (text: string) => void {
  return (text) => write(secrets.redact(text));
}

export function processDeps(): Deps {
  guardPipes();
  const secrets = new Secrets();
  return {
    cwd: process.cwd(),
    env: process.env,
    now: () => new Date(),
    stdout: redacting(secrets, (text) => process.stdout.write(text)),
    stderr: redacting(secrets, (text) => process.stderr.write(text)),
    isTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    readText: (file) => readFile(file, 'utf8'),
    host: os.hostname(),
    pid: process.pid,
    secrets,
    openCollector,
    onSignal: processSignals,
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
  };
}
