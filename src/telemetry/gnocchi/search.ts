/**
 * Gnocchi's resource search (docs/gnocchi.md, "What is read"): the filter of the resources that
 * lived in a window, and the paging of `POST /v1/search/resource/{type}` by `Link: rel="next"`.
 */
import type { HttpResponse, RequestInit } from '../../http/index.js';
import { formatTimestamp, type Micros } from '../../model/time.js';
import { GnocchiProblem } from './problem.js';
import type { GnocchiResourceRow } from './samples.js';

/** One Gnocchi request, with the collector's auth. */
export type GnocchiRequest = (method: string, url: string, init?: Omit<RequestInit, 'auth'>) => Promise<HttpResponse>;

/** The `marker` of a `Link: <…>; rel="next"` header, if any. */
export function nextMarker(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (!m) continue;
    const query = m[1]!.split('?')[1] ?? '';
    for (const pair of query.split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq) === 'marker') return decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    }
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
 * `id@revision`, which rows do not show), else the last row's id. It stops on an empty page,
 * or a page without a next link that is shorter than the limit.
 */
export async function searchResources(
  request: GnocchiRequest, base: string, type: string, filter: unknown, options: { history: boolean; pageSize: number; attrs?: string[] },
): Promise<GnocchiResourceRow[]> {
  const { history, pageSize, attrs = [] } = options;
  const rows: GnocchiResourceRow[] = [];
  const seen = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const query: [string, string][] = [['limit', String(pageSize)]];
    if (history) query.push(['history', 'true']);
    for (const attr of attrs) query.push(['attrs', attr]);
    if (marker !== undefined) query.push(['marker', marker]);
    const res = await request('POST', `${base}/search/resource/${encodeURIComponent(type)}`, {
      idempotent: true, query, body: filter,
    });
    const page = res.json<unknown>();
    if (!Array.isArray(page)) throw new GnocchiProblem(`POST ${base}/search/resource/${type} did not answer a list`);
    rows.push(...(page as GnocchiResourceRow[]));
    if (page.length === 0) break;
    const linked = nextMarker(res.headers.get('link'));
    if (linked === undefined && page.length < pageSize) break;
    const last = page[page.length - 1] as GnocchiResourceRow;
    const next = linked ?? (history ? undefined : last.id);
    if (next === undefined) throw new GnocchiProblem(`a full page of ${type} resource history came without a Link to the next page`);
    if (seen.has(next)) throw new GnocchiProblem(`resource search of ${type} loops at marker ${next}`);
    seen.add(next);
    marker = next;
  }
  return rows;
}

