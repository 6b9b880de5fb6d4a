/**
 * The settings the HTTP collectors (Ceilometer, Gnocchi) share. They are parsed and checked at
 * load, with the rest of the config (src/config/telemetry.ts, keystone.ts, regions.ts); this
 * module hands them to the collectors.
 */
import type { Config } from '../config.js';
import type { HttpTelemetry } from '../config/telemetry.js';
import { ConfigError } from '../model/errors.js';

export { identityV3Url, parseInterface } from '../config/keystone.js';
export type { ApplicationCredentialAuth, EndpointInterface, KeystoneSettings, PasswordAuth } from '../config/keystone.js';
export type { TenantFilter } from '../config/main.js';
export type { RegionSetting } from '../config/regions.js';
export { HTTP_DEFAULTS, MAX_TIMEOUT_SECONDS } from '../config/telemetry.js';
export type { HttpSettings, TelemetrySettings } from '../config/telemetry.js';

/** The parsed settings of an HTTP backend (`[telemetry] backend = ceilometer | gnocchi`). */
export function telemetrySettings(config: Config): HttpTelemetry {
  if (config.telemetry.backend === 'file') {
    throw new ConfigError(`${config.file} [telemetry] backend = file has no HTTP settings: use backend = ceilometer or gnocchi`);
  }
  return config.telemetry;
}
