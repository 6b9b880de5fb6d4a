/**
 * artifice.ini → a typed, validated Config. Every key is checked once, here; an error names
 * the file, section and key and what is allowed. Which keys exist is plain data (SECTIONS).
 */
import { statSync, type Stats } from 'node:fs';
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { Decimal, plainDecimal } from './model/decimal.js';
import { ConfigError, errorMessage } from './model/errors.js';
import { IniSyntaxError, parseIni, type IniSection, type IniSections } from './config/ini-file.js';
import type { LedgerJournal } from './ledger/types.js';
import { packageFile } from './model/paths.js';
import { US_PER_SECOND } from './model/time.js';
import type { MeterSpec, TransformName } from './model/types.js';
import { parseReport, REPORT_KEYS, type ReportConfig } from './config/report.js';

export type Backend = 'file' | 'ceilometer' | 'gnocchi';

export interface MainConfig {
  invoiceObject: string;
  /** Absolute path of the SQLite ledger. */
  database: string;
  /** SQLite journal of the ledger: wal (one host), delete (a ledger shared over NFS). */
  ledgerJournal: LedgerJournal;
  timezone: string;
  settleHours: number;
  trustSources: RegExp[];
  currency: string;
  currencyDigits: number;
  allowUnpriced: boolean;
  /** Absolute path of the meters file. */
  meters: string;
  maxGapSeconds: number;
  /** Absolute path of the JSON status file every `bill` run writes (default: status.json next to the database). */
  statusFile: string;
  /** Tenants billed at once by `bill` (default 4; `--concurrency` overrides). */
  concurrency: number;
  /** Hours after a month is billable (end + settle_hours) by which the monthly run is expected to have billed it (default 24). */
  graceHours: number;
}

export interface TelemetryConfig {
  backend: Backend;
  /** Absolute path of the samples file (backend = file). */
  file?: string;
  url?: string;
  region: string;
  /** The whole section as given, for the collectors' own keys. */
  section: IniSection;
}

export interface Config {
  /** Absolute path of the ini file, and its directory (relative paths resolve against it). */
  file: string;
  dir: string;
  main: MainConfig;
  telemetry: TelemetryConfig;
  /** Availability zone or host → datacenter (invoice section) name. */
  datacenters: Record<string, string>;
  /** Flavor id → flavor name, for samples that carry only the id. */
  flavors: Record<string, string>;
  /** `[invoice:object]`, passed to the adapter as-is. */
  invoice: Record<string, string>;
  meterSpecs: MeterSpec[];
  /** `artifice report` and the page `bill` writes (src/config/report.ts). */
  report: ReportConfig;
  /** Every section as read, for parts that own their sections (regions, keystone). */
  sections: IniSections;
}

/** Keys that hold secrets: their values never appear in messages. */
const SECRET_KEY = /pass|secret|token|api_?key|credential/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Known sections and keys. A section marked `free` takes any key (its values are data);
 * `prefix` sections match `name:anything`.
 */
export const SECTIONS: Record<string, { keys?: readonly string[]; free?: boolean; prefix?: boolean }> = {
  main: {
    keys: ['invoice:object', 'database', 'timezone', 'settle_hours', 'trust_sources', 'currency', 'currency_digits',
      'allow_unpriced', 'meters', 'max_gap', 'status_file', 'concurrency', 'grace_hours', 'ledger_journal',
      // --all: tenants to keep / drop (src/telemetry/settings.ts)
      'include_tenants', 'exclude_tenants',
      // the page bill writes after a run (src/config/report.ts)
      'report_html'],
  },
  telemetry: {
    keys: ['backend', 'file', 'url', 'region',
      // HTTP backends (src/telemetry/settings.ts)
      'timeout', 'retries', 'page_size', 'concurrency', 'ca_file', 'insecure', 'regions'],
  },
  // Keystone v3 for the HTTP backends (src/telemetry/settings.ts, keystone.ts)
  keystone: {
    keys: ['auth_url', 'auth_type', 'username', 'user_id', 'password', 'user_domain_name', 'user_domain_id', 'project_name',
      'project_id', 'project_domain_name', 'project_domain_id', 'application_credential_id', 'application_credential_name',
      'application_credential_secret', 'interface', 'region_name'],
  },
  // [region:NAME]: one telemetry endpoint per region (src/telemetry/settings.ts)
  region: { keys: ['url', 'region_name'], prefix: true },
  // backend = gnocchi (src/telemetry/gnocchi-settings.ts, docs/gnocchi.md)
  gnocchi: { keys: ['auth_type', 'user', 'granularity', 'aggregation', 'uptime_metric', 'mapping', 'source', 'keep_alive'] },
  datacenters: { free: true },
  flavors: { free: true },
  'invoice:object': { free: true },
  report: { keys: REPORT_KEYS },
};

export const DEFAULTS = {
  invoiceObject: 'csv',
  database: 'artifice.sqlite',
  timezone: 'UTC',
  settleHours: 6,
  trustSources: 'openstack',
  currency: 'USD',
  currencyDigits: 2,
  maxGapSeconds: 3600,
  counterLookbackSeconds: 86400,
  statusFile: 'status.json',
  concurrency: 4,
  graceHours: 24,
  region: 'RegionOne',
  trackedStates: ['active', 'paused', 'rescued', 'resized', 'verify_resize'],
} as const;

/**
 * Upper bounds of the numeric keys. Beyond them the arithmetic on instants leaves the range a
 * Date (or epoch microseconds) can hold and bills fail with "Invalid time value" much later.
 */
export const LIMITS = {
  /** settle_hours, grace_hours: a year. */
  hours: 8760,
  /** max_gap, lookback, [gnocchi] granularity: 31 days. */
  seconds: 31 * 86400,
} as const;

const TRANSFORMS: readonly TransformName[] = ['uptime', 'gauge', 'counter', 'sum'];

export type ReadText = (file: string) => Promise<string>;

const readText: ReadText = (file) => fsReadFile(file, 'utf8');

export interface ConfigSource {
  /** `--config` */
  flag?: string;
  env: Record<string, string | undefined>;
  cwd: string;
}

/** `--config`, then `ARTIFICE_CONFIG`, then `./artifice.ini`. */
export function configPath({ flag, env, cwd }: ConfigSource): { file: string; from: string } {
  if (flag) return { file: path.resolve(cwd, flag), from: '--config' };
  if (env.ARTIFICE_CONFIG) return { file: path.resolve(cwd, env.ARTIFICE_CONFIG), from: 'ARTIFICE_CONFIG' };
  return { file: path.resolve(cwd, 'artifice.ini'), from: 'the default ./artifice.ini' };
}

export async function loadConfig(source: ConfigSource, read: ReadText = readText): Promise<Config> {
  const { file, from } = configPath(source);
  let text: string;
  try {
    text = await read(file);
  } catch (error) {
    throw new ConfigError(
      `cannot read config ${file} (${from}): ${errorMessage(error)}; pass --config FILE or copy artifice.ini.example`,
      { cause: error },
    );
  }
  const config = parseConfig(text, file);
  config.meterSpecs = parseMeters(await readMeters(config.main.meters, file, read), config.main.meters, config.main.maxGapSeconds);
  return config;
}

async function readMeters(metersFile: string, iniFile: string, read: ReadText): Promise<string> {
  try {
    return await read(metersFile);
  } catch (error) {
    throw new ConfigError(`${iniFile} [main] meters: cannot read ${metersFile}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Validates the text of an ini file; `meterSpecs` is left empty (see loadConfig). */
export function parseConfig(text: string, file: string): Config {
  const dir = path.dirname(file);
  const sections = readIni(text, file);
  checkKnown(sections, file);
  const at = new Reader(file, sections);

  const main: MainConfig = {
    invoiceObject: at.string('main', 'invoice:object') ?? DEFAULTS.invoiceObject,
    database: path.resolve(dir, at.string('main', 'database') ?? DEFAULTS.database),
    ledgerJournal: at.oneOf('main', 'ledger_journal', ['wal', 'delete'] as const) ?? 'wal',
    timezone: at.timezone('main', 'timezone') ?? DEFAULTS.timezone,
    settleHours: at.number('main', 'settle_hours', 0, LIMITS.hours) ?? DEFAULTS.settleHours,
    trustSources: at.regexList('main', 'trust_sources', 'trusted source') ?? compileSources([DEFAULTS.trustSources]),
    currency: at.currency('main', 'currency') ?? DEFAULTS.currency,
    currencyDigits: at.integer('main', 'currency_digits', 0, 8) ?? DEFAULTS.currencyDigits,
    allowUnpriced: at.boolean('main', 'allow_unpriced') ?? false,
    meters: at.path('main', 'meters', dir) ?? packageFile('config', 'meters.ini'),
    maxGapSeconds: at.number('main', 'max_gap', 1, LIMITS.seconds) ?? DEFAULTS.maxGapSeconds,
    statusFile: '',
    concurrency: at.integer('main', 'concurrency', 1, 64) ?? DEFAULTS.concurrency,
    graceHours: at.number('main', 'grace_hours', 0, LIMITS.hours) ?? DEFAULTS.graceHours,
  };
  main.statusFile = at.path('main', 'status_file', dir) ?? path.join(path.dirname(main.database), DEFAULTS.statusFile);

  const backend = at.oneOf('telemetry', 'backend', ['file', 'ceilometer', 'gnocchi'] as const);
  if (!backend) throw at.error('telemetry', 'backend', 'is required: one of file, ceilometer, gnocchi');
  const telemetry: TelemetryConfig = {
    backend,
    file: at.path('telemetry', 'file', dir),
    url: at.url('telemetry', 'url'),
    region: at.string('telemetry', 'region') ?? DEFAULTS.region,
    section: sections.get('telemetry') ?? {},
  };
  if (backend === 'file' && !telemetry.file) {
    throw at.error('telemetry', 'file', 'is required with backend = file: the path of a newline-delimited JSON samples file');
  }
  checkWrittenFiles(at, main, [
    [file, 'this config file'],
    [main.database, 'the ledger ([main] database)'],
    [main.meters, 'the meters file ([main] meters)'],
    [telemetry.file, 'the samples file ([telemetry] file)'],
  ]);

  return {
    file,
    dir,
    main,
    telemetry,
    datacenters: { ...(sections.get('datacenters') ?? {}) },
    flavors: { ...(sections.get('flavors') ?? {}) },
    invoice: { ...(sections.get('invoice:object') ?? {}) },
    meterSpecs: [],
    report: parseReport(at, dir),
    sections,
  };
}

/** config/meters.ini: one section per meter (docs/configuration.md lists the defaults). */
export function parseMeters(text: string, file: string, defaultMaxGapSeconds: number): MeterSpec[] {
  const sections = readIni(text, file);
  const at = new Reader(file, sections);
  const specs: MeterSpec[] = [];
  for (const [meter, section] of sections) {
    if (meter === '') throw new ConfigError(`${file}: keys before the first [meter] section: ${Object.keys(section).join(', ')}`);
    const allowed = ['transform', 'service', 'unit', 'sample_unit', 'divide_by', 'max_gap', 'lookback', 'tracked_states'];
    const unknown = Object.keys(section).filter((key) => !allowed.includes(key));
    if (unknown.length) throw at.error(meter, unknown[0]!, `is not a meter key; allowed: ${allowed.join(', ')}`);
    const transform = at.oneOf(meter, 'transform', TRANSFORMS);
    if (!transform) throw at.error(meter, 'transform', `is required: one of ${TRANSFORMS.join(', ')}`);
    const unit = at.string(meter, 'unit');
    if (!unit) throw at.error(meter, 'unit', 'is required: the unit of the quantity, e.g. hour or gigabyte-hour');
    const maxGapSeconds = at.number(meter, 'max_gap', 1, LIMITS.seconds) ?? defaultMaxGapSeconds;
    const lookbackSeconds = at.number(meter, 'lookback', 0, LIMITS.seconds) ?? Math.max(maxGapSeconds, transform === 'counter' ? DEFAULTS.counterLookbackSeconds : 0);
    if (lookbackSeconds < maxGapSeconds) {
      throw at.error(meter, 'lookback', `= ${lookbackSeconds} is shorter than max_gap (${maxGapSeconds} s): the sample holding into the window would not be fetched`);
    }
    specs.push({
      meter,
      transform,
      service: at.string(meter, 'service') ?? (transform === 'uptime' ? 'flavor' : meter),
      unit,
      divideBy: at.decimal(meter, 'divide_by') ?? new Decimal(1),
      ...(at.string(meter, 'sample_unit') !== undefined ? { sampleUnit: at.string(meter, 'sample_unit') } : {}),
      maxGapUs: maxGapSeconds * US_PER_SECOND,
      lookbackUs: lookbackSeconds * US_PER_SECOND,
      trackedStates: at.list(meter, 'tracked_states', 'instance state, e.g. active')?.map((state) => state.toLowerCase()) ?? [...DEFAULTS.trackedStates],
    });
  }
  if (specs.length === 0) throw new ConfigError(`${file}: no meters defined; see config/meters.ini for the defaults`);
  return specs;
}

/** parseIni with errors that name the file (artifice.ini, meters.ini, the Gnocchi mapping). */
export function readIni(text: string, file: string): IniSections {
  try {
    return parseIni(text);
  } catch (error) {
    if (error instanceof IniSyntaxError) throw new ConfigError(`${file} ${error.message}`, { cause: error });
    throw new ConfigError(`${file}: not a valid ini file: ${errorMessage(error)}`, { cause: error });
  }
}

/** The path as it is on disk, or undefined when there is nothing there (or it cannot be looked at: opening it will say why). */
function existing(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The ledger and the status file are written by every `bill` run; the status file is replaced
 * whole with JSON. Refuse, before anything is written, one that exists as something else than a
 * regular file (/dev/full, a directory), and a status file that is one of the files artifice reads
 * or the ledger (same path, or the same file through a link).
 */
function checkWrittenFiles(at: Reader, main: MainConfig, others: [string | undefined, string][]): void {
  const database = existing(main.database);
  if (database && !database.isFile()) {
    throw at.bad('main', 'database', main.database, `it exists and is ${kindOf(database)}; give the path of the SQLite ledger file`);
  }
  const status = existing(main.statusFile);
  if (status && !status.isFile()) {
    throw at.bad('main', 'status_file', main.statusFile, `it exists and is ${kindOf(status)}; every bill run replaces it with JSON, so give a file path`);
  }
  for (const [other, what] of others) {
    if (other === undefined) continue;
    const same = other === main.statusFile || (status !== undefined && sameFile(status, existing(other)));
    if (same) throw at.bad('main', 'status_file', main.statusFile, `it is ${what}, which every bill run would overwrite with JSON; give a path of its own`);
  }
}

function sameFile(a: Stats, b: Stats | undefined): boolean {
  return b !== undefined && a.dev === b.dev && a.ino === b.ino;
}

function checkKnown(sections: IniSections, file: string): void {
  for (const [name, section] of sections) {
    if (name === '') {
      throw new ConfigError(`${file}: key '${Object.keys(section)[0]}' stands before any [section]; put it under [main] or [telemetry]`);
    }
    const spec = SECTIONS[name] ?? Object.entries(SECTIONS).find(([known, s]) => s.prefix && name.startsWith(`${known}:`))?.[1];
    if (!spec) {
      const known = Object.entries(SECTIONS).map(([known, s]) => (s.prefix ? `[${known}:NAME]` : `[${known}]`));
      throw new ConfigError(`${file}: unknown section [${name}]; known sections: ${known.join(', ')}`);
    }
    if (spec.free) continue;
    for (const key of Object.keys(section)) {
      if (!spec.keys?.includes(key)) {
        throw new ConfigError(`${file} [${name}] ${key}: unknown key; known keys: ${spec.keys?.join(', ')}`);
      }
    }
  }
}

/** Anchored regexes: `openstack` must match the whole source, not a substring of a forged one. */
export function compileSources(patterns: string[]): RegExp[] {
  return patterns.map((pattern) => new RegExp(`^(?:${pattern})$`));
}

function shown(key: string, value: string): string {
  return isSecretKey(key) ? '(hidden)' : `'${value}'`;
}

/** Typed access to one file's sections, with errors that name file, section and key. */
export class Reader {
  constructor(private readonly file: string, private readonly sections: IniSections) {}

  error(section: string, key: string, what: string): ConfigError {
    return new ConfigError(`${this.file} [${section}] ${key} ${what}`);
  }

  /** `= 'value' is not valid: …` (a secret-looking key's value is shown as (hidden)). */
  bad(section: string, key: string, value: string, allowed: string): ConfigError {
    return this.error(section, key, `= ${shown(key, value)} is not valid: ${allowed}`);
  }

  string(section: string, key: string): string | undefined {
    const value = this.sections.get(section)?.[key]?.trim();
    return value === undefined || value === '' ? undefined : value;
  }

  oneOf<T extends string>(section: string, key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    if (!allowed.includes(value as T)) throw this.bad(section, key, value, `use one of ${allowed.join(', ')}`);
    return value as T;
  }

  /** Every number has an upper bound too: an unbounded one ends as "Invalid time value" or a timer overflow far from the config. */
  number(section: string, key: string, min: number, max: number): number | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw this.bad(section, key, value, `use a number from ${min} to ${max}`);
    return n;
  }

  integer(section: string, key: string, min: number, max: number): number | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw this.bad(section, key, value, `use a whole number from ${min} to ${max}`);
    return n;
  }

  /**
   * A positive decimal in plain notation. decimal.js also takes hex, binary and exponents up to
   * 9e15 (`1e-100000000` runs V8 out of memory once divided by): only up to 3 exponent digits.
   */
  decimal(section: string, key: string): Decimal | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    const decimal = plainDecimal(value);
    if (!decimal || decimal.lte(0)) {
      throw this.bad(section, key, value, 'use a positive number in decimal notation, e.g. 1073741824 or 1.5e3 (exponent at most 3 digits)');
    }
    return decimal;
  }

  boolean(section: string, key: string): boolean | undefined {
    const value = this.string(section, key)?.toLowerCase();
    if (value === undefined) return undefined;
    if (['true', 'yes', 'on', '1'].includes(value)) return true;
    if (['false', 'no', 'off', '0'].includes(value)) return false;
    throw this.bad(section, key, value, 'use true or false');
  }

  /**
   * A comma-separated list, blanks dropped. Given but empty after that (`a = ,,`) is an error: an
   * empty list of trusted sources or tracked states would quietly bill nothing. `what` is one item.
   */
  list(section: string, key: string, what: string): string[] | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    const items = value.split(',').map((item) => item.trim()).filter(Boolean);
    if (items.length === 0) throw this.error(section, key, `= ${shown(key, value)} must name at least one ${what} (a comma-separated list)`);
    return items;
  }

  regexList(section: string, key: string, what: string): RegExp[] | undefined {
    const items = this.list(section, key, what);
    if (!items) return undefined;
    try {
      return compileSources(items);
    } catch (error) {
      throw this.bad(section, key, items.join(', '), `a comma-separated list of regular expressions (${errorMessage(error)})`);
    }
  }

  path(section: string, key: string, dir: string): string | undefined {
    const value = this.string(section, key);
    return value === undefined ? undefined : path.resolve(dir, value);
  }

  url(section: string, key: string): string | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    // A URL that does not parse may still carry `user:password@`, with or without a scheme
    // (`admin:pw@host`): never echo that part.
    const shown = value.replace(/^(.*?\/\/)?.*@/, (_all, scheme: string | undefined) => `${scheme ?? ''}(hidden)@`);
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw this.bad(section, key, shown, 'use an http:// or https:// URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw this.bad(section, key, shown, 'use an http:// or https:// URL');
    if (url.username || url.password) throw this.error(section, key, 'must not carry credentials; use the auth keys');
    return value.replace(/\/+$/, '');
  }

  timezone(section: string, key: string): string | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
    } catch {
      throw this.bad(section, key, value, 'use an IANA time zone such as UTC, Pacific/Auckland or America/Los_Angeles');
    }
    return value;
  }

  currency(section: string, key: string): string | undefined {
    const value = this.string(section, key);
    if (value === undefined) return undefined;
    if (!/^[A-Z]{3}$/.test(value)) throw this.bad(section, key, value, 'use an ISO 4217 code such as USD, EUR or NZD');
    return value;
  }
}
