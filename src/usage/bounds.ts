/**
 * Volumes beyond physical sense: a `1e308` GB volume (a broken agent, a forged sample) would
 * bill a 300-digit total. Each meter has a bound (meters.ini `max_volume`); a sample above it,
 * or one that is not a finite number, fails its tenant instead of being billed.
 */
import { DataError } from '../model/errors.js';
import { formatTimestamp } from '../model/time.js';
import type { MeterSpec, Sample } from '../model/types.js';

export function refuseAbsurdVolume(samples: readonly Sample[], spec: MeterSpec): void {
  const max = spec.maxVolume ?? Number.MAX_VALUE;
  const bad = samples.find((s) => !Number.isFinite(s.volume) || s.volume > max);
  if (!bad) return;
  const what = Number.isFinite(bad.volume)
    ? `a volume of ${bad.volume}, above the meter's max_volume = ${max}`
    : `a volume that is not a finite number (${bad.volume})`;
  throw new DataError(
    `sample ${bad.id ?? '(no id)'} of ${spec.meter} for resource ${bad.resourceId} at ${formatTimestamp(bad.timestamp)} has ${what}: ` +
      `fix or remove the sample at its source, or, if such a volume is real, raise max_volume of [${spec.meter}] in the meters file; then bill again`,
  );
}
