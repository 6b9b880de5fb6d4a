/**
 * How many samples Ceilometer says a tenant's meter has in a window, from
 * `GET /v2/meters/{meter}/statistics` with the query the samples were read with (no `groupby`,
 * no `period`: one aggregate, whose `count` is the number of samples; no samples, `[]`).
 * docs/ceilometer.md ("What is checked after paging") says why the reader compares it with what the pages gave.
 */
import { TelemetryError, errorMessage } from '../../model/errors.js';
import { formatNaiveUtc } from '../../model/time.js';
import { HttpError, type HttpClient } from '../../http/index.js';
import type { KeystoneAuth, ResolvedEndpoint } from '../keystone.js';
import type { SampleQuery } from '../../model/types.js';
import { GONE_HINT, simpleQuery } from './query.js';

export async function reportedCount(
  http: HttpClient, keystone: KeystoneAuth | undefined, endpoint: ResolvedEndpoint, query: SampleQuery, where: string,
): Promise<number> {
  const url = `${endpoint.url}/meters/${encodeURIComponent(query.meter)}/statistics`;
  // The samples' filters without `meter`, which the statistics path names (a q.field meter is refused there).
  const filters = simpleQuery([
    ['project_id', 'eq', query.projectId], ['timestamp', 'ge', formatNaiveUtc(query.start)], ['timestamp', 'lt', formatNaiveUtc(query.end)],
  ]);
  let list: unknown;
  try {
    list = (await http.request('GET', url, { query: filters, auth: keystone })).json<unknown>();
  } catch (error) {
    if (error instanceof HttpError && error.status === 410) throw new TelemetryError(`${where}: ${GONE_HINT}`, { cause: error });
    throw new TelemetryError(`${where}: cannot ask how many samples there are: ${errorMessage(error)}`, { cause: error });
  }
  const bad = (why: string) => new TelemetryError(`${where}: GET ${url} answered ${why}, not the statistics of the samples, so their number cannot be checked`);
  if (!Array.isArray(list)) throw bad('something other than a list');
  let count = 0;
  for (const entry of list) {
    const n = (entry as { count?: unknown } | null)?.count;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw bad(`an entry without a whole "count" (${JSON.stringify(n)})`);
    count += n;
  }
  return count;
}
