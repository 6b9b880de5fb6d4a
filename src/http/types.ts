/** The shapes of the shared HTTP client (src/http/client.ts): its options, requests and answers. */
import type { Secrets } from '../model/secrets.js';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; agent?: unknown; redirect?: 'manual' },
) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  /** The body's bytes (the Fetch standard's `Response.bytes()`), when the fetch has them: read instead of `text()`, which is then never called. */
  bytes?(): Promise<Uint8Array>;
}>;

/**
 * Supplies auth headers; on a 401 the client calls `invalidate()` and retries once with fresh
 * headers. It passes the headers the refused request carried, so a provider can ignore a 401
 * earned by a token it has already replaced (concurrent requests then renew it only once).
 */
export interface AuthProvider {
  headers(): Promise<Record<string, string>>;
  invalidate(used?: Record<string, string>): void;
}

export interface HttpOptions {
  /** Per attempt, from sending the request to the last byte of the body. Default 30000. */
  timeoutMs?: number;
  /** Further attempts after the first. Default 4. */
  retries?: number;
  /** First backoff; doubles each retry, full jitter. Default 500. */
  backoffMs?: number;
  /** Cap of one backoff, and of a `Retry-After`. Default 30000. */
  maxBackoffMs?: number;
  /** Requests in flight at once (over all callers of this client). Default 8. */
  concurrency?: number;
  /** PEM file of the CA certificates to trust for https; it replaces Node's default list. */
  caFile?: string;
  /** Skip TLS certificate verification (explicit, never a default). */
  insecure?: boolean;
  /**
   * Reuse connections (default true). A server that closes each connection after one answer
   * without saying so (Gnocchi under uwsgi http-socket, docs/gnocchi.md, "Keep-alive") makes pooled
   * sockets fail now and then, under concurrency on every retry: turn it off for such a server.
   */
  keepAlive?: boolean;
  /** Default: node-fetch 3 with keep-alive http/https agents. */
  fetch?: FetchLike;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. Default Math.random. */
  random?: () => number;
  /** Epoch ms, to read a `Retry-After` HTTP date. Default Date.now. */
  now?: () => number;
  /**
   * Taken out of an answer before an HttpError quotes it (Deps.secrets), so that clipping the
   * quote to one line never leaves part of a secret a server echoed back.
   */
  secrets?: Secrets;
}

/** Test and caller seams for what touches the world; the same shape as the HttpOptions fields. */
export type HttpIo = Pick<HttpOptions, 'fetch' | 'sleep' | 'random' | 'now'>;

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** The body as UTF-8 text (with `keepBytes`, decoded on first read). */
  readonly text: string;
  /** The body's bytes (a reader that parses them itself, e.g. Gnocchi's measures, asks for them with `keepBytes`). */
  bytes(): Buffer;
  /** The body parsed as JSON; throws an HttpError naming method and URL if it is not JSON. */
  json<T = unknown>(): T;
}

export interface RequestInit {
  headers?: Record<string, string>;
  /** Query parameters, in order; a key may repeat (Ceilometer's q.field/q.op/q.type/q.value). */
  query?: [string, string][];
  /** JSON-encoded; sets Content-Type. */
  body?: unknown;
  auth?: AuthProvider;
  /** Statuses that are answers rather than errors. Default: any 2xx. */
  okStatuses?: number[];
  /** The request only reads (or may be repeated safely): retry it after network errors and 5xx. Default: by method. */
  idempotent?: boolean;
  /**
   * The caller reads the answer's bytes (`HttpResponse.bytes()`): its text is decoded only if
   * asked. Default: the text is decoded as the answer arrives and the bytes let go at once,
   * which keeps large answers (Ceilometer's pages) from outliving their first garbage collection.
   */
  keepBytes?: boolean;
}
