/**
 * `[gnocchi]` and the meter → Gnocchi mapping, parsed and checked at load with the rest of the
 * config (src/config/gnocchi.ts); this module hands them to the collector.
 */
import type { Config } from '../../config.js';
import type { GnocchiSettings } from '../../config/gnocchi.js';
import { ConfigError } from '../../model/errors.js';

export { GNOCCHI_DEFAULTS, isHoldingTransform } from '../../config/gnocchi.js';
export type { GnocchiAuthType, GnocchiMeter, GnocchiSettings } from '../../config/gnocchi.js';

/** The parsed `[gnocchi]` settings, `authType` resolved (backend = gnocchi). */
export function gnocchiSettings(config: Config): GnocchiSettings {
  if (config.telemetry.backend !== 'gnocchi') {
    throw new ConfigError(`${config.file} [telemetry] backend = ${config.telemetry.backend}: the Gnocchi collector needs backend = gnocchi`);
  }
  return config.telemetry.gnocchi;
}
