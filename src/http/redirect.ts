/**
 * Redirects, followed by hand (`redirect: 'manual'`): a request carries credentials (a Keystone
 * token, Gnocchi's basic auth, an Odoo password in the body), and fetch would send them to
 * whatever host a `Location` names. So only a redirect to the same origin (scheme, host and
 * port) is followed, a bounded number of times; one to another origin fails the request,
 * naming that origin, and nothing is sent there.
 */
import { HttpError, safeUrl } from './errors.js';

/** One request of a chain of redirects. */
export interface Hop {
  method: string;
  url: string;
  body?: string;
}

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Redirects followed for one request before giving up. */
export const MAX_REDIRECTS = 5;

/** `scheme://host[:port]` of a URL (default ports left out), or undefined if it is not a URL. */
export function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Whether `url` (absolute, or relative to `base`) has the origin of `base`. */
export function sameOrigin(url: string, base: string): boolean {
  const origin = originOf(resolveUrl(url, base) ?? '');
  return origin !== undefined && origin === originOf(base);
}

/** `url` read relative to `base`, as an absolute URL; undefined if it cannot be read. */
export function resolveUrl(url: string, base: string): string | undefined {
  try {
    return new URL(url.trim(), base).toString();
  } catch {
    return undefined;
  }
}

/**
 * The request a redirect answer asks for, or an HttpError when it must not be followed: no
 * `Location`, another origin, too many redirects, or a 301/302 of a request that is not a GET or
 * HEAD (following it would turn it into a GET without its body). 303 is followed as a GET.
 */
export function redirectTarget(hop: Hop, status: number, location: string | null, redirects: number): Hop {
  const fail = (detail: string) => new HttpError({ method: hop.method, url: safeUrl(hop.url), status, detail });
  if (location === null || location.trim() === '') throw fail('a redirect without a Location header');
  let target: URL;
  try {
    target = new URL(location.trim(), hop.url);
  } catch {
    throw fail(`a redirect to an unreadable Location (${safeUrl(location)})`);
  }
  if (!sameOrigin(target.toString(), hop.url)) {
    throw fail(`a redirect to another origin, ${target.origin}; not followed, as credentials are never sent to another server`);
  }
  if (redirects >= MAX_REDIRECTS) throw fail(`more than ${MAX_REDIRECTS} redirects; the last one to ${safeUrl(target.toString())}`);
  if (status === 303) return { method: 'GET', url: target.toString() };
  if ((status === 301 || status === 302) && hop.method !== 'GET' && hop.method !== 'HEAD') {
    throw fail(`a ${status} redirect of a ${hop.method} to ${safeUrl(target.toString())}; not followed, as it would drop the request body`);
  }
  return { ...hop, url: target.toString() };
}
