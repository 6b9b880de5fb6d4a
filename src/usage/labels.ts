/**
 * Which service each sample of a resource bills (docs/architecture.md, "Samples to usage"): the
 * meter's `service` template filled from the resource's attributes, or nothing when its `match`
 * fails. Attributes carry forward: a sample that reports none has the last value reported before
 * it (pollster samples often carry less metadata than notifications). An attribute never
 * reported takes the template's fallback (`{volume_type|standard}`), noted on the record for
 * `--explain`; without a fallback the tenant fails, naming the resource and the attribute.
 */
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import { attributeOf } from './attributes.js';
import type { MatchCondition, MeterSpec, Sample, ServicePart } from '../model/types.js';

/** What one sample bills. */
export type Label =
  | { kind: 'billed'; service: string; fallbacks: readonly string[] }
  /** `match` failed: the sample holds its time, but bills nothing. */
  | { kind: 'unmatched' }
  /** The template needs an attribute never reported and has no fallback for it. */
  | { kind: 'missing'; attribute: string };

const UNMATCHED: Label = { kind: 'unmatched' };

/** `service` parsed; specs built by hand give plain text, and `flavor` for uptime is the legacy `{flavor|unknown}`. */
export function serviceParts(spec: MeterSpec): readonly ServicePart[] {
  if (spec.serviceParts) return spec.serviceParts;
  if (spec.transform === 'uptime' && spec.service === 'flavor') return [{ kind: 'attribute', name: 'flavor', fallback: 'unknown' }];
  return [{ kind: 'text', text: spec.service }];
}

function matches(condition: MatchCondition, value: string | undefined): boolean {
  const found = value !== undefined && condition.values.includes(value.toLowerCase());
  return condition.negate ? !found : found;
}

/**
 * One label per sample (same order). `samples` are one resource's, sorted by time. Labels of one
 * service are shared objects: a month of samples makes a handful, not one each.
 */
export function labelSamples(samples: readonly Sample[], spec: MeterSpec, flavorNames?: Record<string, string>): Label[] {
  const parts = serviceParts(spec);
  const match = spec.match ?? [];
  const names = new Set<string>([...match.map((c) => c.attribute), ...parts.flatMap((p) => (p.kind === 'attribute' ? [p.name] : []))]);
  if (names.size === 0) {
    const only: Label = { kind: 'billed', service: parts.map((p) => (p.kind === 'text' ? p.text : '')).join(''), fallbacks: [] };
    return samples.map(() => only);
  }
  const known = new Map<string, string>();
  const made = new Map<string, Label>();
  // Samples of one resource often share one metadata object (the Gnocchi collector's revisions):
  // the same metadata as the sample before sets the same attributes, so it bills the same label.
  let previous: { metadata: Sample['metadata']; label: Label } | undefined;
  return samples.map((sample) => {
    if (previous?.metadata === sample.metadata) return previous.label;
    const label = labelOf(sample);
    previous = { metadata: sample.metadata, label };
    return label;
  });

  function labelOf(sample: Sample): Label {
    for (const name of names) {
      const value = attributeOf(sample, name, flavorNames);
      if (value !== undefined) known.set(name, value);
    }
    if (!match.every((c) => matches(c, known.get(c.attribute)))) return UNMATCHED;
    let service = '';
    const fallbacks: string[] = [];
    for (const part of parts) {
      if (part.kind === 'text') service += part.text;
      else if (known.has(part.name)) service += known.get(part.name);
      else if (part.fallback === undefined) return { kind: 'missing', attribute: part.name } satisfies Label;
      else {
        service += part.fallback;
        fallbacks.push(part.name);
      }
    }
    const key = `${service}\u0000${fallbacks.join('\u0000')}`;
    let label = made.get(key);
    if (!label) made.set(key, (label = { kind: 'billed', service, fallbacks }));
    return label;
  }
}

/**
 * The service a contributing sample bills, or undefined when `match` excludes it. A sample that
 * contributes without the attribute its template needs fails the tenant: never billed under a
 * made-up name, never dropped silently.
 */
export function billedBy(label: Label, sample: Sample, spec: MeterSpec): Extract<Label, { kind: 'billed' }> | undefined {
  if (label.kind === 'billed') return label;
  if (label.kind === 'unmatched') return undefined;
  throw new DataError(
    `resource ${sample.resourceId} of meter ${spec.meter} reports no ${label.attribute} (sample at ${formatTimestamp(sample.timestamp)}, ` +
      `and none before it), which the service template '${spec.service}' of [${spec.meter}] needs: give it a fallback ` +
      `({${label.attribute}|name}) in the meters file, or fix the telemetry so the resource reports ${label.attribute}; then bill again`,
  );
}

/** Accumulates, per service, what a transform needs to build its records. */
export class ServiceTally<T extends object> {
  readonly byService = new Map<string, T & { fallbacks: Set<string> }>();
  constructor(private readonly make: () => T) {}

  /** The tally of a billed label's service, its fallbacks noted. */
  of(label: Extract<Label, { kind: 'billed' }>): T & { fallbacks: Set<string> } {
    let tally = this.byService.get(label.service);
    if (!tally) {
      tally = Object.assign(this.make(), { fallbacks: new Set<string>() });
      this.byService.set(label.service, tally);
    }
    for (const name of label.fallbacks) tally.fallbacks.add(name);
    return tally;
  }
}

/** Record fields for the fallbacks used: none when empty, so records without any keep their shape. */
export function fallbackField(fallbacks: ReadonlySet<string>): { fallbacks?: string[] } {
  return fallbacks.size === 0 ? {} : { fallbacks: [...fallbacks].sort() };
}
