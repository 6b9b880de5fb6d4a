import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Decimal } from '../src/model/decimal.js';
import {
  configPath,
  DEFAULTS,
  loadConfig,
  parseConfig,
  parseMeters,
  Reader,
  type Config,
} from '../src/config.js';
import { ConfigError } from '../src/model/errors.js';
import { parseIni } from '../src/config/ini-file.js';
import { packageFile } from '../src/model/paths.js';

const FILE = '/etc/artifice/artifice.ini';
const MINIMAL = '[telemetry]\nbackend = file\nfile = samples.ndjson\n';
const METERS_FILE = '/etc/artifice/meters.ini';

/** Runs `fn` and returns the ConfigError it throws (fails the test if it throws anything else or nothing). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

async function configErrorAsync(promise: Promise<unknown>): Promise<ConfigError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

/** A [main] section with one key added to the minimal file. */
const withMain = (lines: string) => `[main]\n${lines}\n${MINIMAL}`;

describe('parseConfig: tenants billed at once', () => {
  const ceilometer = (main: string) => parseConfig(`[main]\n${main}\n[telemetry]\nbackend = ceilometer\nurl = http://ceilometer:8777/\n`, FILE);

  it('are 2 by default with Ceilometer (a tenant reads each meter as its own stream of pages), 4 otherwise', () => {
    expect(ceilometer('').main.concurrency).toBe(2);
    expect(parseConfig(MINIMAL, FILE).main.concurrency).toBe(4);
  });

  it('are what [main] concurrency says, whatever the backend', () => {
    expect(ceilometer('concurrency = 6').main.concurrency).toBe(6);
  });
});

describe('parseConfig: defaults', () => {
  let config: Config;
  beforeAll(() => {
    config = parseConfig(MINIMAL, FILE);
  });

  it('fills every [main] default of artifice.ini.example', () => {
    expect(config.file).toBe(FILE);
    expect(config.dir).toBe('/etc/artifice');
    expect(config.main.invoiceObject).toBe('csv');
    expect(config.main.database).toBe('/etc/artifice/artifice.sqlite');
    expect(config.main.timezone).toBe('UTC');
    expect(config.main.settleHours).toBe(6);
    expect(config.main.currency).toBe('USD');
    expect(config.main.currencyDigits).toBe(2);
    expect(config.main.allowUnpriced).toBe(false);
    expect(config.main.maxGapSeconds).toBe(3600);
    expect(config.main.meters).toBe(packageFile('config', 'meters.ini'));
    expect(path.isAbsolute(config.main.meters)).toBe(true);
    expect(config.main.statusFile).toBe('/etc/artifice/status.json'); // beside the database
    expect(config.main.concurrency).toBe(4);
    expect(config.main.graceHours).toBe(24);
    expect(config.main.ledgerJournal).toBe('wal');
  });

  it('the status file follows the database when only the database moves', () => {
    expect(parseConfig(withMain('database = /var/lib/artifice/l.sqlite'), FILE).main.statusFile).toBe('/var/lib/artifice/status.json');
  });

  it('trusts exactly `openstack` by default (anchored, so a forged `<project>:openstack` is not trusted)', () => {
    const sources = config.main.trustSources;
    const trusted = (source: string) => sources.some((re) => re.test(source));
    expect(trusted('openstack')).toBe(true);
    expect(trusted('abc:openstack')).toBe(false);
    expect(trusted('openstack2')).toBe(false);
  });

  it('defaults telemetry region and leaves the free sections empty', () => {
    expect(config.telemetry).toMatchObject({ backend: 'file', file: '/etc/artifice/samples.ndjson', region: 'RegionOne' });
    expect(config.telemetry.url).toBeUndefined();
    expect(config.datacenters).toEqual({});
    expect(config.flavors).toEqual({});
    expect(config.invoice).toEqual({});
    expect(config.meterSpecs).toEqual([]);
  });

  it('DEFAULTS agree with docs/configuration.md', () => {
    expect(DEFAULTS.settleHours).toBe(6);
    expect(DEFAULTS.maxGapSeconds).toBe(3600);
    expect(DEFAULTS.trackedStates).toEqual(['active', 'paused', 'rescued', 'resized', 'verify_resize']);
  });
});

describe('parseConfig: every key', () => {
  const TEXT = [
    '[main]',
    'invoice:object = ./adapters/erp.mjs:ErpInvoice',
    'database = data/ledger.sqlite',
    'timezone = Pacific/Auckland',
    'settle_hours = 12.5',
    'trust_sources = openstack, ceilometer-.*',
    'currency = NZD',
    'currency_digits = 3',
    'allow_unpriced = true',
    'meters = conf/meters.ini',
    'max_gap = 600',
    'status_file = run/status.json',
    'concurrency = 8',
    'grace_hours = 48',
    'ledger_journal = delete',
    '',
    '[telemetry]',
    'backend = ceilometer',
    'file = samples/s.ndjson.gz',
    'url = https://ceilometer.example.com:8777/',
    'region = RegionTwo',
    '',
    '[datacenters]',
    'az-1 = Wellington',
    'compute-7 = Auckland',
    '',
    '[flavors]',
    '1 = m1.tiny',
    '',
    '[invoice:object]',
    'output_dir = out/invoices',
    'rates = ../rates.csv',
    'api_key = abc',
  ].join('\n');
  let config: Config;
  beforeAll(() => {
    config = parseConfig(TEXT, '/srv/billing/artifice.ini');
  });

  it('[main]', () => {
    expect(config.main.invoiceObject).toBe('./adapters/erp.mjs:ErpInvoice');
    expect(config.main.database).toBe('/srv/billing/data/ledger.sqlite');
    expect(config.main.timezone).toBe('Pacific/Auckland');
    expect(config.main.settleHours).toBe(12.5);
    expect(config.main.currency).toBe('NZD');
    expect(config.main.currencyDigits).toBe(3);
    expect(config.main.allowUnpriced).toBe(true);
    expect(config.main.meters).toBe('/srv/billing/conf/meters.ini');
    expect(config.main.maxGapSeconds).toBe(600);
    expect(config.main.statusFile).toBe('/srv/billing/run/status.json');
    expect(config.main.concurrency).toBe(8);
    expect(config.main.graceHours).toBe(48);
    expect(config.main.ledgerJournal).toBe('delete');
  });

  it('trust_sources is a list of whole-source regexes', () => {
    const trusted = (source: string) => config.main.trustSources.some((re) => re.test(source));
    expect(config.main.trustSources).toHaveLength(2);
    expect(trusted('openstack')).toBe(true);
    expect(trusted('ceilometer-west')).toBe(true);
    expect(trusted('p1:ceilometer-west')).toBe(false);
    expect(trusted('other')).toBe(false);
  });

  it('[telemetry]', () => {
    expect(config.telemetry.backend).toBe('ceilometer');
    expect(config.telemetry.file).toBe('/srv/billing/samples/s.ndjson.gz');
    expect(config.telemetry.url).toBe('https://ceilometer.example.com:8777');
    expect(config.telemetry.region).toBe('RegionTwo');
  });

  it('[datacenters], [flavors] and [invoice:object] are passed as given (paths not resolved)', () => {
    expect(config.datacenters).toEqual({ 'az-1': 'Wellington', 'compute-7': 'Auckland' });
    expect(config.flavors).toEqual({ 1: 'm1.tiny' });
    expect(config.invoice).toEqual({ output_dir: 'out/invoices', rates: '../rates.csv', api_key: 'abc' });
  });

  it.each([
    ['yes', true], ['on', true], ['1', true], ['TRUE', true],
    ['no', false], ['off', false], ['0', false], ['false', false],
  ])('allow_unpriced = %s → %s', (text, value) => {
    expect(parseConfig(withMain(`allow_unpriced = ${text}`), FILE).main.allowUnpriced).toBe(value);
  });

  it('absolute paths stay as they are', () => {
    const config = parseConfig(withMain('database = /var/lib/artifice/l.sqlite'), FILE);
    expect(config.main.database).toBe('/var/lib/artifice/l.sqlite');
  });

  it('settle_hours = 0 is allowed (bill as soon as the window ends)', () => {
    expect(parseConfig(withMain('settle_hours = 0'), FILE).main.settleHours).toBe(0);
  });
});

describe('parseConfig: errors name file, section and key', () => {
  it('a key before any section', () => {
    const error = configError(() => parseConfig(`stray = 1\n${MINIMAL}`, FILE));
    expect(error.message).toContain(FILE);
    expect(error.message).toContain("'stray'");
    expect(error.message).toContain('before any [section]');
  });

  it('an unclosed section header is not silently taken as a section', () => {
    const error = configError(() => parseConfig(`[main\ncurrency = EUR\n${MINIMAL}`, FILE));
    expect(error.message).toContain(FILE);
    expect(error.message).toContain('[main');
  });

  it('an unknown section lists the known ones', () => {
    const error = configError(() => parseConfig(`${MINIMAL}[mian]\ncurrency = EUR\n`, FILE));
    expect(error.message).toContain(`${FILE}: unknown section [mian]; known sections: [main], [telemetry]`);
    for (const known of ['[datacenters]', '[flavors]', '[invoice:object]']) expect(error.message).toContain(known);
    expect(error.message).not.toContain('\n');
  });

  it('an unknown key in [main]', () => {
    const error = configError(() => parseConfig(withMain('curency = EUR'), FILE));
    expect(error.message).toContain(`${FILE} [main] curency: unknown key`);
    expect(error.message).toContain('currency');
  });

  it('an unknown key in [telemetry]', () => {
    const error = configError(() => parseConfig(`${MINIMAL}mode = fast\n`, FILE));
    expect(error.message).toContain(`${FILE} [telemetry] mode: unknown key`);
  });

  it('backend = mongo', () => {
    const error = configError(() => parseConfig('[telemetry]\nbackend = mongo\n', FILE));
    expect(error.message).toBe(`${FILE} [telemetry] backend = 'mongo' is not valid: use one of file, ceilometer, gnocchi`);
  });

  it('a missing backend', () => {
    const error = configError(() => parseConfig('[main]\ncurrency = EUR\n', FILE));
    expect(error.message).toContain(`${FILE} [telemetry] backend is required`);
  });

  it('backend = file without a file', () => {
    const error = configError(() => parseConfig('[telemetry]\nbackend = file\n', FILE));
    expect(error.message).toContain(`${FILE} [telemetry] file is required`);
  });

  it.each([
    ['timezone = Mars/Olympus_Mons', '[main] timezone', "'Mars/Olympus_Mons'"],
    ['currency = usd', '[main] currency', "'usd'"],
    ['currency = DOLLARS', '[main] currency', "'DOLLARS'"],
    ['settle_hours = -1', '[main] settle_hours', "'-1'"],
    ['settle_hours = six', '[main] settle_hours', "'six'"],
    ['currency_digits = 2.5', '[main] currency_digits', "'2.5'"],
    ['currency_digits = 9', '[main] currency_digits', "'9'"],
    ['allow_unpriced = maybe', '[main] allow_unpriced', "'maybe'"],
    ['max_gap = 0', '[main] max_gap', "'0'"],
    ['concurrency = 0', '[main] concurrency', "'0'"],
    ['grace_hours = -2', '[main] grace_hours', "'-2'"],
    ['ledger_journal = truncate', '[main] ledger_journal', "'truncate'"],
    ['trust_sources = openstack, (unclosed', '[main] trust_sources', '(unclosed'],
  ])('%s', (line, where, shown) => {
    const error = configError(() => parseConfig(withMain(line), FILE));
    expect(error.message).toContain(`${FILE} ${where} = `);
    expect(error.message).toContain(shown);
    expect(error.message).toContain('is not valid');
    expect(error.message).not.toContain('\n');
  });

  it.each([
    ['url = ftp://ceilometer.example.com/'],
    ['url = not a url'],
  ])('[telemetry] %s', (line) => {
    const error = configError(() => parseConfig(`${MINIMAL}${line}\n`, FILE));
    expect(error.message).toContain(`${FILE} [telemetry] url = `);
    expect(error.message).toContain('http:// or https://');
  });
});

describe('lists: given but empty is an error, not "none"', () => {
  it.each([
    ['trust_sources = ,,,', `${FILE} [main] trust_sources = ',,,' must name at least one trusted source (a comma-separated list)`],
    ['trust_sources = , ', `${FILE} [main] trust_sources = ',' must name at least one trusted source (a comma-separated list)`],
  ])('%s', (line, message) => {
    expect(configError(() => parseConfig(withMain(line), FILE)).message).toBe(message);
  });

  it('an empty value is the default, as for every key', () => {
    expect(parseConfig(withMain('trust_sources ='), FILE).main.trustSources.map(String)).toEqual(['/^(?:openstack)$/']);
  });

  it('meters.ini tracked_states = , would drop every instance hour', () => {
    const error = configError(() => parseMeters('[instance]\ntransform = uptime\nunit = hour\ntracked_states = ,\n', METERS_FILE, 3600));
    expect(error.message).toBe(`${METERS_FILE} [instance] tracked_states = ',' must name at least one instance state, e.g. active (a comma-separated list)`);
  });
});

describe('numbers are bounded', () => {
  it.each([
    ['settle_hours = 1e10', 'settle_hours', 'use a number from 0 to 8760'],
    ['grace_hours = 1e300', 'grace_hours', 'use a number from 0 to 8760'],
    ['max_gap = 2678401', 'max_gap', 'use a number from 1 to 2678400'],
  ])('[main] %s', (line, key, allowed) => {
    const error = configError(() => parseConfig(withMain(line), FILE));
    expect(error.message).toBe(`${FILE} [main] ${key} = '${line.split(' = ')[1]}' is not valid: ${allowed}`);
  });

  it('the bounds themselves are allowed', () => {
    const config = parseConfig(withMain('settle_hours = 8760\ngrace_hours = 8760\nmax_gap = 2678400'), FILE);
    expect(config.main).toMatchObject({ settleHours: 8760, graceHours: 8760, maxGapSeconds: 2678400 });
  });

  const meter = (line: string) => parseMeters(`[image.size]\ntransform = gauge\nunit = gigabyte-hour\n${line}\n`, METERS_FILE, 3600);

  it.each([
    ['max_gap = 1e10', 'use a number from 1 to 2678400'],
    ['lookback = 1e10', 'use a number from 0 to 2678400'],
    ['divide_by = 1e-100000000', 'use a positive number in decimal notation'],
    ['divide_by = 1e1000', 'use a positive number in decimal notation'],
    ['divide_by = 0x19', 'use a positive number in decimal notation'],
    ['divide_by = -2', 'use a positive number in decimal notation'],
    ['divide_by = Infinity', 'use a positive number in decimal notation'],
  ])('meters.ini %s', (line, allowed) => {
    const [key, value] = line.split(' = ');
    expect(configError(() => meter(line)).message).toContain(`${METERS_FILE} [image.size] ${key} = '${value}' is not valid: ${allowed}`);
  });

  it('meters.ini sample_unit is kept as given; without it, units are not checked', () => {
    expect(meter('sample_unit = B')[0]!.sampleUnit).toBe('B');
    expect(meter('divide_by = 2')[0]!.sampleUnit).toBeUndefined();
  });

  it('the packaged meters.ini names the unit Ceilometer gives each default meter', () => {
    const specs = parseMeters(readFileSync(packageFile('config', 'meters.ini'), 'utf8'), 'meters.ini', 3600);
    expect(Object.fromEntries(specs.map((s) => [s.meter, s.sampleUnit]))).toEqual({
      instance: 'instance', 'volume.size': 'GB', 'ip.floating': 'ip', 'image.size': 'B', 'storage.objects.size': 'B',
      'network.incoming.bytes': 'B', 'network.outgoing.bytes': 'B',
    });
  });

  it('meters.ini divide_by in plain or exponent notation', () => {
    expect(meter('divide_by = 1.5e3')[0]!.divideBy.toString()).toBe('1500');
    expect(meter('divide_by = .5')[0]!.divideBy.toString()).toBe('0.5');
    expect(meter('divide_by = 1e-999')[0]!.divideBy.toString()).toBe('1e-999');
  });
});

describe('files every bill run writes: status_file and database', () => {
  let dir: string;
  let ini: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'artifice-config-'));
    ini = path.join(dir, 'artifice.ini');
    mkdirSync(path.join(dir, 'a-directory'));
    writeFileSync(path.join(dir, 'artifice.sqlite'), '');
    symlinkSync(path.join(dir, 'artifice.sqlite'), path.join(dir, 'link.sqlite'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const error = (lines: string) => configError(() => parseConfig(withMain(lines), ini)).message;

  it.each([
    ['status_file = artifice.sqlite', 'artifice.sqlite', 'it is the ledger ([main] database)'],
    ['database = l.sqlite\nstatus_file = l.sqlite', 'l.sqlite', 'it is the ledger ([main] database)'],
    ['status_file = link.sqlite', 'link.sqlite', 'it is the ledger ([main] database)'],
    ['status_file = artifice.ini', 'artifice.ini', 'it is this config file'],
    ['status_file = samples.ndjson', 'samples.ndjson', 'it is the samples file ([telemetry] file)'],
  ])('%s', (lines, file, why) => {
    expect(error(lines)).toBe(`${ini} [main] status_file = '${path.join(dir, file)}' is not valid: ${why}, which every bill run would overwrite with JSON; give a path of its own`);
  });

  it.each([
    ['a directory', 'a-directory', 'a directory'],
    ['a device', '/dev/null', 'a device'],
  ])('status_file that is %s', (_what, file, kind) => {
    expect(error(`status_file = ${file}`)).toBe(
      `${ini} [main] status_file = '${path.resolve(dir, file)}' is not valid: it exists and is ${kind}; every bill run replaces it with JSON, so give a file path`,
    );
  });

  it.each([
    ['metrics_file = artifice.sqlite', 'artifice.sqlite', 'it is the ledger ([main] database)'],
    ['metrics_file = link.sqlite', 'link.sqlite', 'it is the ledger ([main] database)'],
    ['metrics_file = artifice.ini', 'artifice.ini', 'it is this config file'],
    ['metrics_file = status.json', 'status.json', 'it is the status file ([main] status_file)'],
    ['status_file = s.json\nmetrics_file = s.json', 's.json', 'it is the status file ([main] status_file)'],
  ])('%s', (lines, file, why) => {
    expect(error(lines)).toBe(`${ini} [main] metrics_file = '${path.join(dir, file)}' is not valid: ${why}, which every bill run would overwrite with metrics; give a path of its own`);
  });

  it.each([
    ['a directory', 'a-directory', 'a directory'],
    ['a device', '/dev/null', 'a device'],
  ])('metrics_file that is %s', (_what, file, kind) => {
    expect(error(`metrics_file = ${file}`)).toBe(
      `${ini} [main] metrics_file = '${path.resolve(dir, file)}' is not valid: it exists and is ${kind}; every bill run replaces it with metrics, so give a file path`,
    );
  });

  it('metrics_file is optional, relative to the ini file', () => {
    expect(parseConfig(withMain(''), ini).main.metricsFile).toBeUndefined();
    expect(parseConfig(withMain('metrics_file = textfile/artifice.prom'), ini).main.metricsFile).toBe(path.join(dir, 'textfile', 'artifice.prom'));
  });

  it.each([
    ['a directory', 'a-directory', 'a directory'],
    ['a device', '/dev/null', 'a device'],
  ])('database that is %s', (_what, file, kind) => {
    expect(error(`database = ${file}`)).toBe(
      `${ini} [main] database = '${path.resolve(dir, file)}' is not valid: it exists and is ${kind}; give the path of the SQLite ledger file`,
    );
  });

  it('an existing ledger and status file, or none yet, are fine', () => {
    writeFileSync(path.join(dir, 'status.json'), '{}');
    expect(parseConfig(MINIMAL, ini).main.statusFile).toBe(path.join(dir, 'status.json'));
    expect(parseConfig(withMain('database = new/l.sqlite'), ini).main.statusFile).toBe(path.join(dir, 'new', 'status.json'));
  });
});

describe('the ini text itself', () => {
  it('a UTF-8 BOM is ignored', () => {
    expect(parseConfig(`\uFEFF[main]\ncurrency = EUR\n${MINIMAL}`, FILE).main.currency).toBe('EUR');
  });

  it.each([
    ['[main] ; billing', "line 1: '[main]': a section header must be alone on its line (put a comment on a line of its own)"],
    ['[main]currency = EUR', "line 1: '[main]': a section header must be alone on its line (put a comment on a line of its own)"],
    ['  [main]', "line 1: '[main]': a section header must start its line"],
    ['[main', "line 1: '[main': a section header must end with ]"],
  ])('%p', (header, message) => {
    expect(configError(() => parseConfig(`${header}\ncurrency = EUR\n${MINIMAL}`, FILE)).message).toBe(`${FILE} ${message}`);
  });

  it('a header line never echoes what follows it', () => {
    const message = configError(() => parseConfig(`[keystone] password = hunter2\n${MINIMAL}`, FILE)).message;
    expect(message).toContain("line 1: '[keystone]'");
    expect(message).not.toContain('hunter2');
  });

  it('a key given twice names it and both lines', () => {
    const error = configError(() => parseConfig(`[main]\ncurrency = EUR\n; later\ncurrency = USD\n${MINIMAL}`, FILE));
    expect(error.message).toBe(`${FILE} [main] currency is given twice (lines 2 and 4): keep one`);
  });

  it('a secret key given twice: no value shown', () => {
    const error = configError(() => parseConfig(`${MINIMAL}[keystone]\npassword = s3cr3t-1\npassword = s3cr3t-2\n`, FILE));
    expect(error.message).toBe(`${FILE} [keystone] password is given twice (lines 5 and 6): keep one`);
  });

  it('a section given twice names both lines (line numbers count CRLF lines once)', () => {
    const error = configError(() => parseConfig(`[main]\r\ncurrency = EUR\r\n\r\n${MINIMAL}[main]\r\nconcurrency = 2\r\n`, FILE));
    expect(error.message).toBe(`${FILE} [main] is given twice (lines 1 and 7): put its keys in one section`);
  });

  it('the same key in two sections is fine; so are meters.ini duplicates only within a section', () => {
    expect(parseConfig(`[main]\nconcurrency = 2\n${MINIMAL}concurrency = 3\n`, FILE).main.concurrency).toBe(2);
    const error = configError(() => parseMeters('[ip.floating]\ntransform = gauge\nunit = hour\nunit = day\n', METERS_FILE, 3600));
    expect(error.message).toBe(`${METERS_FILE} [ip.floating] unit is given twice (lines 3 and 4): keep one`);
  });
});

describe('secrets never appear in messages', () => {
  const SECRET = 'hunter2-s3cr3t';

  it('a secret-looking key standing before any section', () => {
    const error = configError(() => parseConfig(`password = ${SECRET}\n${MINIMAL}`, FILE));
    expect(error.message).toContain('password');
    expect(error.message).not.toContain(SECRET);
  });

  it('an unknown secret-looking key', () => {
    const error = configError(() => parseConfig(withMain(`api_key = ${SECRET}`), FILE));
    expect(error.message).toContain('api_key');
    expect(error.message).not.toContain(SECRET);
  });

  it('credentials inside a URL', () => {
    const error = configError(() => parseConfig(`${MINIMAL}url = https://admin:${SECRET}@ceilometer.example.com/\n`, FILE));
    expect(error.message).toContain('[telemetry] url');
    expect(error.message).not.toContain(SECRET);
  });

  it.each([
    [`http://admin:${SECRET}@`],
    [`http://admin:${SECRET}/x@ceilometer.example.com/`],
    [`ftp://admin:${SECRET}@ceilometer.example.com/`],
    [`admin:${SECRET}@ceilometer.example.com:8777`],
    [`admin:${SECRET}@ceilometer.example.com/v2`],
  ])('credentials inside a bad URL: %s', (url) => {
    const error = configError(() => parseConfig(`${MINIMAL}url = ${url}\n`, FILE));
    expect(error.message).toContain('[telemetry] url');
    expect(error.message).not.toContain(SECRET);
  });

  it('a bad value of a secret-looking key is shown as (hidden)', () => {
    const reader = new Reader(FILE, parseIni(`[keystone]\ntoken_ttl = ${SECRET}\nttl = ${SECRET}\n`));
    const hidden = configError(() => reader.number('keystone', 'token_ttl', 0, 10));
    expect(hidden.message).toBe(`${FILE} [keystone] token_ttl = (hidden) is not valid: use a number from 0 to 10`);
    // The same value under an innocent key is shown: the hiding is by key, as documented.
    const shown = configError(() => reader.number('keystone', 'ttl', 0, 10));
    expect(shown.message).toContain(`'${SECRET}'`);
  });
});

describe('configPath: --config, then ARTIFICE_CONFIG, then ./artifice.ini', () => {
  const cwd = '/home/op';

  it('--config wins over the environment', () => {
    expect(configPath({ flag: 'a.ini', env: { ARTIFICE_CONFIG: '/etc/b.ini' }, cwd })).toEqual({ file: '/home/op/a.ini', from: '--config' });
  });

  it('ARTIFICE_CONFIG when there is no flag', () => {
    expect(configPath({ env: { ARTIFICE_CONFIG: 'conf/b.ini' }, cwd })).toEqual({ file: '/home/op/conf/b.ini', from: 'ARTIFICE_CONFIG' });
  });

  it('./artifice.ini otherwise (an empty ARTIFICE_CONFIG counts as unset)', () => {
    expect(configPath({ env: {}, cwd }).file).toBe('/home/op/artifice.ini');
    expect(configPath({ env: { ARTIFICE_CONFIG: '' }, cwd }).file).toBe('/home/op/artifice.ini');
  });
});

describe('loadConfig', () => {
  /** A virtual file system: the given files, then the real one (for the packaged meters.ini). */
  const reader = (files: Record<string, string>) => async (file: string) => {
    if (file in files) return files[file]!;
    if (file.startsWith('/virtual/')) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${file}'`), { code: 'ENOENT' });
    return readFile(file, 'utf8');
  };

  it('resolves relative paths against the ini file, not the working directory', async () => {
    const config = await loadConfig(
      { flag: 'conf/artifice.ini', env: {}, cwd: '/virtual/home' },
      reader({
        '/virtual/home/conf/artifice.ini': '[main]\ndatabase = ../db/ledger.sqlite\nmeters = m.ini\n[telemetry]\nbackend = file\nfile = ./s.ndjson\n',
        '/virtual/home/conf/m.ini': '[volume.size]\ntransform = gauge\nunit = gigabyte-hour\n',
      }),
    );
    expect(config.file).toBe('/virtual/home/conf/artifice.ini');
    expect(config.dir).toBe('/virtual/home/conf');
    expect(config.main.database).toBe('/virtual/home/db/ledger.sqlite');
    expect(config.main.meters).toBe('/virtual/home/conf/m.ini');
    expect(config.telemetry.file).toBe('/virtual/home/conf/s.ndjson');
    expect(config.meterSpecs.map((s) => s.meter)).toEqual(['volume.size']);
  });

  it('reads the file named by ARTIFICE_CONFIG, and the packaged meters by default', async () => {
    const config = await loadConfig(
      { env: { ARTIFICE_CONFIG: '/virtual/etc/a.ini' }, cwd: '/virtual/home' },
      reader({ '/virtual/etc/a.ini': MINIMAL, '/virtual/home/artifice.ini': '[mian]\n' }),
    );
    expect(config.file).toBe('/virtual/etc/a.ini');
    expect(config.meterSpecs.map((s) => s.meter)).toEqual([
      'instance', 'volume.size', 'ip.floating', 'image.size', 'storage.objects.size', 'network.incoming.bytes', 'network.outgoing.bytes',
    ]);
  });

  it('a missing config file says which file and where the name came from', async () => {
    const error = await configErrorAsync(loadConfig({ env: {}, cwd: '/virtual/nowhere' }, reader({})));
    expect(error.message).toContain('/virtual/nowhere/artifice.ini');
    expect(error.message).toContain('the default ./artifice.ini');
    expect(error.message).not.toContain('\n');
  });

  it('an unreadable meters file names the ini key', async () => {
    const error = await configErrorAsync(
      loadConfig({ flag: '/virtual/a.ini', env: {}, cwd: '/' }, reader({ '/virtual/a.ini': withMain('meters = nope.ini') })),
    );
    expect(error.message).toContain('/virtual/a.ini [main] meters');
    expect(error.message).toContain('/virtual/nope.ini');
  });
});

describe('parseMeters', () => {
  it('the packaged config/meters.ini is the table of docs/configuration.md', async () => {
    const file = packageFile('config', 'meters.ini');
    const specs = parseMeters(await readFile(file, 'utf8'), file, 3600);
    const GIB = '1073741824';
    const table = specs.map((s) => [s.meter, s.transform, s.service, s.unit, s.divideBy.toString()]);
    expect(table).toEqual([
      ['instance', 'uptime', 'flavor', 'hour', '1'],
      ['volume.size', 'gauge', 'volume.size', 'gigabyte-hour', '1'],
      ['ip.floating', 'gauge', 'ip.floating', 'hour', '1'],
      ['image.size', 'gauge', 'image.size', 'gigabyte-hour', GIB],
      ['storage.objects.size', 'gauge', 'storage.objects.size', 'gigabyte-hour', GIB],
      ['network.incoming.bytes', 'counter', 'network.incoming.bytes', 'gigabyte', GIB],
      ['network.outgoing.bytes', 'counter', 'network.outgoing.bytes', 'gigabyte', GIB],
    ]);
    expect(specs.every((s) => s.maxGapUs === 3_600_000_000)).toBe(true);
    // Counters look back a day for their baseline; the others as far as a sample holds.
    expect(specs.map((s) => [s.meter, s.lookbackUs / 1_000_000])).toEqual([
      ['instance', 3600], ['volume.size', 3600], ['ip.floating', 3600], ['image.size', 3600], ['storage.objects.size', 3600],
      ['network.incoming.bytes', 86400], ['network.outgoing.bytes', 86400],
    ]);
    expect(specs[0]!.trackedStates).toEqual(['active', 'paused', 'rescued', 'resized', 'verify_resize']);
  });

  it('dotted section names survive, and per-meter keys are read', () => {
    const specs = parseMeters(
      [
        '[storage.objects.size]', 'transform = gauge', 'unit = gigabyte-hour', 'divide_by = 1073741824', 'max_gap = 7200',
        '[vm]', 'transform = uptime', 'unit = hour', 'tracked_states = ACTIVE, Paused',
        '[api.requests]', 'transform = sum', 'service = requests', 'unit = request',
      ].join('\n'),
      METERS_FILE,
      900,
    );
    // The `ini` package re-inserts dotted sections after the plain ones: the set is what counts.
    expect(specs.map((s) => s.meter).sort()).toEqual(['api.requests', 'storage.objects.size', 'vm']);
    const byName = (meter: string) => specs.find((s) => s.meter === meter)!;
    const [objects, vm, requests] = [byName('storage.objects.size'), byName('vm'), byName('api.requests')];
    expect(objects.service).toBe('storage.objects.size');
    expect(objects.divideBy.equals(new Decimal(1073741824))).toBe(true);
    expect(objects.maxGapUs).toBe(7200 * 1_000_000);
    expect(vm.service).toBe('flavor');
    expect(vm.maxGapUs).toBe(900 * 1_000_000);
    expect(vm.trackedStates).toEqual(['active', 'paused']);
    expect(requests).toMatchObject({ transform: 'sum', service: 'requests', unit: 'request' });
  });

  it('lookback is read per meter and may not be shorter than max_gap', () => {
    const [spec] = parseMeters('[ip.floating]\ntransform = gauge\nunit = hour\nlookback = 7200\n', METERS_FILE, 3600);
    expect(spec!.lookbackUs).toBe(7200 * 1_000_000);
    const error = configError(() => parseMeters('[ip.floating]\ntransform = gauge\nunit = hour\nmax_gap = 600\nlookback = 60\n', METERS_FILE, 3600));
    expect(error.message).toBe(
      `${METERS_FILE} [ip.floating] lookback = 60 is shorter than max_gap (600 s): the sample holding into the window would not be fetched`,
    );
  });

  it('a bad transform names the meter', () => {
    const error = configError(() => parseMeters('[volume.size]\ntransform = integral\nunit = gigabyte-hour\n', METERS_FILE, 3600));
    expect(error.message).toBe(
      `${METERS_FILE} [volume.size] transform = 'integral' is not valid: use one of uptime, gauge, counter, sum, max`,
    );
  });

  it('a missing transform or unit names the meter', () => {
    expect(configError(() => parseMeters('[ip.floating]\nunit = hour\n', METERS_FILE, 3600)).message).toContain(
      `${METERS_FILE} [ip.floating] transform is required`,
    );
    expect(configError(() => parseMeters('[ip.floating]\ntransform = gauge\n', METERS_FILE, 3600)).message).toContain(
      `${METERS_FILE} [ip.floating] unit is required`,
    );
  });

  it('an unknown key, a non-positive divide_by, keys before any meter, and an empty file', () => {
    expect(configError(() => parseMeters('[image.size]\ntransform = gauge\nunit = h\ndivisor = 2\n', METERS_FILE, 3600)).message).toContain(
      `${METERS_FILE} [image.size] divisor is not a meter key`,
    );
    expect(configError(() => parseMeters('[image.size]\ntransform = gauge\nunit = h\ndivide_by = 0\n', METERS_FILE, 3600)).message).toContain(
      `${METERS_FILE} [image.size] divide_by = '0' is not valid`,
    );
    expect(configError(() => parseMeters('unit = h\n[image.size]\ntransform = gauge\nunit = h\n', METERS_FILE, 3600)).message).toContain(
      `${METERS_FILE}: keys before the first [meter] section: unit`,
    );
    expect(configError(() => parseMeters('; nothing\n', METERS_FILE, 3600)).message).toContain('no meters defined');
  });
});

describe('one immutable Config, every section checked at load', () => {
  const KEYSTONE = '[keystone]\nauth_url = http://ks:5000\nusername = billing\npassword = p\nproject_name = admin\n';

  it('is frozen all the way down', () => {
    const config = parseConfig(`${MINIMAL}[datacenters]\naz-1 = north\n`, FILE, parseMeters('[ip.floating]\ntransform = gauge\nunit = hour\n', METERS_FILE, 3600));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.main)).toBe(true);
    expect(Object.isFrozen(config.main.tenants)).toBe(true);
    expect(Object.isFrozen(config.telemetry)).toBe(true);
    expect(Object.isFrozen(config.datacenters)).toBe(true);
    expect(Object.isFrozen(config.meterSpecs)).toBe(true);
    expect(Object.isFrozen(config.meterSpecs[0])).toBe(true);
    expect(() => {
      (config.main as { currency: string }).currency = 'EUR';
    }).toThrow(TypeError);
  });

  it('an HTTP backend carries its parsed [keystone], regions and HTTP settings; [main] its tenant filter', () => {
    const config = parseConfig(`[main]\nexclude_tenants = admin\n[telemetry]\nbackend = ceilometer\nregions = north\n${KEYSTONE}[region:north]\nurl = http://n:8777\n`, FILE);
    if (config.telemetry.backend !== 'ceilometer') throw new Error('expected ceilometer');
    expect(config.telemetry.keystone).toMatchObject({ authType: 'password', authUrl: 'http://ks:5000/v3', password: 'p' });
    expect(config.telemetry.regions).toEqual([{ name: 'north', url: 'http://n:8777', urlFrom: '[region:north] url', catalogRegion: 'north' }]);
    expect(config.telemetry.http.timeoutMs).toBe(30000);
    expect(config.main.tenants).toEqual({ include: undefined, exclude: ['admin'] });
    expect(config.regions).toEqual(['north']);
  });

  it('a bad [keystone], [region:NAME] or [gnocchi] fails the load, naming file, section and key', () => {
    const ceilometer = (text: string) => configError(() => parseConfig(`[telemetry]\nbackend = ceilometer\nurl = http://c:8777\n${text}`, FILE)).message;
    expect(ceilometer('[keystone]\nauth_url = http://ks\nusername = b\nproject_name = a\n')).toBe(`${FILE} [keystone] password is required with auth_type = password`);
    expect(ceilometer('[region:]\nurl = http://x\n')).toBe(`${FILE}: [region:] needs a name, e.g. [region:RegionTwo]`);
    const gnocchi = configError(() => parseConfig('[telemetry]\nbackend = gnocchi\nurl = http://g:8041\n[gnocchi]\ngranularity = 0\n', FILE)).message;
    expect(gnocchi).toBe(`${FILE} [gnocchi] granularity = '0' is not valid: use a number from 1 to 2678400`);
  });

  it('Gnocchi: auth_type resolved at load (keystone only with [keystone]), the mapping read for the meters', () => {
    const specs = parseMeters('[volume.size]\ntransform = gauge\nunit = gigabyte-hour\n', METERS_FILE, 3600);
    const basic = parseConfig('[telemetry]\nbackend = gnocchi\nurl = http://g:8041\n', FILE, specs);
    if (basic.telemetry.backend !== 'gnocchi') throw new Error('expected gnocchi');
    expect(basic.telemetry.gnocchi.authType).toBe('basic');
    expect(basic.telemetry.gnocchi.meters.get('volume.size')).toMatchObject({ resourceType: 'volume', metric: 'volume.size' });
    const keystone = parseConfig(`[telemetry]\nbackend = gnocchi\n${KEYSTONE}`, FILE, specs);
    expect(keystone.telemetry.backend === 'gnocchi' && keystone.telemetry.gnocchi.authType).toBe('keystone');
    expect(configError(() => parseConfig('[telemetry]\nbackend = gnocchi\nurl = http://g:8041\n[gnocchi]\nauth_type = keystone\n', FILE, specs)).message).toBe(
      `${FILE} [gnocchi] auth_type = keystone needs a [keystone] section (auth_url and credentials), or use auth_type = basic`,
    );
  });
});

describe('meters.ini max_volume', () => {
  const meter = (line: string) => parseMeters(`[volume.size]\ntransform = gauge\nunit = gigabyte-hour\n${line}\n`, METERS_FILE, 3600);

  it('is read per meter, with a default far beyond real samples', () => {
    expect(meter('max_volume = 2048')[0]!.maxVolume).toBe(2048);
    expect(meter('')[0]!.maxVolume).toBe(DEFAULTS.maxVolume);
  });

  it.each(['-1', 'lots', '1e400', 'Infinity'])('max_volume = %s is refused', (value) => {
    expect(configError(() => meter(`max_volume = ${value}`)).message).toBe(
      `${METERS_FILE} [volume.size] max_volume = '${value}' is not valid: use a number from 0 to 1e+300`,
    );
  });
});
