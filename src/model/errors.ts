/**
 * Error classes users see as one line. Each carries the exit code of README "Exit codes";
 * `exitCodeOf` and `oneLine` are the one place an error becomes an exit code and a line of text.
 * `cause` keeps the underlying error for `--verbose`.
 */
export const EXIT = { ok: 0, someFailed: 1, usage: 2, notBillable: 3 } as const;

export class ArtificeError extends Error {
  readonly exitCode: number = EXIT.someFailed;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration file or value: names the file, section and key. Exit 2. */
export class ConfigError extends ArtificeError {
  override readonly exitCode = EXIT.usage;
}

/** Bad command-line arguments. Exit 2. */
export class UsageError extends ArtificeError {
  override readonly exitCode = EXIT.usage;
}

/** A window that cannot be billed now: open, overlapping, or claimed by a live run. Exit 3. */
export class WindowError extends ArtificeError {
  override readonly exitCode = EXIT.notBillable;
}

/** Telemetry could not be read (file, HTTP, bad answer). Fails the tenant. */
export class TelemetryError extends ArtificeError {}

/** The invoice adapter could not be loaded (exit 2) or failed while billing (fails the tenant). */
export class AdapterError extends ArtificeError {
  override readonly exitCode: number = EXIT.usage;
}

/** Telemetry that reads fine but cannot be billed as it is (a negative gauge, only untrusted samples). Fails the tenant. */
export class DataError extends ArtificeError {}

/** A service without a price, or another pricing problem. Fails the tenant. */
export class PricingError extends ArtificeError {}

/** The SQLite ledger could not be opened or is inconsistent. Exit 2. */
export class LedgerError extends ArtificeError {
  override readonly exitCode: number = EXIT.usage;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The exit code of a command that stopped on `error`: the error's own, else 1. */
export function exitCodeOf(error: unknown): number {
  return error instanceof ArtificeError ? error.exitCode : EXIT.someFailed;
}

/**
 * `error` as one line for people: an ArtificeError's message (written for them), else the first
 * line of whatever was thrown (a library's multi-line message, a stack-like text).
 */
export function oneLine(error: unknown): string {
  return error instanceof ArtificeError ? error.message : firstLine(error);
}

/** The first line of whatever was thrown, ArtificeError or not: a cause inside another message. */
export function firstLine(error: unknown): string {
  return errorMessage(error).split('\n')[0]!;
}
