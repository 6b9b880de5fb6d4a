import type { Sample } from '../model/types.js';
/** A total order on samples, so that nothing downstream depends on the order samples arrived in. */

/** Code-unit comparison: unlike localeCompare, the same everywhere. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * -1, 0 or 1 (NaN ties, as a difference's NaN does in a sort). Not `a - b`: a difference of two
 * timestamps in µs is too large for a small integer, and a sort boxes each one it is given.
 */
function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareNullableText(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return compareText(a, b);
}

/** JSON with sorted keys: two equal metadata objects give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort(compareText)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The total order on samples: timestamp, then id (samples without one first), then volume, then
 * every other field, metadata last, so samples that compare equal are identical. Each comparator
 * keeps its own cache of canonical metadata (only computed for samples that tie on all else).
 */
export function sampleOrder(): (a: Sample, b: Sample) => number {
  const metadataKey = new Map<Sample, string>();
  const metadataOf = (s: Sample): string => {
    let key = metadataKey.get(s);
    if (key === undefined) metadataKey.set(s, (key = canonicalJson(s.metadata)));
    return key;
  };
  return (a, b) =>
    compareNumbers(a.timestamp, b.timestamp) ||
    compareNullableText(a.id, b.id) ||
    compareNumbers(a.volume, b.volume) ||
    compareText(a.meter, b.meter) ||
    compareText(a.resourceId, b.resourceId) ||
    compareText(a.source, b.source) ||
    compareText(a.region, b.region) ||
    compareNullableText(a.projectId, b.projectId) ||
    compareText(a.type, b.type) ||
    compareText(a.unit, b.unit) ||
    compareText(metadataOf(a), metadataOf(b));
}
