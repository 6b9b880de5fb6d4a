/**
 * What one attempt of a request gave, classified for the retry rules of src/http/client.ts, and
 * the small tools of retrying: Retry-After, backoff formatting, a semaphore for the requests in flight.
 */
import type { AnswerBody } from './body.js';
import { errorMessage } from '../model/errors.js';

export const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** The request never reached the server: safe to retry whatever the method. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENETDOWN']);
/** The connection broke, perhaps after the request was sent. */
const BROKEN = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);
const BROKEN_TEXT = /other side closed|socket hang up|premature close|ECONNRESET|EPIPE/i;

/** Codes after which retrying cannot help (the request will fail the same way). */
export const PERMANENT = new Set(['ENOTFOUND', 'ERR_INVALID_URL', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);

export function isBroken(code: string): boolean {
  return BROKEN.has(code) || code === 'timeout' || code === 'ECONNRESET';
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
export class Semaphore {
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

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TimeoutError extends Error {
  readonly code = 'timeout';
}

/** What one attempt gave: a response, or a network failure classified for retrying. */
export type Attempt =
  | { kind: 'response'; status: number; headers: { get(name: string): string | null }; body: AnswerBody }
  | { kind: 'error'; code: string; detail: string; sent: boolean; cause: unknown };

export function classify(error: unknown, timeoutMs: number): Attempt {
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

