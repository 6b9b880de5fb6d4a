/**
 * artifice.ini → one typed, validated, frozen Config, built at load: every section is checked
 * here, by its own module of src/config/ (main, meters, telemetry per backend, keystone, regions,
 * gnocchi), after credentials.ts has filled in what `KEY_file` keys, the environment (`OS_*`,
 * `ARTIFICE_*`) and clouds.yaml give; an error names the file, section and key (and where a
 * value came from) and what is allowed. The one exception is
 * `[invoice:object]`, which the invoice adapter validates itself. Which keys exist is plain data
 * (SECTIONS in src/config/defaults.ts).
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, errorMessage } from './model/errors.js';
import type { MeterSpec } from './model/types.js';
import { resolveCredentials } from './config/credentials.js';
import { checkKnown } from './config/defaults.js';
import { exposedFiles } from './config/exposure.js';
import type { IniSections } from './config/ini-file.js';
import { checkWrittenFiles, parseMain, type MainConfig } from './config/main.js';
import { parseMeters } from './config/meters.js';
import { readIni, Reader } from './config/reader.js';
import { freeSection, regionSections } from './config/regions.js';
import { parsePrices, type PricesConfig } from './config/prices.js';
import { parseReport, type ReportConfig } from './config/report.js';
import type { Env } from './config/sources.js';
import { parseTelemetry, type TelemetryConfig } from './config/telemetry.js';

export { DEFAULTS, LIMITS, SECTIONS } from './config/defaults.js';
export { compileSources, isSecretKey, readIni, Reader } from './config/reader.js';
export { parseMeters } from './config/meters.js';
export type { MainConfig, TenantFilter } from './config/main.js';
export type { PricesConfig } from './config/prices.js';
export type { Backend, TelemetryConfig } from './config/telemetry.js';

export interface Config {
  /** Absolute path of the ini file, and its directory (relative paths resolve against it). */
  readonly file: string;
  readonly dir: string;
  readonly main: MainConfig;
  readonly telemetry: TelemetryConfig;
  /** Availability zone or host → datacenter (invoice section) name. */
  readonly datacenters: Readonly<Record<string, string>>;
  /** Flavor id → flavor name, for samples that carry only the id. */
  readonly flavors: Readonly<Record<string, string>>;
  /** The NAMEs of the `[region:NAME]` sections (whatever the backend), for price coverage. */
  readonly regions: readonly string[];
  /** `[invoice:object]`, passed to the adapter as-is: its `validate()` checks it. */
  readonly invoice: Readonly<Record<string, string>>;
  /**
   * Frozen like the rest; typed as a mutable array only so the collectors' `check(specs: MeterSpec[])`
   * keeps its signature (making that ReadonlyArray is a change in src/telemetry/).
   */
  readonly meterSpecs: MeterSpec[];
  /** Tenant price lists: `[price_groups]`, `[discounts]`, `[minimums]` (src/config/prices.ts). */
  readonly prices: PricesConfig;
  /** `artifice report` and the page `bill` writes (src/config/report.ts). */
  readonly report: ReportConfig;
  /** Where credentials came from and which files expose a secret (docs/configuration.md, "Credentials"). */
  readonly credentials: CredentialReport;
}

export interface CredentialReport {
  /** `auth_url from OS_AUTH_URL`, `password from secure.yaml (mycloud)` … per `[keystone]` value in use; empty without Keystone. */
  readonly keystone: readonly string[];
  /** Secrets of other sections not held by the ini itself: `[gnocchi] password from ARTIFICE_GNOCCHI_PASSWORD`. */
  readonly secrets: readonly string[];
  /** One line per file that holds a secret and is readable by group or others (a warning, and a FAIL in `check`). */
  readonly exposed: readonly string[];
}

export type ReadText = (file: string) => Promise<string>;

const readText: ReadText = (file) => fsReadFile(file, 'utf8');

export interface ConfigSource {
  /** `--config` */
  flag?: string;
  /** The environment: `ARTIFICE_CONFIG`, `OS_*`, `ARTIFICE_*` secrets, `HOME` (where clouds.yaml is looked for). */
  env: Env;
  cwd: string;
  /** Called once per warning line (a file holding a secret that others can read), without the `warning:` prefix. */
  warn?: (line: string) => void;
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
  const at = checkedIni(text, file);
  // [main] says where the meters are; the rest of the config (Gnocchi's mapping) needs them.
  const main = parseMain(at, path.dirname(file));
  const meterSpecs = parseMeters(await readMeters(main.meters, file, read), main.meters, main.maxGapSeconds);
  const config = assemble(at, main, meterSpecs, source);
  for (const line of config.credentials.exposed) source.warn?.(line);
  return config;
}

async function readMeters(metersFile: string, iniFile: string, read: ReadText): Promise<string> {
  try {
    return await read(metersFile);
  } catch (error) {
    throw new ConfigError(`${iniFile} [main] meters: cannot read ${metersFile}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Validates the text of an ini file with the given meters (loadConfig reads them from
 * `[main] meters`; tests pass their own, or none) and environment (default: none).
 */
export function parseConfig(
  text: string, file: string, meterSpecs: readonly MeterSpec[] = [], world: Pick<ConfigSource, 'env' | 'cwd'> = { env: {}, cwd: path.dirname(file) },
): Config {
  const at = checkedIni(text, file);
  return assemble(at, parseMain(at, path.dirname(file)), meterSpecs, world);
}

function checkedIni(text: string, file: string): Reader {
  const sections: IniSections = readIni(text, file);
  checkKnown(sections, file);
  return new Reader(file, sections);
}

function assemble(ini: Reader, main: MainConfig, meterSpecs: readonly MeterSpec[], world: Pick<ConfigSource, 'env' | 'cwd'>): Config {
  const dir = path.dirname(ini.file);
  // The ini's sections with credentials filled in from KEY_file keys, the environment and clouds.yaml.
  const { reader: at, origins } = resolveCredentials(ini, main.invoiceObject, { env: world.env, cwd: world.cwd, dir });
  const telemetry = parseTelemetry(at, dir, meterSpecs);
  checkWrittenFiles(at, main, [
    [at.file, 'this config file'],
    [main.database, 'the ledger ([main] database)'],
    [main.meters, 'the meters file ([main] meters)'],
    [telemetry.file, 'the samples file ([telemetry] file)'],
  ]);
  return deepFreeze({
    file: at.file,
    dir,
    main,
    telemetry,
    datacenters: freeSection(at, 'datacenters'),
    flavors: freeSection(at, 'flavors'),
    regions: regionSections(at),
    invoice: freeSection(at, 'invoice:object'),
    prices: parsePrices(at, main.currencyDigits),
    report: parseReport(at, dir),
    meterSpecs: [...meterSpecs],
    credentials: { keystone: origins.keystone, secrets: origins.secrets, exposed: exposedFiles(ini, origins.secretFiles) },
  });
}

/** Freezes plain objects and arrays all the way down (RegExps, Decimals and Maps are left as they are). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  for (const inner of Object.values(value)) deepFreeze(inner);
  return Object.freeze(value);
}
