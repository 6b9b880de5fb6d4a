/**
 * Bounds and list rules of the HTTP collectors' settings (src/config/telemetry.ts) and of
 * [gnocchi] (src/config/gnocchi.ts): the parts the Keystone and Gnocchi suites do not cover.
 */
import { parseConfig, parseMeters } from '../../src/config.js';
import { parseGnocchi } from '../../src/config/gnocchi.js';
import { parseIni } from '../../src/config/ini-file.js';
import { ConfigError } from '../../src/model/errors.js';
import { telemetrySettings } from '../../src/config/telemetry.js';

const httpSettings = (config: ReturnType<typeof parseConfig>) => telemetrySettings(config).http;

const FILE = '/etc/artifice/artifice.ini';
const config = (main: string, telemetry = '') =>
  parseConfig(`[main]\n${main}\n[telemetry]\nbackend = ceilometer\nurl = http://c:8777\n${telemetry}\n`, FILE);

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('[telemetry] timeout is bounded (Node timers overflow past 2^31 − 1 ms)', () => {
  it('up to an hour', () => {
    expect(httpSettings(config('', 'timeout = 3600')).timeoutMs).toBe(3_600_000);
  });

  it.each(['2147483.648', '3600.5', '1e300'])('timeout = %s', (value) => {
    expect(configError(() => httpSettings(config('', `timeout = ${value}`)))).toBe(
      `${FILE} [telemetry] timeout = '${value}' is not valid: use a number from 0.001 to 3600`,
    );
  });
});

describe('lists given but empty', () => {
  it.each([
    ['include_tenants', 'include_tenants = ,', "[main] include_tenants = ',' must name at least one project id or name"],
    ['exclude_tenants', 'exclude_tenants = , ,', "[main] exclude_tenants = ', ,' must name at least one project id or name"],
  ])('%s', (_key, line, message) => {
    expect(configError(() => config(line))).toContain(`${FILE} ${message}`);
  });

  it('regions = , (it would fall back to the single default region)', () => {
    expect(configError(() => config('', 'regions = ,'))).toBe(
      `${FILE} [telemetry] regions = ',' must name at least one region (a comma-separated list)`,
    );
  });
});

describe('[gnocchi]', () => {
  const specs = parseMeters('[volume.size]\ntransform = gauge\nunit = gigabyte-hour\nmax_gap = 2678400\n', '/etc/artifice/meters.ini', 3600);
  const MAPPING = '[volume.size]\nresource_type = volume\nmetric = volume.size\n';
  const read = (gnocchi: string, mapping = MAPPING) =>
    parseGnocchi({ file: FILE, dir: '/etc/artifice', sections: parseIni(`[gnocchi]\n${gnocchi}`), meterSpecs: specs }, () => mapping);

  it('granularity is bounded like max_gap (31 days)', () => {
    expect(read('granularity = 2678400').granularity).toBe(2678400);
    expect(configError(() => read('granularity = 1e300'))).toBe(`${FILE} [gnocchi] granularity = '1e300' is not valid: use a number from 1 to 2678400`);
  });

  it('aggregation = , names at least one method', () => {
    expect(configError(() => read('aggregation = ,'))).toBe(
      `${FILE} [gnocchi] aggregation = ',' must name at least one aggregation method, e.g. mean (a comma-separated list)`,
    );
  });

  it('the mapping file gets the same ini checks (a key given twice)', () => {
    expect(configError(() => read('mapping = map.ini', `${MAPPING}metric = vcpus\n`))).toBe(
      '/etc/artifice/map.ini [volume.size] metric is given twice (lines 3 and 4): keep one',
    );
  });
});
