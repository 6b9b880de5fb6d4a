/**
 * Gnocchi's resource search (docs/gnocchi.md, "What is read"): the filter of the resources that
 * lived in a window, and the paging of `POST /v1/search/resource/{type}` by `Link: rel="next"`.
 */
import { originOf, resolveUrl, sameOrigin, type HttpResponse, type RequestInit } from '../../http/index.js';
import { formatTimestamp, type Micros } from '../../model/time.js';
import { GnocchiProblem } from './problem.js';
import type { GnocchiResourceRow } from './samples.js';

/** One Gnocchi request, with the collector's auth. */
export type GnocchiRequest = (method: string, url: string, init?: Omit<RequestInit, 'auth'>) => Promise<HttpResponse>;

/** The target of a `Link: <…>; rel="next"` header, as written (maybe relative), if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1]!;
  }
  return undefined;
}

/** The `marker` of a `Link: <…>; rel="next"` header, if any. */
export function nextMarker(link: string | null): string | undefined {
  return markerOf(nextLink(link));
}

function markerOf(href: string | undefined): string | undefined {
  if (href === undefined) return undefined;
  const query = href.split('?')[1] ?? '';
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === 'marker') return decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
  }
  return undefined;
}

/**
 * The search filter: the tenant's resources that lived in [start, end). With `history`, also
 * only the revisions still in force at `start` or later (an older one cannot be the revision of
 * any instant of the window; the current one, `revision_end` null, always matches).
 */
export function aliveFilter(projectId: string | null, start: Micros, end: Micros, history = false): unknown {
  const clauses: unknown[] = [
    { '<': { started_at: formatTimestamp(end) } },
    { or: [{ '=': { ended_at: null } }, { '>=': { ended_at: formatTimestamp(start) } }] },
  ];
  if (projectId !== null) clauses.unshift({ '=': { project_id: projectId } });
  if (history) clauses.push({ or: [{ '=': { revision_end: null } }, { '>=': { revision_end: formatTimestamp(start) } }] });
  return { and: clauses };
}

/**
 * `POST {base}/search/resource/{type}`, every page. The next page is asked with our own
 * limit, the same body and the marker from the `Link: rel="next"` header (history markers are
 * `id@revision`, which rows do not show), else the last row's id. It stops on an empty page, or
 * a short page, without a next link. Gnocchi sends that link when, and only when, a page is
 * full, with the last row as the marker: any other answer breaks the paging and fails the
 * search (see `nextPage`), as do a page longer than asked, a row served twice, and an empty last
 * page that has rows when asked again (`confirmEnd`).
 */
export async function searchResources(
  request: GnocchiRequest, base: string, type: string, filter: unknown, options: { history: boolean; pageSize: number; attrs?: string[] },
): Promise<GnocchiResourceRow[]> {
  const { history, pageSize, attrs = [] } = options;
  const url = `${base}/search/resource/${encodeURIComponent(type)}`;
  const what = `the ${type} resource search (POST ${url})`;
  const rows: GnocchiResourceRow[] = [];
  const seenRows = new Set<string>();
  const seenMarkers = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const query: [string, string][] = [['limit', String(pageSize)]];
    if (history) query.push(['history', 'true']);
    for (const attr of attrs) query.push(['attrs', attr]);
    if (marker !== undefined) query.push(['marker', marker]);
    const res = await request('POST', url, { idempotent: true, query, body: filter });
    const page = res.json<unknown>();
    if (!Array.isArray(page)) throw new GnocchiProblem(`POST ${base}/search/resource/${type} did not answer a list`);
    if (page.length > pageSize) throw new GnocchiProblem(`${what} answered ${page.length} rows for limit ${pageSize}`);
    for (const row of page as GnocchiResourceRow[]) {
      const key = rowKey(row, history);
      if (key !== undefined && seenRows.has(key)) throw new GnocchiProblem(`${what} served the row ${key} twice`);
      if (key !== undefined) seenRows.add(key);
      rows.push(row);
    }
    if (page.length === 0 && marker !== undefined) await confirmEnd(request, url, query, filter, what);
    marker = nextPage(page as GnocchiResourceRow[], res.headers.get('link'), { url, what, pageSize, history });
    if (marker === undefined) break;
    if (seenMarkers.has(marker)) throw new GnocchiProblem(`resource search of ${type} loops at marker ${marker}`);
    seenMarkers.add(marker);
  }
  return rows;
}

/**
 * An empty page after a full one ends the search, as Gnocchi's paging says, but it is also what a
 * page lost on the way (a proxy, a flaky server) looks like, and the tenant would be billed for
 * part of its resources. So that page is asked once more: rows this time fail the search.
 */
async function confirmEnd(request: GnocchiRequest, url: string, query: [string, string][], filter: unknown, what: string): Promise<void> {
  const again = (await request('POST', url, { idempotent: true, query, body: filter })).json<unknown>();
  if (!Array.isArray(again) || again.length > 0) {
    throw new GnocchiProblem(`${what} answered an empty page after a full one, then ${Array.isArray(again) ? `${again.length} rows` : 'no list'} for the same page; its paging cannot be trusted, so nothing of it is billed`);
  }
}

/** A row of a search: its id, with its revision_start in a history search (one row per revision). */
function rowKey(row: GnocchiResourceRow, history: boolean): string | undefined {
  if (typeof row?.id !== 'string') return undefined;
  return history ? `${row.id}@${String(row.revision_start)}` : row.id;
}

/** The marker of the next page, undefined when this page is the last; throws when the answer breaks the paging. */
function nextPage(
  page: GnocchiResourceRow[], link: string | null, at: { url: string; what: string; pageSize: number; history: boolean },
): string | undefined {
  const href = nextLink(link);
  if (href !== undefined && !sameOrigin(href, at.url)) {
    throw new GnocchiProblem(`${at.what} links its next page to another origin, ${originOf(resolveUrl(href, at.url) ?? '') ?? href}; not followed`);
  }
  if (page.length < at.pageSize) {
    if (href === undefined) return undefined;
    throw new GnocchiProblem(`${at.what} answered ${page.length === 0 ? 'an empty' : 'a short'} page (${page.length} of ${at.pageSize} rows) with a Link to a next page; Gnocchi links only full pages`);
  }
  const last = page[page.length - 1]!;
  const linked = markerOf(href);
  if (href !== undefined && linked === undefined) throw new GnocchiProblem(`${at.what} links its next page without a marker (${href})`);
  if (linked === undefined) {
    if (at.history || typeof last.id !== 'string') throw new GnocchiProblem(`${at.what}: a full page came without a Link to the next page`);
    return last.id;
  }
  // The marker is the last row: its id (history: `id@revision`). Another one would skip or repeat rows.
  if (typeof last.id === 'string' && (at.history ? linked.split('@')[0] : linked) !== last.id) {
    throw new GnocchiProblem(`${at.what} links its next page at marker ${linked}, not at its last row ${last.id}`);
  }
  return linked;
}
