/**
 * Ceilometer v2 sample JSON → the normalized `Sample` of contract.ts. Shared by the file
 * collector (one JSON sample per line) and the HTTP Ceilometer collector, so it knows nothing
 * of files or HTTP: callers add where the sample came from to the error message.
 *
 * Two shapes are accepted (docs/ceilometer.md, "Sample shapes"): `Sample` (`/v2/samples`: meter, type,
 * unit, volume, metadata, id) and `OldSample` (`/v2/meters/{meter}`: counter_name,
 * counter_type, counter_unit, counter_volume, resource_metadata, message_id).
 */
import { TelemetryError } from '../../model/errors.js';
import { parseTimestamp } from '../../model/time.js';
import { isSampleType, type Sample } from '../../model/types.js';

/** A sample that is JSON but not a valid Ceilometer sample. `field` is the offending key. */
export class InvalidSampleError extends TelemetryError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

/** Key names of the two shapes. */
const SHAPES = {
  sample: { meter: 'meter', type: 'type', unit: 'unit', volume: 'volume', metadata: 'metadata', id: 'id' },
  old: {
    meter: 'counter_name',
    type: 'counter_type',
    unit: 'counter_unit',
    volume: 'counter_volume',
    metadata: 'resource_metadata',
    id: 'message_id',
  },
} as const;

/** A short rendering of a bad value for messages: `"abc"`, `null`, `{…}`, or `nothing`. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function invalid(field: string, expected: string, value: unknown): InvalidSampleError {
  return new InvalidSampleError(field, `${field} must be ${expected}, got ${describeValue(value)}`);
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requireString(json: Json, field: string, allowEmpty = false): string {
  const value = json[field];
  if (typeof value !== 'string' || (!allowEmpty && value.trim() === '')) {
    throw invalid(field, allowEmpty ? 'a string' : 'a non-empty string', value);
  }
  return value;
}

function optionalString(json: Json, field: string): string | null {
  const value = json[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.trim() === '') throw invalid(field, 'a non-empty string or null', value);
  return value;
}

/**
 * Ceilometer flattens metadata (`flavor.name`); a hand-written file may nest it instead.
 * Nested plain objects become dotted keys, as Ceilometer's `recursive_keypairs` does; values
 * are kept as given (the API stringifies them, files may not).
 */
function flattenMetadata(metadata: Json, prefix = '', into: Json = {}): Json {
  for (const [key, value] of Object.entries(metadata)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (isObject(value)) flattenMetadata(value, name, into);
    else into[name] = value;
  }
  return into;
}

/** Which shape a sample object has: `meter` wins over `counter_name` if both are present. */
function shapeOf(json: Json): (typeof SHAPES)[keyof typeof SHAPES] {
  if ('meter' in json) return SHAPES.sample;
  if ('counter_name' in json) return SHAPES.old;
  throw new InvalidSampleError(
    'meter',
    'meter must be a non-empty string (or counter_name, in the OldSample shape), got nothing',
  );
}

/**
 * Normalizes one Ceilometer v2 sample (either shape). `region` is the region (endpoint) it was
 * collected from. Throws an `InvalidSampleError` (a `TelemetryError`) naming the wrong field
 * and what was expected, e.g. `volume must be a number, got "abc"`.
 */
export function normalizeCeilometerSample(json: unknown, region: string): Sample {
  if (!isObject(json)) throw invalid('sample', 'a JSON object', json);
  const keys = shapeOf(json);

  const meter = requireString(json, keys.meter);
  const type = json[keys.type];
  if (!isSampleType(type)) throw invalid(keys.type, 'one of gauge, cumulative, delta', type);
  const unit = requireString(json, keys.unit, true);
  const volume = json[keys.volume];
  // JSON cannot carry NaN/Infinity, but a caller may hand us a parsed object from elsewhere.
  if (typeof volume !== 'number' || !Number.isFinite(volume)) throw invalid(keys.volume, 'a number', volume);
  const resourceId = requireString(json, 'resource_id');
  const projectId = optionalString(json, 'project_id');
  const source = requireString(json, 'source', true);
  const id = optionalString(json, keys.id);

  const rawTimestamp = json.timestamp;
  const timestamp = typeof rawTimestamp === 'string' ? parseTimestamp(rawTimestamp) : undefined;
  if (timestamp === undefined) {
    throw invalid('timestamp', 'an ISO-8601 UTC time like "2024-05-03T10:20:04.123456"', rawTimestamp);
  }

  const rawMetadata = json[keys.metadata];
  let metadata: Json = {};
  if (rawMetadata !== undefined && rawMetadata !== null) {
    if (!isObject(rawMetadata)) throw invalid(keys.metadata, 'an object', rawMetadata);
    metadata = flattenMetadata(rawMetadata);
  }

  return { meter, resourceId, projectId, timestamp, volume, unit, type, metadata, id, source, region };
}
