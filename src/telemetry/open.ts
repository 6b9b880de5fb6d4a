/** `[telemetry] backend` → a Collector; each backend is loaded only when configured. */
import type { Config } from '../config.js';
import type { Secrets } from '../model/secrets.js';
import type { Collector } from './contract.js';

/** `secrets` receives the tokens the HTTP backends obtain (Deps.secrets). */
export async function openCollector(config: Config, secrets: Secrets): Promise<Collector> {
  switch (config.telemetry.backend) {
    case 'file': {
      const { FileCollector } = await import('./file.js');
      return new FileCollector(config.telemetry.file!, { region: config.telemetry.region, trustSources: config.main.trustSources });
    }
    case 'ceilometer': {
      const { openCeilometer } = await import('./ceilometer.js');
      return openCeilometer(config, { secrets });
    }
    case 'gnocchi': {
      const { openGnocchi } = await import('./gnocchi.js');
      return openGnocchi(config, { secrets });
    }
    default:
      throw new (await import('../model/errors.js')).ConfigError(
        `${config.file} [telemetry] backend = ${(config.telemetry as { backend: string }).backend} is not available in this build yet; use backend = file`,
      );
  }
}
