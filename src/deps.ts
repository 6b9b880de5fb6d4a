/** What commands take from the world, injected so tests run them against twins. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export interface Deps {
  cwd: string;
  env: Record<string, string | undefined>;
  now: () => Date;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress lines and colour are allowed. */
  isTTY: boolean;
  /** stdout is a terminal: tables on stdout may be coloured (absent: treated as not a terminal). */
  stdoutIsTTY?: boolean;
  readText: (file: string) => Promise<string>;
  host: string;
  pid: number;
}

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
  };
}
