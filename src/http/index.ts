/**
 * The HTTP client artifice shares between its telemetry collectors, Keystone and invoice adapters
 * (Odoo): retries, timeouts, TLS, one re-authentication on a 401, one-line errors without secrets.
 */
export { HttpClient, withQuery } from './client.js';
export { errorDetail, HttpError, safeUrl } from './errors.js';
export { parseRetryAfter } from './attempt.js';
export { originOf, resolveUrl, sameOrigin } from './redirect.js';
export type { AuthProvider, FetchLike, HttpIo, HttpOptions, HttpResponse, RequestInit } from './types.js';
