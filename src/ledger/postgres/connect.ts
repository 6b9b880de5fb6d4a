/**
 * Connecting to the PostgreSQL ledger: the URL as libpq reads it (`sslmode`, `sslrootcert`…), the
 * password from `[main] database_password_file`, else PGPASSWORD, else ~/.pgpass (PGPASSFILE),
 * and PostgreSQL errors as one-line LedgerErrors that show the URL without its password.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ArtificeError, LedgerError, errorMessage } from '../../model/errors.js';
import { urlPassword } from '../url.js';

/** int8 (window bounds, seq) as numbers: microseconds since 1970 stay below 2^53 until the year 2255. */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface ConnectOptions {
  password?: string;
  onSecret?: (secret: string) => void;
  /** Connections per process (default DEFAULT_CONNECTIONS). */
  poolSize?: number;
  connectTimeoutMs?: number;
}

/** `bill`'s default concurrency (4) + 1: a connection per tenant billed at once, one for the run. */
export const DEFAULT_CONNECTIONS = 5;

/**
 * Set for each session (docs/ledger.md, "PostgreSQL"): a statement that runs longer than 5 minutes,
 * or a transaction left open and idle for 1 minute (a host that stopped mid-transaction, a
 * network that dropped it), is ended by the server, so it holds no lock for long.
 */
export const STATEMENT_TIMEOUT_MS = 5 * 60_000;
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

type Connected = ((err: Error) => void) | ((err: null, client: pg.Client) => void);

/** A pool on `url`; nothing is connected until the first query. */
export function newPool(url: string, options: ConnectOptions): pg.Pool {
  const password = async (): Promise<string | undefined> => {
    const found = urlPassword(url) ?? options.password ?? (process.env.PGPASSWORD || undefined) ?? pgpassLookup(target(url));
    if (found) options.onSecret?.(found);
    return found;
  };
  // node-postgres drops a `password` function given next to a URL without a password (it reads the
  // URL's empty one instead), so each client gets it here: asked only when the server wants one.
  class LedgerClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super(config);
      (this as unknown as { password: unknown }).password = password;
    }

    // A connection refused during authentication (no password, a wrong one) is closed here: the
    // driver would leave the socket open for the server's authentication timeout.
    override connect(): Promise<pg.Client>;
    override connect(callback: Connected): void;
    override connect(callback?: Connected): Promise<pg.Client> | void {
      const close = () => void this.end().catch(() => undefined);
      if (!callback) return super.connect().catch((error: unknown) => (close(), Promise.reject(error)));
      super.connect(((error: Error | null, client?: pg.Client) => {
        if (error) close();
        (callback as (error: Error | null, client?: pg.Client) => void)(error, client);
      }) as Connected);
    }
  }
  const pool = new pg.Pool({
    connectionString: libpqCompatible(url),
    Client: LedgerClient,
    max: options.poolSize ?? DEFAULT_CONNECTIONS,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A server or a route that vanished without closing the connection is noticed.
    keepAlive: true,
    statement_timeout: STATEMENT_TIMEOUT_MS,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    application_name: 'artifice',
    types,
  } as pg.PoolConfig);
  // An idle connection the server dropped: the next query reconnects; nothing to report here.
  pool.on('error', () => undefined);
  return pool;
}

/** Host, port, database and user of `url`, with libpq's defaults, for ~/.pgpass. */
function target(url: string): { host?: string; port?: number; database?: string; user?: string } {
  try {
    const parsed = new URL(url);
    const user = decodeURIComponent(parsed.username) || process.env.PGUSER || os.userInfo().username;
    return {
      host: decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || process.env.PGHOST || 'localhost',
      port: Number(parsed.port || process.env.PGPORT || 5432),
      database: decodeURIComponent(parsed.pathname.slice(1)) || process.env.PGDATABASE || user,
      user,
    };
  } catch {
    return {};
  }
}

/**
 * `sslmode` as libpq means it (require: encrypted, certificate not checked unless sslrootcert is
 * given; verify-ca; verify-full), not node-postgres's older reading of `require` as verify-full.
 */
function libpqCompatible(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.searchParams.has('sslmode') && !parsed.searchParams.has('uselibpqcompat')) {
      parsed.searchParams.set('uselibpqcompat', 'true');
      return parsed.toString();
    }
  } catch {
    // pg reports a URL it cannot read.
  }
  return url;
}

/**
 * The password ~/.pgpass (or $PGPASSFILE) gives for this connection, as libpq reads it: lines
 * `host:port:database:user:password`, `*` matching anything, `\:` and `\\` escaped, the first
 * match wins; ignored unless the file is private (mode 0600 or stricter).
 */
export function pgpassLookup(params: { host?: string; port?: number; database?: string; user?: string }, env = process.env): string | undefined {
  const file = env.PGPASSFILE || path.join(os.homedir(), '.pgpass');
  let text: string;
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = [params.host ?? 'localhost', String(params.port ?? 5432), params.database ?? '', params.user ?? ''];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = splitPgpass(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields.slice(4).join(':');
  }
  return undefined;
}

function splitPgpass(line: string): string[] {
  const fields: string[] = [''];
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) fields[fields.length - 1] += line[++i];
    else if (c === ':' && fields.length < 5) fields.push('');
    else fields[fields.length - 1] += c;
  }
  return fields;
}

export const EXCLUSION_VIOLATION = '23P01';
/**
 * SQLSTATE deadlock_detected. Concurrent inserts that conflict on an exclusion constraint may each
 * wait for the other's transaction to learn whether they conflict, and the server then aborts one
 * of them with this instead of the constraint's error: the insert was rolled back, like a refusal.
 */
export const DEADLOCK_DETECTED = '40P01';

/** PostgreSQL failures as one-line LedgerErrors naming the ledger (its URL without the password). */
export async function pgGuard<T>(shown: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof ArtificeError) throw error;
    throw new LedgerError(`ledger ${shown}: cannot ${what}: ${pgDetail(error)}`, { cause: error });
  }
}

/** "connection refused (ECONNREFUSED)", "relation … does not exist (42P01)": one line. */
export function pgDetail(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const message = errorMessage(error).split('\n')[0]!.trim() || 'unknown error';
  return typeof code === 'string' && code !== '' ? `${message} (${code})` : message;
}
