/**
 * `[telemetry]` of artifice.ini, one variant per backend: a samples file, or an HTTP API
 * (Ceilometer, Gnocchi) with its HTTP keys, endpoints per region, Keystone auth and, for Gnocchi,
 * its own section and mapping.
 */
import { ConfigError } from '../model/errors.js';
import type { MeterSpec } from '../model/types.js';
import { DEFAULTS } from './defaults.js';
import { parseGnocchi, type GnocchiSettings } from './gnocchi.js';
import { parseKeystone, type KeystoneSettings } from './keystone.js';
import type { Reader } from './reader.js';
import { parseRegions, type RegionSetting } from './regions.js';

export type Backend = 'file' | 'ceilometer' | 'gnocchi';

export interface HttpSettings {
  readonly timeoutMs: number;
  readonly retries: number;
  readonly concurrency: number;
  readonly caFile?: string;
  readonly insecure: boolean;
}

interface TelemetryBase {
  /** `[telemetry] file` and `url` as given (absolute path; URL without trailing slash). */
  readonly file?: string;
  readonly url?: string;
  /** `[telemetry] region` (default RegionOne). */
  readonly region: string;
}

export interface FileTelemetry extends TelemetryBase {
  readonly backend: 'file';
  /** Absolute path of the newline-delimited JSON samples file. */
  readonly file: string;
}

/** What the HTTP collectors share. */
export interface TelemetrySettings {
  readonly http: HttpSettings;
  /** `[telemetry] page_size`, if given (each collector has its own default). */
  readonly pageSize?: number;
  /** Frozen; typed mutable only so resolveEndpoints (src/telemetry/keystone.ts) keeps its signature. */
  readonly regions: RegionSetting[];
  /** Undefined when there is no Keystone (`[keystone]` absent or `auth_type = none`). */
  readonly keystone?: KeystoneSettings;
}

export interface CeilometerTelemetry extends TelemetryBase, TelemetrySettings {
  readonly backend: 'ceilometer';
}

export interface GnocchiTelemetry extends TelemetryBase, TelemetrySettings {
  readonly backend: 'gnocchi';
  readonly gnocchi: GnocchiSettings;
}

export type HttpTelemetry = CeilometerTelemetry | GnocchiTelemetry;
export type TelemetryConfig = FileTelemetry | HttpTelemetry;

export const HTTP_DEFAULTS = { timeoutSeconds: 30, retries: 4, concurrency: 8 } as const;
/** An hour per request is plenty; Node's timers overflow (and fire at once) beyond 2^31 − 1 ms. */
export const MAX_TIMEOUT_SECONDS = 3600;

/**
 * `[telemetry]` and the sections its backend reads: `[keystone]` and `[region:NAME]` for the
 * HTTP backends, `[gnocchi]` and the mapping file for Gnocchi (which needs the meters).
 */
export function parseTelemetry(at: Reader, dir: string, meterSpecs: readonly MeterSpec[]): TelemetryConfig {
  const backend = at.oneOf('telemetry', 'backend', ['file', 'ceilometer', 'gnocchi'] as const);
  if (!backend) throw at.error('telemetry', 'backend', 'is required: one of file, ceilometer, gnocchi');
  const base = { file: at.path('telemetry', 'file', dir), url: at.url('telemetry', 'url'), region: at.string('telemetry', 'region') ?? DEFAULTS.region };
  if (backend === 'file') {
    if (!base.file) throw at.error('telemetry', 'file', 'is required with backend = file: the path of a newline-delimited JSON samples file');
    return { ...base, backend, file: base.file };
  }
  const http = { ...base, ...parseHttpBackend(at, dir) };
  if (backend === 'ceilometer') return { ...http, backend };
  return { ...http, backend, gnocchi: gnocchiAuth(at, parseGnocchi({ file: at.file, dir, sections: at.sections, meterSpecs }), http.keystone) };
}

/** `[gnocchi] auth_type` resolved: keystone when `[keystone]` is configured, else basic. */
function gnocchiAuth(at: Reader, gnocchi: GnocchiSettings, keystone: KeystoneSettings | undefined): GnocchiSettings {
  const authType = gnocchi.authType ?? (keystone ? 'keystone' : 'basic');
  if (authType === 'keystone' && !keystone) {
    throw new ConfigError(`${at.file} [gnocchi] auth_type = keystone needs a [keystone] section (auth_url and credentials), or use auth_type = basic`);
  }
  return { ...gnocchi, authType };
}

function parseHttpBackend(at: Reader, dir: string): TelemetrySettings {
  const keystone = parseKeystone(at);
  return {
    http: parseHttp(at, dir),
    pageSize: at.integer('telemetry', 'page_size', 1, 100000),
    regions: parseRegions(at, keystone),
    keystone,
  };
}

export function parseHttp(at: Reader, dir: string): HttpSettings {
  return {
    timeoutMs: Math.round((at.number('telemetry', 'timeout', 0.001, MAX_TIMEOUT_SECONDS) ?? HTTP_DEFAULTS.timeoutSeconds) * 1000),
    retries: at.integer('telemetry', 'retries', 0, 20) ?? HTTP_DEFAULTS.retries,
    concurrency: at.integer('telemetry', 'concurrency', 1, 256) ?? HTTP_DEFAULTS.concurrency,
    caFile: at.path('telemetry', 'ca_file', dir),
    insecure: at.boolean('telemetry', 'insecure') ?? false,
  };
}

/** What the narrowing functions below read of a Config (structural, so this module needs no import of src/config.ts). */
interface WithTelemetry {
  readonly file: string;
  readonly telemetry: TelemetryConfig;
}

/** The parsed settings of an HTTP backend (`[telemetry] backend = ceilometer | gnocchi`). */
export function telemetrySettings(config: WithTelemetry): HttpTelemetry {
  if (config.telemetry.backend === 'file') {
    throw new ConfigError(`${config.file} [telemetry] backend = file has no HTTP settings: use backend = ceilometer or gnocchi`);
  }
  return config.telemetry;
}

/** The parsed `[gnocchi]` settings, `authType` resolved (backend = gnocchi). */
export function gnocchiSettings(config: WithTelemetry): GnocchiSettings {
  if (config.telemetry.backend !== 'gnocchi') {
    throw new ConfigError(`${config.file} [telemetry] backend = ${config.telemetry.backend}: the Gnocchi collector needs backend = gnocchi`);
  }
  return config.telemetry.gnocchi;
}
