/**
 * What an HTTP collector (Ceilometer, Gnocchi) needs from the config: one HttpClient, the
 * Keystone auth (or none), the project directory, and the endpoint of each region.
 */
import type { Config } from '../../config.js';
import { ConfigError } from '../../model/errors.js';
import { HttpClient, type HttpIo } from '../../http/index.js';
import type { Secrets } from '../../model/secrets.js';
import { KeystoneAuth, KeystoneDirectory, type KeystoneOptions } from '../keystone.js';
import { telemetrySettings, type TelemetrySettings } from '../../config/telemetry.js';
import type { RegionSetting } from '../../config/regions.js';
import { versionedUrl, type ResolvedEndpoint } from './catalog.js';

/**
 * One endpoint per configured region: the region's explicit url, or the catalog's endpoint of
 * `serviceType` in its catalog region. Regions without an explicit name take the catalog's.
 */
export async function resolveEndpoints(
  regions: RegionSetting[],
  auth: KeystoneAuth | undefined,
  service: { serviceType: string; version: string },
): Promise<ResolvedEndpoint[]> {
  return Promise.all(
    regions.map(async (region) => {
      if (region.url !== undefined) {
        return { url: versionedUrl(region.url, service.version), region: region.name ?? 'RegionOne', source: region.urlFrom ?? '[telemetry] url' };
      }
      if (!auth) throw new ConfigError(`no url for region ${region.name ?? '(default)'} and no Keystone to find one`);
      const found = await auth.endpoint({ serviceType: service.serviceType, version: service.version, region: region.catalogRegion });
      return { url: found.url, region: region.name ?? found.region ?? 'RegionOne', source: found.source };
    }),
  );
}

/**
 * What an HTTP collector needs, built from the config: settings, one HttpClient (timeouts,
 * retries, TLS) shared by Keystone and the telemetry API, the Keystone auth (or none), and
 * the project directory. The Gnocchi collector uses it as the Ceilometer one does:
 * `const t = openTelemetryClient(config, io); const eps = await resolveEndpoints(t.settings.regions, t.keystone, {serviceType: 'metric', version: 'v1'})`.
 */
export interface TelemetryClient {
  settings: TelemetrySettings;
  http: HttpClient;
  keystone?: KeystoneAuth;
  directory?: KeystoneDirectory;
  close(): void;
}

/** How an HTTP collector is opened: test doubles for the I/O, and the process's secrets (Deps.secrets) for the tokens it obtains. */
export type CollectorIo = HttpIo & { keystone?: KeystoneOptions; backoffMs?: number; secrets?: Secrets };

export function openTelemetryClient(config: Config, io: CollectorIo & { keepAlive?: boolean } = {}): TelemetryClient {
  const settings = telemetrySettings(config);
  const http = new HttpClient({
    timeoutMs: settings.http.timeoutMs,
    retries: settings.http.retries,
    concurrency: settings.http.concurrency,
    caFile: settings.http.caFile,
    insecure: settings.http.insecure,
    keepAlive: io.keepAlive,
    backoffMs: io.backoffMs,
    fetch: io.fetch,
    sleep: io.sleep,
    random: io.random,
    now: io.now,
    secrets: io.secrets,
  });
  const keystone = settings.keystone ? new KeystoneAuth(settings.keystone, http, { now: io.now, secrets: io.secrets, ...io.keystone }) : undefined;
  return {
    settings,
    http,
    keystone,
    directory: keystone ? new KeystoneDirectory(keystone) : undefined,
    close: () => http.close(),
  };
}

