/**
 * Reading one meter's samples of one tenant from one Ceilometer v2 endpoint (docs/ceilometer.md).
 * Samples come from `GET /v2/samples` with the filters project_id eq, meter eq, timestamp ge
 * start, timestamp lt end, sent as q.field/q.op/q.type/q.value lists of the same length in the
 * same order (WSME pairs them up by position), timestamps as naive UTC.
 *
 * Paging: the API has no marker and answers newest first, `limit` at a time. When a page is
 * full, the samples at its oldest timestamp T may continue on the next page, so the next query
 * moves the upper bound to `timestamp le T` and drops, by content, the samples at T it has
 * already taken (a multiset: two copies of one sample stay two copies, as the file collector
 * would serve them). A full page whose samples all share one timestamp cannot be paged past with
 * `le`: that timestamp is then fetched on its own (`ge T`, `le T`) with a doubling limit, and
 * paging continues at `lt T`; past `maxTieGroup` samples at one instant it fails with a message
 * asking for a larger page_size. A sample outside the query (another project or meter, a time
 * outside the bounds) means the server ignored a filter: that is an error, never billed. So are
 * a page longer than its limit, a page not newest first, one sample id served with two contents,
 * and a total that differs from the count of the meter's statistics (docs/ceilometer.md, "What is checked after paging").
 */
import { TelemetryError, errorMessage } from '../../model/errors.js';
import { formatNaiveUtc, formatTimestamp, type Micros } from '../../model/time.js';
import { HttpError, type HttpClient } from '../../http/index.js';
import type { KeystoneAuth, ResolvedEndpoint } from '../keystone.js';
import { GONE_HINT, simpleQuery, type Filter } from './query.js';
import { normalizeCeilometerSample } from './sample.js';
import { reportedCount } from './statistics.js';
import { sameMetadata, TakenSamples } from './taken.js';
import type { Sample, SampleQuery, SampleSeries } from '../../model/types.js';

interface PageItem {
  sample: Sample;
  /** The sample as served, while its page is read (dropped after: a month of them is large). */
  raw?: unknown;
  /** Its JSON text, made only when paging at a shared instant needs it. */
  key?: string;
}

/** The sample's JSON as served: identical copies have identical keys. */
function keyOf(item: PageItem): string {
  return (item.key ??= JSON.stringify(item.raw));
}

/**
 * Successive samples of one resource mostly carry the same metadata (some 30 keys for an
 * instance) and the same strings: they share the first sample's, so a month of samples holds
 * a few metadata objects per resource, not one per sample.
 */
function internSample(sample: Sample, last: Map<string, Sample>): void {
  const before = last.get(sample.resourceId);
  if (before === undefined) {
    last.set(sample.resourceId, sample);
    return;
  }
  sample.resourceId = before.resourceId;
  if (sample.meter === before.meter) sample.meter = before.meter;
  if (sample.projectId === before.projectId) sample.projectId = before.projectId;
  if (sample.source === before.source) sample.source = before.source;
  if (sample.unit === before.unit) sample.unit = before.unit;
  if (sameMetadata(before.metadata, sample.metadata)) sample.metadata = before.metadata;
  else last.set(sample.resourceId, sample);
}

export interface ReaderOptions {
  http: HttpClient;
  keystone?: KeystoneAuth;
  /** `limit` of each page. */
  pageSize: number;
  /** Most samples of one meter and project allowed at one instant before giving up. */
  maxTieGroup: number;
}

export class CeilometerReader {
  private readonly http: HttpClient;
  private readonly keystone?: KeystoneAuth;
  private readonly pageSize: number;
  private readonly maxTieGroup: number;

  constructor(options: ReaderOptions) {
    this.http = options.http;
    this.keystone = options.keystone;
    this.pageSize = options.pageSize;
    this.maxTieGroup = options.maxTieGroup;
  }

  /** The newest sample of `meter` (any project), or null: proves the meter is readable. */
  async probe(endpoint: ResolvedEndpoint, meter: string | undefined): Promise<Sample | null> {
    const query: [string, string][] = meter === undefined ? [] : simpleQuery([['meter', 'eq', meter]]);
    const res = await this.http.request('GET', `${endpoint.url}/samples`, { query: [...query, ['limit', '1']], auth: this.keystone });
    const list = res.json<unknown>();
    if (!Array.isArray(list)) throw new TelemetryError(`GET ${endpoint.url}/samples: the answer is not a list of samples`);
    if (list.length === 0) return null;
    return this.normalize(list[0], endpoint, `GET ${endpoint.url}/samples`);
  }

  /**
   * The samples of `query` at `endpoint`, every page, checked against the paging contract and
   * against the number Ceilometer's statistics report for the same query: a page cut short or
   * padded fails the tenant rather than billing part of its month.
   */
  async samples(endpoint: ResolvedEndpoint, query: SampleQuery): Promise<SampleSeries[]> {
    const where = `${query.meter} samples of ${query.projectId} from ${endpoint.region}`;
    // Every id checked (series() packs the rest) before the count, as docs/ceilometer.md orders
    // them; and the ids' maps are let go before the statistics are asked.
    const [count, series] = await this.read(endpoint, query, where).then((taken) => [taken.count, taken.series()] as const);
    const reported = await reportedCount(this.http, this.keystone, endpoint, query, where);
    if (reported !== count) {
      throw new TelemetryError(
        `${where}: read ${count} samples, but Ceilometer's statistics report ${reported} for the same query; a page was cut short or padded, so none of them is billed`,
      );
    }
    return series;
  }

  /** Every page of `query`, newest first (see the header comment). */
  private async read(endpoint: ResolvedEndpoint, query: SampleQuery, where: string): Promise<TakenSamples> {
    const { projectId, meter, start, end } = query;
    const fixed: Filter[] = [['project_id', 'eq', projectId], ['meter', 'eq', meter]];
    const lower: Filter = ['timestamp', 'ge', formatNaiveUtc(start)];
    let upper: { op: 'lt' | 'le'; t: Micros } = { op: 'lt', t: end };
    /** Content keys already taken at `upper.t`, while upper.op is `le`. */
    let carry = new Map<string, number>();
    const taken = new TakenSamples(where);
    const L = this.pageSize;
    const lastOfResource = new Map<string, Sample>();
    /** A page read: its samples keep only what is billed, their strings and metadata shared (see internSample). */
    const done = (items: PageItem[]) => {
      for (const item of items) {
        item.raw = undefined;
        item.key = undefined;
        internSample(item.sample, lastOfResource);
      }
    };

    for (;;) {
      const page = await this.page(endpoint, [...fixed, lower, ['timestamp', upper.op, formatNaiveUtc(upper.t)]], L, where);
      for (const item of page) {
        const t = item.sample.timestamp;
        this.expect(item, query, t >= start && (upper.op === 'lt' ? t < upper.t : t <= upper.t), where);
        if (upper.op === 'le' && t === upper.t) {
          const seen = carry.get(keyOf(item)) ?? 0;
          if (seen > 0) {
            carry.set(keyOf(item), seen - 1);
            continue;
          }
        }
        taken.push(item.sample);
      }
      if (page.length < L) {
        done(page);
        break;
      }

      const oldest = page.reduce((min, item) => Math.min(min, item.sample.timestamp), Infinity);
      if (page.some((item) => item.sample.timestamp > oldest)) {
        // The samples at `oldest` may continue on the next page: ask again from `le oldest`.
        carry = new Map();
        for (const item of page) if (item.sample.timestamp === oldest) carry.set(keyOf(item), (carry.get(keyOf(item)) ?? 0) + 1);
        done(page);
        upper = { op: 'le', t: oldest };
        taken.settle(upper);
        continue;
      }
      done(page);
      // A full page of one instant: fetch that instant alone, then go on below it.
      const group = await this.instant(endpoint, fixed, query, oldest, 2 * L, where);
      done(group);
      taken.dropAt(oldest);
      for (const item of group) taken.push(item.sample);
      upper = { op: 'lt', t: oldest };
      taken.settle(upper);
      carry = new Map();
    }
    return taken;
  }

  /** Every sample at exactly `t`, with a limit that doubles until the answer is not full. */
  private async instant(endpoint: ResolvedEndpoint, fixed: Filter[], query: SampleQuery, t: Micros, limit: number, where: string): Promise<PageItem[]> {
    const at = formatNaiveUtc(t);
    for (;;) {
      const n = Math.min(limit, this.maxTieGroup + 1);
      const page = await this.page(endpoint, [...fixed, ['timestamp', 'ge', at], ['timestamp', 'le', at]], n, where);
      for (const item of page) this.expect(item, query, item.sample.timestamp === t, where);
      if (page.length < n) return page;
      if (n > this.maxTieGroup) {
        throw new TelemetryError(
          `${where}: more than ${this.maxTieGroup} samples share the timestamp ${at}, and Ceilometer v2 cannot page past them (it has no marker); raise [telemetry] page_size (now ${this.pageSize}) so that more samples at one instant can be read`,
        );
      }
      limit = n * 2;
    }
  }

  private async page(endpoint: ResolvedEndpoint, filters: Filter[], limit: number, where: string): Promise<PageItem[]> {
    const url = `${endpoint.url}/samples`;
    let list: unknown;
    try {
      const res = await this.http.request('GET', url, { query: [...simpleQuery(filters), ['limit', String(limit)]], auth: this.keystone });
      list = res.json<unknown>();
    } catch (error) {
      if (error instanceof HttpError && error.status === 410) throw new TelemetryError(`${where}: ${GONE_HINT}`, { cause: error });
      throw new TelemetryError(`${where}: ${errorMessage(error)}`, { cause: error });
    }
    if (!Array.isArray(list)) throw new TelemetryError(`${where}: GET ${url} answered something other than a list of samples`);
    if (list.length > limit) throw new TelemetryError(`${where}: GET ${url} returned ${list.length} samples for limit ${limit}`);
    const items: PageItem[] = list.map((raw) => ({ sample: this.normalize(raw, endpoint, `${where}: GET ${url}`), raw }));
    // Paging moves the upper bound to the page's oldest instant: that is only sound if the page
    // is the newest `limit` samples, newest first, as the API promises.
    for (let i = 1; i < items.length; i++) {
      const [newer, older] = [items[i - 1]!.sample, items[i]!.sample];
      if (older.timestamp > newer.timestamp) {
        throw new TelemetryError(
          `${where}: GET ${url} answered samples out of order (${formatTimestamp(older.timestamp)} after ${formatTimestamp(newer.timestamp)}); Ceilometer pages newest first, so these pages cannot be trusted`,
        );
      }
    }
    return items;
  }

  /** `context` says where the sample came from, e.g. `instance samples of P from R: GET url`. */
  private normalize(raw: unknown, endpoint: ResolvedEndpoint, context: string): Sample {
    try {
      return normalizeCeilometerSample(raw, endpoint.region);
    } catch (error) {
      const id = (raw as { id?: unknown } | null)?.id;
      throw new TelemetryError(`${context}: bad sample${typeof id === 'string' ? ` ${id}` : ''}: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** A sample the query excludes means a filter was ignored (or misread): never bill it. */
  private expect(item: PageItem, query: SampleQuery, inTime: boolean, where: string): void {
    const s = item.sample;
    if (s.projectId !== query.projectId || s.meter !== query.meter || !inTime) {
      throw new TelemetryError(
        `${where}: the server returned a sample outside the query (${s.id ?? '?'}: project ${s.projectId}, meter ${s.meter}, ${formatTimestamp(s.timestamp)}); it ignored a filter, so nothing from it can be billed`,
      );
    }
  }
}
