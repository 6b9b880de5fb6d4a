/**
 * Odoo's external JSON-RPC API (`POST <url>/jsonrpc`) over artifice's shared HTTP client
 * (re-exported by src/invoice/adapter.ts: timeouts, retries with backoff, keep-alive, TLS `ca_file`/`insecure`,
 * an injectable fetch), with errors as one line that never contain the password or API key.
 *
 * Two kinds of failure, kept apart because the adapter's idempotency depends on it:
 * - `OdooServerError`: Odoo answered with its error envelope
 *   `{"error": {"code": 200, "message": "Odoo Server Error", "data": {"name", "message", "debug"}}}`.
 *   The call's transaction was rolled back: nothing was written.
 * - `OdooTransportError`: no usable answer (network error, timeout, HTTP 5xx, not JSON). For a
 *   `create`, the record MAY exist (`ambiguous`): look for it before creating again.
 *
 * Calls marked `retry` (reads, login) are retried by the HTTP client after a broken connection
 * or a timeout; a create is sent once (the HTTP client never repeats a non-idempotent POST that
 * may have been processed) and the adapter decides what to do (session.ts `findOrCreate`).
 */
import { AdapterError, HttpClient, HttpError, Secrets, type FetchLike } from '../../src/invoice/adapter.js';

export type Fetch = FetchLike;

export interface RpcOptions {
  /** Base URL of the Odoo server, without /jsonrpc. */
  url: string;
  fetch?: Fetch;
  /** Milliseconds one request may take, answer included. */
  timeoutMs: number;
  /** Extra attempts for calls that are safe to repeat (reads, login). */
  retries: number;
  /** First backoff before a retry (doubles, with jitter); default 200 ms. */
  backoffMs?: number;
  caFile?: string;
  insecure?: boolean;
  /** Values that must never appear in a message (password, API key). */
  secrets: string[];
}

export class OdooError extends AdapterError {}

/** Odoo's error envelope: the call was refused and rolled back. */
export class OdooServerError extends OdooError {
  constructor(message: string, readonly odooName: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No usable answer. `ambiguous`: the request may have reached Odoo and done its work. */
export class OdooTransportError extends OdooError {
  constructor(message: string, readonly ambiguous: boolean, options?: { cause?: unknown }) {
    super(message, options);
  }
}

interface Envelope {
  result?: unknown;
  error?: { code?: number; message?: string; data?: { name?: string; message?: string; debug?: string } };
}

/** Network errors where the request never left: nothing can have been created. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENETDOWN', 'ENOTFOUND']);

let nextId = 1;

export class JsonRpc {
  readonly endpoint: string;
  private readonly http: HttpClient;
  private readonly secrets = new Secrets();

  constructor(options: RpcOptions) {
    this.endpoint = `${options.url.replace(/\/+$/, '')}/jsonrpc`;
    for (const secret of options.secrets) this.secrets.add(secret);
    this.http = new HttpClient({
      // The client redacts an answer it quotes before cutting it short: a secret cut in two
      // by the cut would no longer be found by scrub().
      secrets: this.secrets,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      backoffMs: options.backoffMs ?? 200,
      maxBackoffMs: 5000,
      fetch: options.fetch,
      caFile: options.caFile,
      insecure: options.insecure,
    });
  }

  /** Calls `service.method(...args)`; `retry`: safe to repeat (it only reads). */
  async call(service: string, method: string, args: unknown[], what: string, retry: boolean): Promise<unknown> {
    let text: string;
    try {
      const response = await this.http.request('POST', this.endpoint, {
        body: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: nextId++ },
        idempotent: retry,
      });
      text = response.text;
    } catch (error) {
      throw this.transportError(error, what);
    }
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      throw new OdooTransportError(`Odoo ${this.endpoint}: ${what}: the answer is not JSON (is url the Odoo server?)`, false);
    }
    if (envelope && typeof envelope === 'object' && envelope.error) {
      const data = envelope.error.data ?? {};
      const name = data.name ?? '';
      const message = firstLine(data.message || envelope.error.message || 'Odoo Server Error');
      const short = name ? ` (${name.replace(/^odoo\.exceptions\./, '')})` : '';
      throw new OdooServerError(`Odoo ${this.endpoint}: ${what}: ${this.scrub(message)}${short}`, name);
    }
    if (!envelope || typeof envelope !== 'object' || !('result' in envelope)) {
      throw new OdooTransportError(`Odoo ${this.endpoint}: ${what}: the answer is not a JSON-RPC result`, false);
    }
    return envelope.result;
  }

  private transportError(error: unknown, what: string): Error {
    if (!(error instanceof HttpError)) return error instanceof Error ? error : new Error(String(error));
    if (error.status === 404) {
      return new OdooTransportError(`Odoo ${this.endpoint}: HTTP 404: no Odoo JSON-RPC endpoint there; check [invoice:object] url`, false, { cause: error });
    }
    // 500/502/504 (a proxy that gave up waiting), a timeout or a broken connection: Odoo may
    // have done the work. A refused connection or 503/429 (not processed): it has not.
    const ambiguous = error.status !== undefined ? [500, 502, 504].includes(error.status) : !NOT_SENT.has(error.code ?? '');
    const detail = error.status !== undefined ? `HTTP ${error.status}${error.detail ? ` ${error.detail}` : ''}` : (error.detail ?? error.code ?? 'network error');
    const attempts = error.attempts > 1 ? ` (${error.attempts} attempts)` : '';
    return new OdooTransportError(`Odoo ${this.endpoint}: ${what}: ${this.scrub(firstLine(detail))}${attempts}`, ambiguous, { cause: error });
  }

  /** Removes secrets, in any encoding a server may quote them in, from text that came from elsewhere. */
  scrub(text: string): string {
    return this.secrets.redact(text);
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
