/**
 * How a command talks to people: colour only on a terminal (NO_COLOR / FORCE_COLOR respected),
 * `--quiet` and `--verbose`, and stderr lines that never disturb a progress line.
 *
 * Decisions (README "Output"):
 * - Colour is decided per stream: stderr by `deps.isTTY`, stdout by `deps.stdoutIsTTY`. A
 *   non-empty `NO_COLOR` turns it off; `FORCE_COLOR` (0/false: off, 1/true/empty: 16 colours,
 *   2: 256, 3: truecolor) overrides both the terminal test and NO_COLOR, as in Node.js itself.
 *   `TERM=dumb` is not a colour terminal.
 * - Progress (a redrawn `\r` line) only when stderr is a terminal, and never with `--quiet`
 *   or `--json`; cron and CI get plain lines only.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { Deps } from '../deps.js';

export type ColorLevel = 0 | 1 | 2 | 3;

/** The colour level for a stream: see the module comment for the rules. */
export function colorLevel(isTTY: boolean, env: Record<string, string | undefined>): ColorLevel {
  const force = env.FORCE_COLOR;
  if (force !== undefined) {
    const value = force.trim().toLowerCase();
    if (value === '' || value === 'true' || value === '1') return 1;
    if (value === '0' || value === 'false') return 0;
    if (value === '2') return 2;
    if (value === '3') return 3;
    // Anything else: ignore FORCE_COLOR and decide as if it were not set.
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 0;
  if (!isTTY) return 0;
  if (env.TERM === 'dumb') return 0;
  return 1;
}

export interface OutputOptions {
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
}

export class Output {
  /** Styles for stdout and for stderr text (no-ops when colour is off). */
  readonly out: ChalkInstance;
  readonly err: ChalkInstance;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
  /** A progress line may be drawn on stderr. */
  readonly progress: boolean;
  /** Clears the progress line before a stderr line is written; set by Progress. */
  private clearLine: (() => void) | undefined;
  private redrawLine: (() => void) | undefined;

  constructor(private readonly deps: Deps, options: OutputOptions = {}) {
    this.quiet = Boolean(options.quiet);
    this.verbose = Boolean(options.verbose) && !this.quiet;
    this.json = Boolean(options.json);
    this.out = new Chalk({ level: colorLevel(Boolean(deps.stdoutIsTTY), deps.env) });
    this.err = new Chalk({ level: colorLevel(deps.isTTY, deps.env) });
    this.progress = deps.isTTY && !this.quiet && !this.json && deps.env.TERM !== 'dumb';
  }

  stdout(text: string): void {
    this.deps.stdout(text);
  }

  /** A line on stderr (newline added), drawn above the progress line if there is one. */
  line(text: string): void {
    this.clearLine?.();
    this.deps.stderr(`${text}\n`);
    this.redrawLine?.();
  }

  /** `warning: …` on stderr, unless --quiet. */
  warn(text: string): void {
    if (!this.quiet) this.line(`${this.err.yellow('warning:')} ${text}`);
  }

  /** An error line on stderr: always shown, --quiet included. */
  error(text: string): void {
    this.line(`${this.err.red('error:')} ${text}`);
  }

  /** A detail line on stderr, only with --verbose. */
  detail(text: string): void {
    if (this.verbose) this.line(text);
  }

  /** Raw stderr, for the progress line itself. */
  rawStderr(text: string): void {
    this.deps.stderr(text);
  }

  attachProgress(clear: () => void, redraw: () => void): void {
    this.clearLine = clear;
    this.redrawLine = redraw;
  }

  detachProgress(): void {
    this.clearLine = undefined;
    this.redrawLine = undefined;
  }
}

/** `45 s`, `3 min 5 s`, `2 h 4 min`: durations for people. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}
