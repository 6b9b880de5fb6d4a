/**
 * The HTTP client the telemetry collectors (Ceilometer v2, Gnocchi v1), Keystone and the Odoo adapter share:
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
 * Redirects: only to the same origin, at most 5 (src/http/redirect.ts).
 * Other 4xx are never retried. A `Retry-After` (seconds or an HTTP date) replaces the backoff,
 * capped by `maxBackoffMs`.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ConfigError, errorMessage } from '../model/errors.js';
import type { Secrets } from '../model/secrets.js';
import { decodeUtf8, jsonEscape } from '../model/text.js';
import { classify, IDEMPOTENT, isBroken, parseRetryAfter, PERMANENT, realSleep, Semaphore, TimeoutError, type Attempt } from './attempt.js';
import { AnswerBody } from './body.js';
import { clip, errorDetail, HttpError, oneLine, safeUrl } from './errors.js';
import { redirectTarget, REDIRECT_STATUSES, type Hop } from './redirect.js';
import type { FetchLike, HttpOptions, HttpResponse, RequestInit } from './types.js';

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
  private readonly secrets?: Secrets;
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
    this.secrets = options.secrets;
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
    const ok = (status: number) => (init.okStatuses ? init.okStatuses.includes(status) : status >= 200 && status < 300);
    const body = init.body === undefined ? undefined : typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    let hop: Hop = { method: method.toUpperCase(), url: withQuery(url, init.query), body };
    for (let redirects = 0; ; redirects++) {
      const result = await this.exchange(hop, init, ok);
      if (ok(result.status) || !REDIRECT_STATUSES.has(result.status)) return response(hop.method, hop.url, result, this.secrets);
      hop = redirectTarget(hop, result.status, result.headers.get('location'), redirects);
    }
  }

  /**
   * One request with its retries and its one re-authentication: the answer when its status is
   * `ok` or a redirect (for `request` to follow), else an HttpError.
   */
  private async exchange(hop: Hop, init: RequestInit, ok: (status: number) => boolean): Promise<Extract<Attempt, { kind: 'response' }>> {
    const { method, url: fullUrl, body } = hop;
    const idempotent = init.idempotent ?? IDEMPOTENT.has(method);
    const baseHeaders: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'artifice', ...init.headers };
    if (body !== undefined && !Object.keys(baseHeaders).some((k) => k.toLowerCase() === 'content-type')) baseHeaders['Content-Type'] = 'application/json';

    let reauthorized = false;
    let attempt = 0;
    for (;;) {
      attempt++;
      const authHeaders = init.auth ? await init.auth.headers() : {};
      const headers = { ...baseHeaders, ...authHeaders };
      const result = await this.attempt(method, fullUrl, headers, body, init.keepBytes ?? false);

      if (result.kind === 'response') {
        if (ok(result.status) || REDIRECT_STATUSES.has(result.status)) return result;
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
        const text = redacted(result.body.text(), this.secrets);
        throw new HttpError({ method, url: safeUrl(fullUrl), status: result.status, body: clip(text, 4096), detail: errorDetail(text), attempts: attempt });
      }

      const retryable = !PERMANENT.has(result.code) && (!result.sent || (idempotent && isBroken(result.code)));
      if (retryable && attempt <= this.retries) {
        await this.sleep(this.delay(attempt, null));
        continue;
      }
      const hint = result.sent && !idempotent && isBroken(result.code) ? ' (not retried: the request may have been processed)' : '';
      throw new HttpError(
        { method, url: safeUrl(fullUrl), code: result.code, detail: `${result.detail}${hint}`, attempts: attempt },
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

  private async attempt(method: string, url: string, headers: Record<string, string>, body: string | undefined, keepBytes: boolean): Promise<Attempt> {
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
        // Redirects are followed by `request`, never by fetch (see redirect.ts).
        const res = await this.fetch(url, { method, headers, body, signal: controller.signal, agent: this.agent, redirect: 'manual' });
        const answer = res.bytes ? AnswerBody.ofBytes(asBuffer(await res.bytes())) : AnswerBody.ofText(await res.text());
        if (!keepBytes) answer.text();
        return { kind: 'response' as const, status: res.status, headers: res.headers, body: answer };
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

/** The bytes as a Buffer, without copying them. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An answer's text as an error may quote it: without the secrets, before any clipping. */
function redacted(text: string, secrets: Secrets | undefined): string {
  return secrets ? secrets.redact(text) : text;
}

/** The answer; `url` is made safe to show (safeUrl) only if its JSON fails: a run makes thousands of requests. */
function response(method: string, url: string, result: Extract<Attempt, { kind: 'response' }>, secrets: Secrets | undefined): HttpResponse {
  let parsed: { value: unknown } | undefined;
  const body = result.body;
  return {
    status: result.status,
    headers: result.headers,
    get text() {
      return body.text();
    },
    bytes: () => body.bytes(),
    json<T>(): T {
      if (!parsed) {
        try {
          parsed = { value: JSON.parse(body.text()) };
        } catch (error) {
          const text = redacted(body.text(), secrets);
          const start = oneLine(text).slice(0, 80);
          const shownUrl = safeUrl(url);
          throw new HttpError(
            {
              method, url: shownUrl, status: result.status, body: clip(text, 4096), detail: 'not JSON',
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
  const bytes = async () => Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: async () => decodeUtf8(await bytes(), jsonEscape) };
};
