/**
 * Error classes users see as one line. Each carries the exit code of README "Exit codes" so the CLI maps
 * errors to exit codes in one place; `cause` keeps the underlying error for `--verbose`.
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
