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

export function processDeps(): Deps {
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
