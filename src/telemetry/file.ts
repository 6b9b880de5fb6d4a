/**
 * The file collector (`[telemetry] backend = file`): newline-delimited Ceilometer v2 samples,
 * one JSON object per line, optionally gzipped (`.gz`). Blank lines and `#` lines are ignored.
 *
 * The file is read and indexed once, lazily, by project then meter (each list sorted by time),
 * so billing many tenants costs one parse. It is streamed line by line, gunzipped on the way:
 * memory holds the index, never the file, so its size has no limit but the index's. Bytes that
 * are not UTF-8 (a Latin-1 project name) read as `\xNN` escapes, not as U+FFFD. Errors:
 * - the file cannot be read or gunzipped, a line is not JSON, or a bad sample has no
 *   project_id to charge it to → `ConfigError` (exit 2): nothing in the file can be trusted;
 * - a line that is JSON but not a valid sample, with a project_id → remembered against that
 *   project: `samples()` queries it could belong to reject with a `TelemetryError`, so that
 *   one tenant fails and the others still bill.
 */
import type { Readable } from 'node:stream';
import { ConfigError, TelemetryError, UsageError, errorMessage } from '../model/errors.js';
import { decodeUtf8, jsonEscape } from '../model/text.js';
import { parseTimestamp, type Micros } from '../model/time.js';
import { normalizeCeilometerSample } from './ceilometer/sample.js';
import type { Collector } from './contract.js';
import { LineReadError, LineTooLongError, readLines } from './lines.js';
import type { Sample, SampleQuery, Tenant } from '../model/types.js';

export interface FileCollectorOptions {
  /** The region the samples are attributed to (their default datacenter). */
  region?: string;
  /** Opens the file as a byte stream; defaults to `fs.createReadStream`. */
  open?: (path: string) => Readable;
  /**
   * `[main] trust_sources`: only samples from these sources name a project. A tenant can post
   * samples with any metadata; its name would otherwise reach invoices and the ledger.
   */
  trustSources?: readonly RegExp[];
  /**
   * The longest line (bytes, uncompressed) read; default 8 MiB, thousands of times a real
   * sample's. A longer line (a gzip bomb of one endless line) is refused without reading on.
   */
  maxLineBytes?: number;
}

/** A line that is JSON but not a valid sample, kept against its project. */
interface BadLine {
  line: number;
  message: string;
  /** The line's meter and time when they are readable: the line only spoils queries it could match. */
  meter?: string;
  timestamp?: Micros;
}

interface ProjectIndex {
  /** Meter → samples sorted by timestamp (stable: file order among equal times). */
  meters: Map<string, Sample[]>;
  bad: BadLine[];
  /** `metadata.project_name` of the project's latest sample that has one (demo files carry it). */
  name?: string;
  nameAt?: Micros;
}

type Index = Map<string, ProjectIndex>;

const KEY = '[telemetry] file';

const DEFAULT_MAX_LINE_BYTES = 8 * 2 ** 20;

/**
 * One copy of each repeated short string of the index. A samples file repeats the same meters,
 * resources, units and metadata values (flavor, status, host) on every line, and each parsed
 * line has its own copies: sharing them halves the index of a big file. Bounded, so a file
 * whose values never repeat costs no more than without the pool.
 */
class StringPool {
  private readonly pool = new Map<string, string>();

  private get(text: string): string {
    if (text.length > 64) return text;
    const known = this.pool.get(text);
    if (known !== undefined) return known;
    if (this.pool.size < 100_000) this.pool.set(text, text);
    return text;
  }

  /** The sample with its repeated strings shared (ids and times are unique: left alone). */
  compact(sample: Sample): Sample {
    const metadata: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(sample.metadata)) metadata[key] = typeof value === 'string' ? this.get(value) : value;
    return {
      ...sample,
      meter: this.get(sample.meter),
      resourceId: this.get(sample.resourceId),
      projectId: sample.projectId === null ? null : this.get(sample.projectId),
      unit: this.get(sample.unit),
      type: this.get(sample.type) as Sample['type'],
      source: this.get(sample.source),
      region: this.get(sample.region),
      metadata,
    };
  }
}

/** Index of the first sample with timestamp ≥ t in a time-sorted list. */
function lowerBound(samples: readonly Sample[], t: Micros): number {
  let lo = 0;
  let hi = samples.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (samples[mid].timestamp < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function readReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return errorMessage(error);
}

function isInWindow(t: Micros | undefined, start: Micros, end: Micros): boolean {
  return t === undefined || (t >= start && t < end);
}

export class FileCollector implements Collector {
  readonly description: string;
  private readonly region: string;
  private readonly open: ((path: string) => Readable) | undefined;
  private readonly trustSources: readonly RegExp[] | undefined;
  private readonly maxLineBytes: number;
  private loading?: Promise<Index>;
  private readonly strings = new StringPool();

  constructor(
    readonly path: string,
    options: FileCollectorOptions = {},
  ) {
    this.description = `file ${path}`;
    this.region = options.region ?? 'RegionOne';
    this.open = options.open;
    this.trustSources = options.trustSources;
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  }

  async samples(query: SampleQuery): Promise<Sample[]> {
    const project = (await this.index()).get(query.projectId);
    if (project === undefined) return [];
    const bad = project.bad.filter(
      (b) => (b.meter === undefined || b.meter === query.meter) && isInWindow(b.timestamp, query.start, query.end),
    );
    if (bad.length > 0) {
      const more = bad.length > 1 ? ` (and ${bad.length - 1} more bad line${bad.length > 2 ? 's' : ''})` : '';
      throw new TelemetryError(
        `${this.path}:${bad[0].line}: bad sample for project ${query.projectId}: ${bad[0].message}${more}`,
      );
    }
    const list = project.meters.get(query.meter);
    if (list === undefined) return [];
    return list.slice(lowerBound(list, query.start), lowerBound(list, query.end));
  }

  /**
   * Projects with a sample in [start, end), sorted by id. A project whose bad lines could fall
   * in the window is listed too, so that `--all` fails it loudly instead of skipping it.
   */
  async tenants(start: Micros, end: Micros): Promise<Tenant[]> {
    const tenants: Tenant[] = [];
    for (const [id, project] of await this.index()) {
      const hasSample = [...project.meters.values()].some((list) => {
        const i = lowerBound(list, start);
        return i < list.length && list[i].timestamp < end;
      });
      const hasBad = project.bad.some((b) => isInWindow(b.timestamp, start, end));
      if (hasSample || hasBad) tenants.push(project.name === undefined ? { id } : { id, name: project.name });
    }
    return tenants.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async lookupTenant(ref: string): Promise<Tenant | undefined> {
    const index = await this.index();
    const tenant = (id: string, project: { name?: string }) => (project.name === undefined ? { id } : { id, name: project.name });
    const byId = index.get(ref);
    if (byId) return tenant(ref, byId);
    const named = [...index].filter(([, project]) => project.name === ref);
    if (named.length > 1) {
      throw new UsageError(`--tenant ${ref}: ${named.length} projects in ${this.path} are named so (${named.map(([id]) => id).sort().join(', ')}); give the id`);
    }
    return named[0] ? tenant(named[0][0], named[0][1]) : undefined;
  }

  /** Reads and indexes the file now, so an unreadable or corrupt file fails before any bill is claimed. */
  async prepare(): Promise<void> {
    await this.index();
  }

  async close(): Promise<void> {}

  /** The index, loaded on first use; concurrent first calls share one load (and its error). */
  private index(): Promise<Index> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<Index> {
    const index: Index = new Map();
    const gzip = /\.gz$/i.test(this.path);
    try {
      for await (const { number, bytes } of readLines({ path: this.path, gzip, maxLineBytes: this.maxLineBytes, open: this.open })) {
        this.addLine(index, number, decodeUtf8(bytes, jsonEscape).trim());
      }
    } catch (error) {
      throw this.readProblem(error) ?? error;
    }
    // Array.prototype.sort is stable: equal timestamps keep file order.
    for (const entry of index.values()) {
      for (const list of entry.meters.values()) list.sort((a, b) => a.timestamp - b.timestamp);
    }
    return index;
  }

  /** The ConfigError for a failure to read, gunzip or split the file into lines; undefined for any other error. */
  private readProblem(error: unknown): ConfigError | undefined {
    if (error instanceof LineTooLongError) {
      return new ConfigError(
        `${this.path}:${error.number}: a line longer than ${error.limit} bytes, far beyond any sample; the telemetry file is ` +
          `corrupt (or not a samples file), fix or regenerate it (${KEY})`,
      );
    }
    if (!(error instanceof LineReadError)) return undefined;
    if (error.stage === 'gunzip') {
      return new ConfigError(
        `cannot gunzip the telemetry file ${this.path}: ${error.message}; a path ending .gz must be gzip-compressed (check ${KEY})`,
        { cause: error.error },
      );
    }
    return new ConfigError(`cannot read the telemetry file ${this.path}: ${readReason(error.error)}; check ${KEY}`, { cause: error.error });
  }

  /** Indexes one line: a sample under its project and meter, or a bad line against its project. */
  private addLine(index: Index, number: number, line: string): void {
    if (line === '' || line.startsWith('#')) return;
    const where = `${this.path}:${number}`;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (error) {
      throw new ConfigError(
        `${where}: not JSON (${errorMessage(error)}); the telemetry file is corrupt, fix or regenerate it (${KEY})`,
        { cause: error },
      );
    }
    const project = (id: string): ProjectIndex => {
      let entry = index.get(id);
      if (entry === undefined) index.set(id, (entry = { meters: new Map(), bad: [] }));
      return entry;
    };
    let sample: Sample;
    try {
      sample = normalizeCeilometerSample(json, this.region);
    } catch (error) {
      const raw = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
      const projectId = raw.project_id;
      if (typeof projectId !== 'string' || projectId.trim() === '') {
        throw new ConfigError(
          `${where}: ${errorMessage(error)}, and the line has no project_id to charge it to; fix or remove the line (${KEY})`,
          { cause: error },
        );
      }
      const meter = raw.meter ?? raw.counter_name;
      project(projectId).bad.push({
        line: number,
        message: errorMessage(error),
        meter: typeof meter === 'string' ? meter : undefined,
        timestamp: typeof raw.timestamp === 'string' ? parseTimestamp(raw.timestamp) : undefined,
      });
      return;
    }
    // A valid sample without a project (Ceilometer allows null) cannot be billed to anyone.
    if (sample.projectId === null) return;
    const entry = project(sample.projectId);
    let list = entry.meters.get(sample.meter);
    if (list === undefined) entry.meters.set(sample.meter, (list = []));
    list.push(this.strings.compact(sample));
    const name = sample.metadata.project_name;
    const trusted = !this.trustSources || this.trustSources.some((pattern) => pattern.test(sample.source));
    if (trusted && typeof name === 'string' && name !== '' && (entry.nameAt === undefined || sample.timestamp >= entry.nameAt)) {
      entry.name = name;
      entry.nameAt = sample.timestamp;
    }
  }
}
