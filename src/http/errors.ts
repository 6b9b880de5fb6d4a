/** HttpError and the pieces of its one-line messages: status texts, URLs without secrets, the server's own explanation. */
import { TelemetryError } from '../model/errors.js';

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

const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed',
  406: 'Not Acceptable', 409: 'Conflict', 410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};


function statusText(status: number): string {
  return STATUS_TEXT[status] ?? '';
}

export function oneLine(text: string): string {
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

export function clip(text: string, max = 300): string {
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
