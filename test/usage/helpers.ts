/** Builders for usage tests: samples and specs with readable timestamps, and seeded shuffles. */
import { Decimal } from '../../src/model/decimal.js';
import { parseTimestamp, US_PER_HOUR, type Micros } from '../../src/model/time.js';
import type { MeterSpec, Sample, UsageRecord, Window } from '../../src/model/types.js';

export const MINUTE = 60_000_000;
export const HOUR = US_PER_HOUR;

/** An ISO timestamp → epoch µs; throws on a typo so a test cannot silently use `undefined`. */
export function at(iso: string): Micros {
  const us = parseTimestamp(iso);
  if (us === undefined) throw new Error(`bad timestamp in test: ${iso}`);
  return us;
}

export function window(start: string, end: string): Window {
  return { start: at(start), end: at(end) };
}

export function sample(fields: Partial<Omit<Sample, 'timestamp'>> & { timestamp: string | Micros }): Sample {
  const { timestamp, ...rest } = fields;
  return {
    meter: 'instance',
    resourceId: 'vm-1',
    projectId: 'p-1',
    volume: 1,
    unit: 'instance',
    type: 'gauge',
    metadata: {},
    id: null,
    source: 'openstack',
    region: 'RegionOne',
    ...rest,
    timestamp: typeof timestamp === 'string' ? at(timestamp) : timestamp,
  };
}

/** Samples every `stepUs` from `from` (inclusive) to `to` (exclusive). */
export function every(stepUs: Micros, from: string, to: string, fields: Partial<Omit<Sample, 'timestamp'>>): Sample[] {
  const out: Sample[] = [];
  for (let t = at(from); t < at(to); t += stepUs) out.push(sample({ ...fields, timestamp: t }));
  return out;
}

export const TRACKED = ['active', 'paused', 'rescued', 'resized', 'verify_resize'];

export function spec(fields: Partial<MeterSpec> & Pick<MeterSpec, 'meter' | 'transform'>): MeterSpec {
  return {
    service: fields.meter,
    unit: 'hour',
    divideBy: new Decimal(1),
    maxGapUs: HOUR,
    lookbackUs: HOUR,
    trackedStates: TRACKED,
    ...fields,
  };
}

export const GIB = 1073741824;

/** Deterministic Fisher–Yates with a small LCG, so a failing shuffle can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** A record as plain comparable data (decimals as strings). */
export function plain(record: UsageRecord): Record<string, unknown> {
  return { ...record, quantity: record.quantity.toString() };
}
