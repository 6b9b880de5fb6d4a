/**
 * `[gnocchi]` of artifice.ini and the meter → Gnocchi mapping file (`config/gnocchi.ini`), read
 * and checked at load (backend = gnocchi only), so a bad value fails the command (exit 2)
 * before any bill is claimed. The rules behind each key are in docs/gnocchi.md.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../model/errors.js';
import type { IniSections } from './ini-file.js';
import { packageFile } from '../model/paths.js';
import { US_PER_SECOND } from '../model/time.js';
import { telemetryMeterOf, type MeterSpec, type TransformName } from '../model/types.js';
import { GNOCCHI_ATTRIBUTES } from '../usage/attributes.js';
import { specAttributes } from './meters-template.js';
import { LIMITS } from './defaults.js';
import { readIni, Reader } from './reader.js';

export type GnocchiAuthType = 'keystone' | 'basic';

/** Where one meter of meters.ini is read from. */
export interface GnocchiMeter {
  readonly meter: string;
  readonly transform: TransformName;
  readonly resourceType: string;
  readonly metric: string;
  /** Aggregation methods in order of preference; the first one the metric's archive policy holds is read. */
  readonly aggregations: readonly string[];
}

export interface GnocchiSettings {
  /** Undefined: keystone when `[keystone]` is configured, else basic. */
  readonly authType?: GnocchiAuthType;
  /** basic auth: the user name. */
  readonly user: string;
  /** basic auth: the password (Gnocchi itself ignores it; a proxy in front of it may not). Undefined: empty. */
  readonly password?: string;
  /** Seconds: every measure is read at this granularity. */
  readonly granularity: number;
  readonly uptimeMetric: string;
  /** The `source` every sample read from Gnocchi carries, for `[main] trust_sources`. */
  readonly source: string;
  /** Reuse HTTP connections (default false: Gnocchi under uwsgi http-socket closes them silently; see HttpOptions.keepAlive in http.ts). */
  readonly keepAlive: boolean;
  /** Absolute path of the mapping file. */
  readonly mappingFile: string;
  /** Meter name → where it is read from; one entry per meter of meters.ini. */
  readonly meters: ReadonlyMap<string, GnocchiMeter>;
}

export const GNOCCHI_DEFAULTS = {
  user: 'admin',
  granularity: 3600,
  aggregation: ['mean'],
  uptimeMetric: 'vcpus',
  source: 'openstack',
  /** Per transform, when neither the mapping nor [gnocchi] aggregation says (uptime/gauge use [gnocchi] aggregation). */
  counterAggregation: ['last', 'max', 'mean'],
  sumAggregation: ['sum'],
};

const MAPPING_KEYS = ['resource_type', 'metric', 'aggregation'];
/** Gnocchi's methods (`GET /v1/capabilities`): mean sum last max min std median first count Npct, each also as rate:. */
const AGGREGATION = /^(rate:)?(mean|sum|last|max|min|std|median|first|count|[1-9][0-9]?pct)$/;

export function isHoldingTransform(transform: TransformName): boolean {
  return transform === 'uptime' || transform === 'gauge' || transform === 'max';
}

/** How the collector turns buckets into samples: gauge and max read the same samples. */
const bucketKind = (transform: TransformName) => (transform === 'max' ? 'gauge' : transform);

/** Two sections that read one Gnocchi metric must want the same samples from it. */
function checkShared(mapped: GnocchiMeter, spec: MeterSpec, file: string): void {
  if (bucketKind(mapped.transform) === bucketKind(spec.transform)) return;
  throw new ConfigError(
    `meters.ini [${spec.meter}] (transform = ${spec.transform}) reads meter ${mapped.meter} from Gnocchi, which another section reads with ` +
      `transform = ${mapped.transform}; Gnocchi's buckets become samples one way per meter (${file} [${mapped.meter}]): map one of them to its own metric`,
  );
}

/**
 * A template or match naming an attribute the Gnocchi resource type does not have would fail
 * every bill (or fall back every time): a config error, unless meters.ini declares it
 * (`attributes = …`, for a resource type extended with it). Resource types Ceilometer does not
 * create are not checked.
 */
function checkAttributes(mapped: GnocchiMeter, spec: MeterSpec, file: string): void {
  // A resource type of the operator's own (not one Ceilometer creates) has attributes artifice cannot know.
  const table = GNOCCHI_ATTRIBUTES[mapped.resourceType];
  if (table === undefined) return;
  const names = specAttributes(spec);
  const known = new Set([...table, ...(spec.attributes ?? [])]);
  const unknown = names.find((name) => !known.has(name));
  if (unknown === undefined) return;
  throw new ConfigError(
    `meters.ini [${spec.meter}] names the attribute ${unknown}, which Gnocchi resources of type ${mapped.resourceType} (${file} [${mapped.meter}]) do not have ` +
      `(they have: ${[...known].join(', ') || 'none'}); fix the name, or, if your resource type has it, declare it in meters.ini with attributes = ${unknown}`,
  );
}

function aggregationList(reader: Reader, section: string, key: string): string[] | undefined {
  const list = reader.list(section, key, 'aggregation method, e.g. mean');
  if (list === undefined) return undefined;
  for (const method of list) {
    if (!AGGREGATION.test(method)) {
      throw reader.error(section, key, `= '${list.join(', ')}' is not valid: '${method}' is not a Gnocchi aggregation method (mean, sum, last, max, min, std, median, first, count, Npct, or rate:<method>)`);
    }
  }
  return list;
}

/** What `[gnocchi]` is read from: artifice.ini's sections, its directory, and the meters of meters.ini. */
export interface GnocchiSource {
  file: string;
  dir: string;
  sections: IniSections;
  meterSpecs: readonly MeterSpec[];
}

/** `[gnocchi]` and the mapping file → settings. `readText` is injectable for tests. */
export function parseGnocchi(
  config: GnocchiSource,
  readText: (file: string) => string = (file) => readFileSync(file, 'utf8'),
): GnocchiSettings {
  const at = new Reader(config.file, config.sections);
  const granularity = at.number('gnocchi', 'granularity', 1, LIMITS.seconds) ?? GNOCCHI_DEFAULTS.granularity;
  const authType = at.oneOf('gnocchi', 'auth_type', ['keystone', 'basic'] as const);
  const user = at.string('gnocchi', 'user') ?? GNOCCHI_DEFAULTS.user;
  const uptimeMetric = at.string('gnocchi', 'uptime_metric') ?? GNOCCHI_DEFAULTS.uptimeMetric;
  const source = at.string('gnocchi', 'source') ?? GNOCCHI_DEFAULTS.source;
  const keepAlive = at.boolean('gnocchi', 'keep_alive') ?? false;
  const mappingFile = at.path('gnocchi', 'mapping', config.dir) ?? packageFile('config', 'gnocchi.ini');
  if (user.includes(':')) throw at.error('gnocchi', 'user', 'must not contain ":" (basic auth sends "<user>:")');
  const defaultAggregation = aggregationList(at, 'gnocchi', 'aggregation') ?? GNOCCHI_DEFAULTS.aggregation;

  const map = readMapping(config.file, mappingFile, readText);
  const meters = new Map<string, GnocchiMeter>();
  for (const spec of config.meterSpecs) {
    // Sections that read one telemetry meter (`meter = instance`) share its mapping section.
    const read = telemetryMeterOf(spec);
    const mapped = meters.get(read) ?? mappedMeter(map, { ...spec, meter: read }, uptimeMetric, defaultAggregation);
    checkShared(mapped, spec, map.file);
    checkAttributes(mapped, spec, map.file);
    meters.set(read, mapped);
    checkHolding(spec, granularity, config.file);
  }
  const password = at.string('gnocchi', 'password');
  return { authType, user, password, granularity, uptimeMetric, source, keepAlive, mappingFile, meters };
}

/** The mapping file, its sections and keys checked. */
function readMapping(iniFile: string, mappingFile: string, readText: (file: string) => string): Reader {
  let text: string;
  try {
    text = readText(mappingFile);
  } catch (error) {
    throw new ConfigError(`${iniFile} [gnocchi] mapping: cannot read ${mappingFile}: ${errorMessage(error)}`, { cause: error });
  }
  const sections = readIni(text, mappingFile);
  for (const [name, section] of sections) {
    if (name === '') throw new ConfigError(`${mappingFile}: keys before the first [meter] section: ${Object.keys(section).join(', ')}`);
    const unknown = Object.keys(section).find((key) => !MAPPING_KEYS.includes(key));
    if (unknown) throw new Reader(mappingFile, sections).error(name, unknown, `is not a key of the Gnocchi mapping; allowed: ${MAPPING_KEYS.join(', ')}`);
  }
  return new Reader(mappingFile, sections);
}

function mappedMeter(map: Reader, spec: MeterSpec, uptimeMetric: string, defaultAggregation: readonly string[]): GnocchiMeter {
  if (!map.sections.has(spec.meter)) {
    throw new ConfigError(
      `${map.file}: meter ${spec.meter} (from meters.ini) has no [${spec.meter}] section: say which Gnocchi resource_type and metric it is read from ([gnocchi] mapping)`,
    );
  }
  const resourceType = map.string(spec.meter, 'resource_type');
  if (!resourceType) throw map.error(spec.meter, 'resource_type', 'is required: the Gnocchi resource type, e.g. instance or volume');
  const metric = map.string(spec.meter, 'metric') ?? (spec.transform === 'uptime' ? uptimeMetric : undefined);
  if (!metric) throw map.error(spec.meter, 'metric', 'is required: the Gnocchi metric of those resources, e.g. volume.size');
  const fallback =
    spec.transform === 'counter' ? GNOCCHI_DEFAULTS.counterAggregation : spec.transform === 'sum' ? GNOCCHI_DEFAULTS.sumAggregation : defaultAggregation;
  return { meter: spec.meter, transform: spec.transform, resourceType, metric, aggregations: aggregationList(map, spec.meter, 'aggregation') ?? [...fallback] };
}

/**
 * A bucket's sample must hold until the next bucket starts, or contiguous buckets would leave
 * unbilled holes: uptime and gauge meters need max_gap ≥ granularity (the collector ends each
 * run of buckets itself, so a longer max_gap bills nothing extra).
 */
function checkHolding(spec: MeterSpec, granularity: number, file: string): void {
  if (!isHoldingTransform(spec.transform)) return;
  if (spec.maxGapUs >= granularity * US_PER_SECOND) return;
  throw new ConfigError(
    `${file} [gnocchi] granularity = ${granularity} s is longer than max_gap of meter ${spec.meter} (${spec.maxGapUs / US_PER_SECOND} s): ` +
      `one Gnocchi bucket must hold until the next one starts; set max_gap ≥ ${granularity} ([main] max_gap or meters.ini [${spec.meter}] max_gap) or use a finer granularity`,
  );
}
