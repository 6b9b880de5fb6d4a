/**
 * Gnocchi archive policies (docs/gnocchi.md, "Archive policies"): what a metric actually keeps. The collector
 * reads each metric's policy (`GET /v1/metric/{id}`) and asks only for a granularity and an
 * aggregation method the policy holds — never assumes one.
 */

export interface ArchivePolicyLevel {
  /** A Python timedelta string (`1:00:00`, `30 days, 0:00:00`), or seconds. */
  granularity: string | number;
  timespan?: string | number | null;
  points?: number | null;
}

export interface ArchivePolicy {
  name: string;
  back_window?: number;
  definition: ArchivePolicyLevel[];
  aggregation_methods: string[];
}

const TIMEDELTA = /^(?:(-?\d+) days?, )?(\d+):(\d\d):(\d\d(?:\.\d+)?)$/;

/** A timedelta string (`365 days, 0:00:00`, `0:05:00`, `1 day, 0:00:00`) or a number → seconds. */
export function parseTimespan(value: string | number | null | undefined): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const m = TIMEDELTA.exec(text);
  if (!m) return undefined;
  const [, days = '0', h, mi, s] = m;
  return Number(days) * 86400 + Number(h) * 3600 + Number(mi) * 60 + Number(s);
}

/** `3600 s`, `1 h`, `5 min`, `30 d`: a duration for messages. */
export function formatSeconds(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export type PolicyChoice =
  | { ok: true; aggregation: string; /** Seconds kept at this granularity; Infinity when the policy says none. */ timespan: number }
  | { ok: false; problem: 'granularity' | 'aggregation'; reason: string };

/**
 * The aggregation to read at `granularity` from a metric with this policy: the first of
 * `preferences` the policy holds. A reason names the policy and what it does hold otherwise.
 */
export function choosePolicy(policy: ArchivePolicy, granularity: number, preferences: readonly string[]): PolicyChoice {
  const levels = policy.definition.map((level) => ({
    granularity: parseTimespan(level.granularity),
    timespan: parseTimespan(level.timespan ?? undefined),
  }));
  const level = levels.find((l) => l.granularity !== undefined && Math.abs(l.granularity - granularity) < 1e-6);
  if (!level) {
    const held = levels.map((l) => (l.granularity === undefined ? '?' : `${l.granularity} s`)).join(', ');
    return {
      ok: false,
      problem: 'granularity',
      reason: `its archive policy '${policy.name}' keeps granularity ${held || 'none'}, not ${granularity} s ([gnocchi] granularity)`,
    };
  }
  const methods = policy.aggregation_methods ?? [];
  const aggregation = preferences.find((method) => methods.includes(method));
  if (aggregation === undefined) {
    return {
      ok: false,
      problem: 'aggregation',
      reason: `its archive policy '${policy.name}' holds the aggregation method${methods.length === 1 ? '' : 's'} ${[...methods].sort().join(', ') || 'none'}, not ${preferences.join(' or ')} ([gnocchi] aggregation or the meter's aggregation in the Gnocchi mapping)`,
    };
  }
  return { ok: true, aggregation, timespan: level.timespan ?? Infinity };
}
