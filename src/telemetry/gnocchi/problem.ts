/** Gnocchi's answers read as problems of one tenant's meter, and the config keys to check. */
import { HttpError } from '../../http/index.js';
import type { GnocchiMeter, GnocchiSettings } from '../../config/gnocchi.js';

/** A problem found in Gnocchi's answers (not an HTTP failure): its message is already one line for users. */
export class GnocchiProblem extends Error {}

function description(error: unknown): unknown {
  if (!(error instanceof HttpError) || !error.body) return undefined;
  try {
    return (JSON.parse(error.body) as { description?: unknown }).description;
  } catch {
    return undefined;
  }
}

/** Gnocchi's `{"cause": "Metrics not found", "detail": [...]}` (400 from /v1/aggregates). */
export function isMetricsNotFound(error: unknown): boolean {
  const d = description(error);
  return error instanceof HttpError && error.status === 400 && d !== null && typeof d === 'object' && (d as { cause?: unknown }).cause === 'Metrics not found';
}

/** Where the metric name of a meter is configured. */
export function metricKey(settings: GnocchiSettings, meter: GnocchiMeter): string {
  return meter.transform === 'uptime' ? `[gnocchi] uptime_metric, or ${settings.mappingFile} [${meter.meter}] metric` : `${settings.mappingFile} [${meter.meter}] metric`;
}
