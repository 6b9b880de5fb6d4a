/**
 * What commands take from the world, injected so tests run them against twins. `processDeps()`
 * resolves every default once, here: commands use what they are given and never fall back.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { Config } from './config.js';
import type { Collector } from './telemetry/contract.js';
import { openCollector } from './telemetry/open.js';

/** Subscribes to SIGINT/SIGTERM; the handler returns true when the process should exit now. Returns an unsubscribe. */
export type OnSignal = (handler: (signal: string) => boolean) => () => void;

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
  /** The telemetry source of a config ([telemetry] backend). */
  openCollector: (config: Config) => Promise<Collector>;
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
export function processSignals(handler: (signal: string) => boolean): () => void {
  const on = (signal: NodeJS.Signals) => {
    if (handler(signal)) process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  return () => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  };
}

export function processDeps(): Deps {
  guardPipes();
  return {
    cwd: process.cwd(),
    env: process.env,
    now: () => new Date(),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    isTTY: Boolean(process.stderr.isTTY),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    readText: (file) => readFile(file, 'utf8'),
    host: os.hostname(),
    pid: process.pid,
    openCollector,
    onSignal: processSignals,
    heartbeatMs: DEFAULT_HEARTBEAT_MS,
  };
}
