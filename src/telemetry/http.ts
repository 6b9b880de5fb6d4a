/**
 * The HTTP client the telemetry collectors (Ceilometer v2, Gnocchi v1) and Keystone share:
 * node-fetch 3 over keep-alive agents, a timeout per attempt, retries with exponential backoff
 * and full jitter, a bounded number of requests in flight, TLS `ca_file` / `insecure`, one
 * re-authentication on a 401, and errors that fit on one line and never carry a secret.
 *
 * What is retried (up to `retries` more attempts):
 * - a connection that was refused (ECONNREFUSED, EHOSTUNREACH…): the request never left, so
 *   any method;
 * - a network error after the request may have been sent (ECONNRESET, "socket hang up", "other
 *   side closed", EPIPE) or a timeout: only idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS,
 *   or `idempotent: true`, e.g. Gnocchi's search and aggregates POSTs, which only read). A
 *   keep-alive socket the server closed without `Connection: close` (Gnocchi under uwsgi,
 *   docs/gnocchi.md, "Keep-alive") shows up exactly like this, so a GET that hits one is retried;
 * - 429 and 503 (the server says it did not process the request): any method;
 * - other 5xx: idempotent requests only.
 * Other 4xx are never retried. A `Retry-After` (seconds or an HTTP date) replaces the backoff,
 * capped by `maxBackoffMs`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ConfigError, TelemetryError, errorMessage } from '../model/errors.js';
import { decodeUtf8, jsonEscape } from '../model/text.js';

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal; agent?: unknown },
) => Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }>;

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
}

/** Test and caller seams for what touches the world; the same shape as the HttpOptions fields. */
export type HttpIo = Pick<HttpOptions, 'fetch' | 'sleep' | 'random' | 'now'>;

export interface HttpResponse {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
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
}

/** An HTTP request that failed: one line naming method, URL (no secrets), status and the server's own message. */
export class HttpError extends TelemetryError {
  readonly method: string;
  readonly url: string;
  readonly status?: number;
  readonly body?: string;
  readonly detail?: string;
  /** A network error code (ECONNRESET…) or `timeout`, when there was no response. */
  readonly code?: string;
  readonly attempts: number;

  constructor(
    init: { method: string; url: string; status?: number; body?: string; detail?: string; code?: string; attempts?: number; message?: string },
    options?: { cause?: unknown },
  ) {
    const attempts = init.attempts ?? 1;
    const tail = attempts > 1 ? ` (${attempts} attempts)` : '';
    const message =
      init.message ??
      (init.status !== undefined
        ? `${init.method} ${init.url} → ${init.status} ${statusText(init.status)}${init.detail ? `: ${init.detail}` : ''}${tail}`
        : `${init.method} ${init.url} failed: ${init.detail ?? init.code ?? 'network error'}${tail}`);
    super(oneLine(message), options);
    this.method = init.method;
    this.url = init.url;
    this.status = init.status;
    this.body = init.body;
    this.detail = init.detail;
    this.code = init.code;
    this.attempts = attempts;
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** The request never reached the server: safe to retry whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENETDOWN']);
/** The connection broke, perhaps after the request was sent. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);
const BROKEN_TEXT = /other side closed|socket hang up|premature close|ECONNRESET|EPIPE/i;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

const SECRET_PARAM = /pass|secret|token|key|signature|credential|auth/i;

/**
 * The URL as it may appear in a message: no `user:password@`, and the value of any query
 * parameter whose name looks secret replaced by `***`.
 */
export function safeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//').replace(/([?&][^=&]*(?:pass|secret|token|key|signature|credential|auth)[^=&]*=)[^&]*/gi, '$1***');
  }
  parsed.username = '';
  parsed.password = '';
  if (parsed.search) {
    const parts = parsed.search.slice(1).split('&').map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && SECRET_PARAM.test(decodeURIComponentSafe(key)) ? `${key}=***` : pair;
    });
    parsed.search = `?${parts.join('&')}`;
  }
  return parsed.toString();
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function stripHtml(text: string): string {
  return oneLine(text.replace(/<head[\s\S]*?<\/head>/i, ' ').replace(/<[^>]*>/g, ' ').replace(/&nbsp;/g, ' '));
}

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The server's own explanation in an error body: Ceilometer `{"error_message": {"faultstring"}}`
 * or `{"error_message": "<text>"}`, Gnocchi `{"description": "..."}` or
 * `{"description": {"cause", "reason", "detail"}}`, Keystone `{"error": {"message"}}`, webob's
 * `{"title", "explanation"}`, or else the text itself (HTML stripped). One line, clipped.
 */
export function errorDetail(body: string): string | undefined {
  const text = body.trim();
  if (text === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return clip(stripHtml(text)) || undefined;
  }
  const found = detailOf(json);
  return found === undefined ? clip(oneLine(text)) : clip(oneLine(found)) || undefined;
}

function detailOf(json: unknown): string | undefined {
  if (typeof json === 'string') return stripHtml(json);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined;
  const o = json as Record<string, unknown>;
  if ('error_message' in o) {
    const em = o.error_message;
    if (typeof em === 'string') {
      // The middleware wraps non-JSON bodies as a string; it may itself be JSON text.
      try {
        return detailOf(JSON.parse(em)) ?? stripHtml(em);
      } catch {
        return stripHtml(em);
      }
    }
    if (em && typeof em === 'object') {
      const e = em as Record<string, unknown>;
      if (typeof e.faultstring === 'string') return e.faultstring;
      return detailOf(em);
    }
  }
  if ('description' in o) {
    const d = o.description;
    if (typeof d === 'string') return d;
    if (d && typeof d === 'object') {
      const { cause, reason, detail } = d as Record<string, unknown>;
      const parts = [cause, reason].filter((p): p is string => typeof p === 'string' && p !== '');
      let text = parts.join(': ');
      if (detail !== undefined && detail !== null) text += `${text ? ' ' : ''}(${typeof detail === 'string' ? detail : JSON.stringify(detail)})`;
      return text || JSON.stringify(d);
    }
  }
  if (o.error && typeof o.error === 'object') {
    const e = o.error as Record<string, unknown>;
    if (typeof e.message === 'string') return e.message;
  }
  if (typeof o.faultstring === 'string') return o.faultstring;
  if (typeof o.message === 'string') return o.message;
  if (typeof o.explanation === 'string') return typeof o.title === 'string' ? `${o.title}: ${o.explanation}` : o.explanation;
  if (typeof o.title === 'string') return o.title;
  return undefined;
}

/** Seconds or an HTTP date → milliseconds to wait from `now`; undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** A small FIFO semaphore. */
class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly size: number) {}

  async acquire(): Promise<() => void> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

class TimeoutError extends Error {
  readonly code = 'timeout';
}

/** What one attempt gave: a response, or a network failure classified for retrying. */
type Attempt =
  | { kind: 'response'; status: number; headers: { get(name: string): string | null }; text: string }
  | { kind: 'error'; code: string; detail: string; sent: boolean; cause: unknown };

function classify(error: unknown, timeoutMs: number): Attempt {
  if (error instanceof TimeoutError) {
    return { kind: 'error', code: 'timeout', detail: `timed out after ${formatSeconds(timeoutMs)}`, sent: true, cause: error };
  }
  const e = error as { code?: unknown; errno?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown }; name?: unknown } | undefined;
  const code = String(e?.code ?? e?.cause?.code ?? e?.errno ?? '') || undefined;
  const message = errorMessage(error);
  // node-fetch: "request to http://… failed, reason: socket hang up" — keep the reason, not the URL.
  const reason = message.replace(/^request to \S+ failed, reason:\s*/, '');
  if (code && NOT_SENT.has(code)) return { kind: 'error', code, detail: `${code} ${reason}`.trim(), sent: false, cause: error };
  if ((code && BROKEN.has(code)) || BROKEN_TEXT.test(message)) {
    const c = code ?? 'ECONNRESET';
    return { kind: 'error', code: c, detail: reason.includes(c) ? reason : `${c} ${reason}`, sent: true, cause: error };
  }
  // Unknown failure (DNS ENOTFOUND, TLS certificate, bad URL…): reported, not retried.
  return { kind: 'error', code: code ?? 'error', detail: code && !reason.includes(code) ? `${code} ${reason}` : reason, sent: true, cause: error };
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(ms < 1000 ? 3 : 1).replace(/\.?0+$/, '')} s`;
}

/** Codes after which retrying cannot help (the request will fail the same way). */
const PERMANENT = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

export class HttpClient {
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly fetch: FetchLike;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly semaphore: Semaphore;
  private readonly agents?: { http: http.Agent; https: https.Agent };
  private readonly agent?: (url: URL) => http.Agent;

  constructor(options: HttpOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30000;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
    this.sleep = options.sleep ?? realSleep;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.semaphore = new Semaphore(concurrency);
    let ca: Buffer | undefined;
    if (options.caFile !== undefined) {
      try {
        ca = readFileSync(options.caFile);
      } catch (error) {
        throw new ConfigError(`cannot read the CA file ${options.caFile} ([telemetry] ca_file): ${errorMessage(error)}`, { cause: error });
      }
    }
    const keepAlive = options.keepAlive ?? true;
    this.agents = {
      http: new http.Agent({ keepAlive, maxSockets: concurrency }),
      https: new https.Agent({ keepAlive, maxSockets: concurrency, ca, rejectUnauthorized: !options.insecure }),
    };
    const agents = this.agents;
    this.agent = (url) => (url.protocol === 'https:' ? agents.https : agents.http);
    this.fetch = options.fetch ?? nodeFetch;
  }

  async request(method: string, url: string, init: RequestInit = {}): Promise<HttpResponse> {
    method = method.toUpperCase();
    const fullUrl = withQuery(url, init.query);
    const shownUrl = safeUrl(fullUrl);
    const idempotent = init.idempotent ?? IDEMPOTENT.has(method);
    const ok = (status: number) => (init.okStatuses ? init.okStatuses.includes(status) : status >= 200 && status < 300);
    const baseHeaders: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'artifice', ...init.headers };
    let body: string | undefined;
    if (init.body !== undefined) {
      body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      if (!Object.keys(baseHeaders).some((k) => k.toLowerCase() === 'content-type')) baseHeaders['Content-Type'] = 'application/json';
    }

    let reauthorized = false;
    let attempt = 0;
    for (;;) {
      attempt++;
      const authHeaders = init.auth ? await init.auth.headers() : {};
      const headers = { ...baseHeaders, ...authHeaders };
      const result = await this.attempt(method, fullUrl, headers, body);

      if (result.kind === 'response') {
        if (ok(result.status)) return response(method, shownUrl, result);
        if (result.status === 401 && init.auth && !reauthorized) {
          // An expired or revoked token: get a fresh one and try once more (not counted as a retry).
          reauthorized = true;
          init.auth.invalidate(authHeaders);
          attempt--;
          continue;
        }
        const retryable = result.status === 429 || result.status === 503 || (result.status >= 500 && idempotent);
        if (retryable && attempt <= this.retries) {
          await this.sleep(this.delay(attempt, result.headers.get('retry-after')));
          continue;
        }
        throw new HttpError({
          method, url: shownUrl, status: result.status, body: clip(result.text, 4096), detail: errorDetail(result.text), attempts: attempt,
        });
      }

      const retryable = !PERMANENT.has(result.code) && (!result.sent || (idempotent && isBroken(result.code)));
      if (retryable && attempt <= this.retries) {
        await this.sleep(this.delay(attempt, null));
        continue;
      }
      const hint = result.sent && !idempotent && isBroken(result.code) ? ' (not retried: the request may have been processed)' : '';
      throw new HttpError(
        { method, url: shownUrl, code: result.code, detail: `${result.detail}${hint}`, attempts: attempt },
        { cause: result.cause },
      );
    }
  }

  /** Releases the keep-alive sockets. Safe to call twice. */
  close(): void {
    this.agents?.http.destroy();
    this.agents?.https.destroy();
  }

  /** Backoff before attempt `attempt + 1`: full jitter over an exponential ceiling, or the server's Retry-After. */
  private delay(attempt: number, retryAfter: string | null): number {
    const asked = parseRetryAfter(retryAfter, this.now());
    if (asked !== undefined) return Math.min(asked, this.maxBackoffMs);
    const ceiling = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempt - 1));
    return Math.floor(this.random() * ceiling);
  }

  private async attempt(method: string, url: string, headers: Record<string, string>, body: string | undefined): Promise<Attempt> {
    const release = await this.semaphore.acquire();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new TimeoutError(`timed out after ${this.timeoutMs} ms`));
        controller.abort();
      }, this.timeoutMs);
    });
    try {
      const exchange = (async () => {
        const res = await this.fetch(url, { method, headers, body, signal: controller.signal, agent: this.agent });
        const text = await res.text();
        return { kind: 'response' as const, status: res.status, headers: res.headers, text };
      })();
      exchange.catch(() => undefined);
      return await Promise.race([exchange, timeout]);
    } catch (error) {
      return classify(error, this.timeoutMs);
    } finally {
      clearTimeout(timer);
      release();
    }
  }
}

function isBroken(code: string): boolean {
  return BROKEN.has(code) || code === 'timeout' || code === 'ECONNRESET';
}

function response(method: string, shownUrl: string, result: Extract<Attempt, { kind: 'response' }>): HttpResponse {
  let parsed: { value: unknown } | undefined;
  return {
    status: result.status,
    headers: result.headers,
    text: result.text,
    json<T>(): T {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(result.text) };
        } catch (error) {
          const start = oneLine(result.text).slice(0, 80);
          throw new HttpError(
            {
              method, url: shownUrl, status: result.status, body: clip(result.text, 4096), detail: 'not JSON',
              message: `${method} ${shownUrl} → ${result.status}: the answer is not JSON (${start ? `starts '${start}'` : 'empty'})`,
            },
            { cause: error },
          );
        }
      }
      return parsed.value as T;
    },
  };
}

/** Appends `query` (ordered, repeated keys kept) to `url`. */
export function withQuery(url: string, query: [string, string][] | undefined): string {
  if (!query || query.length === 0) return url;
  const text = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return `${url}${url.includes('?') ? '&' : '?'}${text}`;
}

/** node-fetch 3, loaded on first use (an ES module); bytes that are not UTF-8 read as `\xNN` (src/model/text.ts). */
const nodeFetch: FetchLike = async (url, init) => {
  const { default: fetch } = await import('node-fetch');
  const res = await fetch(url, init as Parameters<typeof fetch>[1]);
  return { status: res.status, headers: res.headers, text: async () => decodeUtf8(Buffer.from(await res.arrayBuffer()), jsonEscape) };
};
