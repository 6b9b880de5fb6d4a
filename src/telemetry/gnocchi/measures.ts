/**
 * What Gnocchi keeps of a tenant's resources for one meter (docs/gnocchi.md, "What is read",
 * steps 2 and 3): each metric's archive policy (granularity, aggregation, retention), then the
 * measures of all of them through `POST /v1/aggregates`.
 */
import { formatTimestamp, US_PER_MS, US_PER_SECOND } from '../../model/time.js';
import type { SampleQuery } from '../../model/types.js';
import { choosePolicy, formatSeconds, type ArchivePolicy } from './policy.js';
import { GnocchiProblem, isMetricsNotFound, metricKey } from './problem.js';
import { readAggregates } from './aggregates.js';
import { parseMeasures, type Buckets } from './buckets.js';
import type { ResourceTimeline } from './samples.js';
import { nextMarker, type GnocchiRequest } from './search.js';
import type { HttpResponse } from '../../http/index.js';
import type { GnocchiMeter, GnocchiSettings } from '../../config/gnocchi.js';

/** Resources per `/v1/aggregates` request (the id list travels in the body). */
const AGGREGATES_CHUNK = 200;

/**
 * Once a run has asked this many metrics of one name one by one (`GET /v1/metric/{id}`), it
 * lists every metric of that name instead (`GET /v1/metric?name=…`, 1000 per page, each with
 * its archive policy): a thousand tenants then cost a few pages, not a request per metric,
 * while a run over a few tenants does not read the whole cloud's list.
 */
export const LIST_METRICS_AFTER = 32;
/** Gnocchi's `[api] max_limit`: the largest page of a list. */
const METRIC_PAGE = 1000;

interface MetricInfo {
  id: string;
  name?: string;
  unit?: string | null;
  archive_policy: ArchivePolicy;
}

/** Which resources of a meter's query are read, and how. */
export interface Planned {
  timeline: ResourceTimeline;
  metricId: string;
  aggregation: string;
  unit: string;
}

/**
 * The timelines that have a metric of this name. In Gnocchi a metric belongs to one resource: one
 * claimed by two would give both the same measures (billed twice, or either one's), so it is a
 * GnocchiProblem naming the metric and both resources.
 */
function withMetric(timelines: readonly ResourceTimeline[], name: string): ResourceTimeline[] {
  const owners = new Map<string, string>();
  const found: ResourceTimeline[] = [];
  for (const timeline of timelines) {
    const metricId = timeline.metrics[name];
    if (typeof metricId !== 'string') continue;
    const owner = owners.get(metricId);
    if (owner !== undefined) {
      throw new GnocchiProblem(
        `Gnocchi gives metric ${name} (${metricId}) to two resources, ${owner} and ${timeline.id}, though a metric belongs to one; ` +
          'whose measures they are cannot be told: check the Gnocchi server (its resource index), then bill again',
      );
    }
    owners.set(metricId, timeline.id);
    found.push(timeline);
  }
  return found;
}

/** Archive policies and measures, with the metrics and names already asked kept for the run. */
export class GnocchiMeasures {
  private readonly metrics = new Map<string, Promise<MetricInfo>>();
  private readonly names = new Map<string, Promise<boolean>>();
  /** Metrics asked one by one, per endpoint and metric name. */
  private readonly asked = new Map<string, number>();
  /** Every metric of one name (endpoint and name → metric id → its metric), once listed. */
  private readonly listings = new Map<string, Promise<Map<string, MetricInfo>>>();

  constructor(
    private readonly settings: GnocchiSettings,
    private readonly request: GnocchiRequest,
    /** Epoch ms, for the retention check. */
    private readonly now: () => number,
  ) {}

  /** Each resource with the metric: its archive policy decides the aggregation; the window must still be kept. */
  async plan(base: string, meter: GnocchiMeter, timelines: ResourceTimeline[], query: SampleQuery, where: string): Promise<Planned[]> {
    const granularity = this.settings.granularity;
    return Promise.all(
      withMetric(timelines, meter.metric)
        .map(async (timeline): Promise<Planned> => {
          const metricId = timeline.metrics[meter.metric]!;
          const info = await this.metricNamed(base, meter.metric, metricId);
          const policy = info.archive_policy;
          if (!policy || !Array.isArray(policy.definition)) {
            throw new GnocchiProblem(`metric ${metricId} of resource ${timeline.id}: Gnocchi gave no archive policy`);
          }
          const choice = choosePolicy(policy, granularity, meter.aggregations);
          if (!choice.ok) throw new GnocchiProblem(`metric ${meter.metric} (${metricId}) of resource ${timeline.id}: ${choice.reason}`);
          await this.checkRetention(base, metricId, timeline, policy.name, choice.aggregation, choice.timespan, query);
          return { timeline, metricId, aggregation: choice.aggregation, unit: typeof info.unit === 'string' ? info.unit : '' };
        }),
    );
  }

  /**
   * Gnocchi keeps `timespan` before a metric's newest point. When the newest point could be later
   * than the query start + timespan (by the clock, or the resource's end), ask whether it is: if
   * so, measures at the start of the window are gone, and billing it would under-bill silently.
   */
  private async checkRetention(
    base: string, metricId: string, timeline: ResourceTimeline, policyName: string, aggregation: string, timespan: number, query: SampleQuery,
  ): Promise<void> {
    if (!Number.isFinite(timespan)) return;
    const timespanUs = timespan * US_PER_SECOND;
    const newestBound = Math.min(this.now() * US_PER_MS, timeline.endedAt ?? Number.POSITIVE_INFINITY);
    const horizon = query.start + timespanUs;
    if (newestBound < horizon) return;
    const res = await this.request('GET', `${base}/metric/${encodeURIComponent(metricId)}/measures`, {
      query: [['start', formatTimestamp(horizon)], ['granularity', String(this.settings.granularity)], ['aggregation', aggregation]],
    });
    const later = parseMeasures(res.json<unknown>()).t;
    if (later.length > 0) {
      throw new GnocchiProblem(
        `metric ${metricId} of resource ${timeline.id}: its archive policy '${policyName}' keeps ${formatSeconds(timespan)} at ${formatSeconds(this.settings.granularity)} before its newest measure ` +
          `(${formatTimestamp(later[later.length - 1]!)}), so measures from ${formatTimestamp(query.start)} on are partly gone; ` +
          `bill the window sooner, or use a granularity whose timespan covers it ([gnocchi] granularity)`,
      );
    }
  }

  /** Whether any metric of this name exists (`GET /v1/metric?name=…&limit=1`), once per run. */
  private metricNameExists(base: string, name: string): Promise<boolean> {
    const key = `${base} name ${name}`;
    let pending = this.names.get(key);
    if (!pending) {
      pending = this
        .request('GET', `${base}/metric`, { query: [['name', name], ['limit', '1']] })
        .then((res) => {
          const list = res.json<unknown>();
          return Array.isArray(list) && list.length > 0;
        });
      pending.catch(() => this.names.delete(key));
      this.names.set(key, pending);
    }
    return pending;
  }

  /** A metric with its archive policy: from the list of its name once that is read (LIST_METRICS_AFTER), else asked alone. */
  private async metricNamed(base: string, name: string, id: string): Promise<MetricInfo> {
    const known = this.metrics.get(`${base} ${id}`);
    if (known) return known;
    const key = `${base} ${name}`;
    let listing = this.listings.get(key);
    if (!listing) {
      const asked = (this.asked.get(key) ?? 0) + 1;
      this.asked.set(key, asked);
      if (asked > LIST_METRICS_AFTER) this.listings.set(key, (listing = this.listMetrics(base, name)));
    }
    // A list that failed, or a metric created after it was read: ask for the metric alone.
    const listed = listing && (await listing.catch(() => undefined))?.get(id);
    return listed ?? this.metric(base, id);
  }

  /**
   * `GET {base}/metric?name=…`, every page (by the `Link` marker, else the last id), each metric
   * kept with only what the plan reads; metrics of one archive policy share one policy object.
   */
  private async listMetrics(base: string, name: string): Promise<Map<string, MetricInfo>> {
    const found = new Map<string, MetricInfo>();
    const policies = new Map<string, ArchivePolicy>();
    const markers = new Set<string>();
    let marker: string | undefined;
    for (;;) {
      const query: [string, string][] = [['name', name], ['limit', String(METRIC_PAGE)]];
      if (marker !== undefined) query.push(['marker', marker]);
      const res = await this.request('GET', `${base}/metric`, { query });
      const page = res.json<unknown>();
      if (!Array.isArray(page)) throw new GnocchiProblem(`GET ${base}/metric?name=${name} did not answer a list`);
      for (const raw of page as Partial<MetricInfo>[]) {
        if (typeof raw?.id !== 'string' || raw.name !== name || !raw.archive_policy) continue;
        const text = JSON.stringify(raw.archive_policy);
        let policy = policies.get(text);
        if (!policy) policies.set(text, (policy = raw.archive_policy));
        found.set(raw.id, { id: raw.id, unit: raw.unit ?? null, archive_policy: policy });
      }
      const last = (page[page.length - 1] as { id?: unknown } | undefined)?.id;
      marker = page.length < METRIC_PAGE ? undefined : (nextMarker(res.headers.get('link')) ?? (typeof last === 'string' ? last : undefined));
      if (marker === undefined || markers.has(marker)) return found;
      markers.add(marker);
    }
  }

  private metric(base: string, id: string): Promise<MetricInfo> {
    const key = `${base} ${id}`;
    let pending = this.metrics.get(key);
    if (!pending) {
      pending = this.request('GET', `${base}/metric/${encodeURIComponent(id)}`).then((res) => res.json<MetricInfo>());
      pending.catch(() => this.metrics.delete(key));
      this.metrics.set(key, pending);
    }
    return pending;
  }

  /**
   * Measures of the planned resources, by resource id: one `/v1/aggregates` per aggregation and
   * chunk. With no resource holding the metric, Gnocchi is asked anyway, so that its own answer
   * (400 Metrics not found) says the metric name is wrong, rather than billing nothing.
   */
  async measures(base: string, meter: GnocchiMeter, timelines: ResourceTimeline[], planned: Planned[], query: SampleQuery): Promise<Map<string, Buckets>> {
    const groups = new Map<string, string[]>();
    for (const p of planned) {
      let ids = groups.get(p.aggregation);
      if (!ids) groups.set(p.aggregation, (ids = []));
      ids.push(p.timeline.id);
    }
    if (planned.length === 0) groups.set(meter.aggregations[0]!, timelines.map((t) => t.id));
    const found = new Map<string, Buckets>();
    for (const [aggregation, ids] of groups) {
      for (let i = 0; i < ids.length; i += AGGREGATES_CHUNK) {
        const chunk = ids.slice(i, i + AGGREGATES_CHUNK);
        let res;
        try {
          res = await this.request('POST', `${base}/aggregates`, {
            idempotent: true,
            keepBytes: true,
            query: [['start', formatTimestamp(query.start)], ['stop', formatTimestamp(query.end)], ['granularity', String(this.settings.granularity)]],
            body: { resource_type: meter.resourceType, search: { in: { id: chunk } }, operations: ['metric', meter.metric, aggregation] },
          });
        } catch (error) {
          if (planned.length > 0 || !isMetricsNotFound(error)) throw error;
          // The tenant's resources lack the metric. Fine if the metric exists elsewhere (a
          // `network` resource may carry bandwidth but no ip.floating); a name Gnocchi has
          // nowhere is a configuration error, not a tenant without usage.
          if (await this.metricNameExists(base, meter.metric)) return found;
          throw new GnocchiProblem(
            `none of the tenant's ${timelines.length} ${meter.resourceType} resource${timelines.length === 1 ? '' : 's'} has a metric '${meter.metric}', and Gnocchi has no metric of that name at all ` +
              `(Gnocchi answered 400 Metrics not found: ${error instanceof Error ? error.message : String(error)}); check the metric name (${metricKey(this.settings, meter)})`,
          );
        }
        const read = readAggregates(res.bytes(), meter.metric, aggregation) ?? aggregatesOfText(res, base, meter.metric, aggregation, chunk);
        for (const id of chunk) {
          const buckets = read.get(id);
          if (buckets !== undefined) found.set(id, buckets);
        }
      }
    }
    return found;
  }

}

/**
 * An aggregates answer that readAggregates does not read (another form, or not JSON at all):
 * its text parsed as JSON, each of `ids`' rows by parseMeasures.
 */
function aggregatesOfText(res: HttpResponse, base: string, metric: string, aggregation: string, ids: string[]): Map<string, Buckets> {
  const body = res.json<{ measures?: Record<string, Record<string, Record<string, unknown>>> } | null>();
  const measures = body?.measures;
  if (!measures || typeof measures !== 'object') throw new GnocchiProblem(`POST ${base}/aggregates answered without "measures"`);
  const found = new Map<string, Buckets>();
  for (const id of ids) {
    const rows = ownMember(ownMember(ownMember(measures, id), metric), aggregation);
    if (rows !== undefined) found.set(id, parseMeasures(rows));
  }
  return found;
}

/** `value[key]` if value is an object that has `key` as its own member (never Object.prototype's). */
function ownMember(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
