/**
 * Which sections and keys artifice.ini knows (plain data), and the defaults and bounds of its
 * values. Every section is interpreted by its own module of src/config/.
 */
import { ConfigError } from '../model/errors.js';
import type { IniSections } from './ini-file.js';
import { REPORT_KEYS } from './report.js';

/**
 * Known sections and keys. A section marked `free` takes any key (its values are data);
 * `prefix` sections match `name:anything`.
 */
export const SECTIONS: Record<string, { keys?: readonly string[]; free?: boolean; prefix?: boolean }> = {
  main: {
    keys: ['invoice:object', 'database', 'timezone', 'settle_hours', 'trust_sources', 'currency', 'currency_digits',
      'allow_unpriced', 'meters', 'max_gap', 'status_file', 'metrics_file', 'concurrency', 'grace_hours', 'ledger_journal',
      // a PostgreSQL ledger's password, when neither PGPASSWORD nor ~/.pgpass gives it (docs/ledger.md)
      'database_password_file',
      // --all: tenants to keep / drop (src/config/main.ts)
      'include_tenants', 'exclude_tenants',
      // the page bill writes after a run (src/config/report.ts)
      'report_html'],
  },
  telemetry: {
    keys: ['backend', 'file', 'url', 'region',
      // HTTP backends (src/config/telemetry.ts)
      'timeout', 'retries', 'page_size', 'concurrency', 'ca_file', 'insecure', 'regions'],
  },
  // Keystone v3 for the HTTP backends (src/config/keystone.ts); `cloud`, the _file keys and the
  // environment are read by src/config/credentials.ts
  keystone: {
    keys: ['auth_url', 'auth_type', 'username', 'user_id', 'password', 'user_domain_name', 'user_domain_id', 'project_name',
      'project_id', 'project_domain_name', 'project_domain_id', 'application_credential_id', 'application_credential_name',
      'application_credential_secret', 'token', 'interface', 'region_name',
      'cloud', 'password_file', 'application_credential_secret_file', 'token_file'],
  },
  // [region:NAME]: one telemetry endpoint per region (src/config/regions.ts)
  region: { keys: ['url', 'region_name'], prefix: true },
  // backend = gnocchi (src/config/gnocchi.ts, docs/gnocchi.md)
  gnocchi: { keys: ['auth_type', 'user', 'password', 'password_file', 'granularity', 'aggregation', 'uptime_metric', 'mapping', 'source', 'keep_alive'] },
  datacenters: { free: true },
  flavors: { free: true },
  'invoice:object': { free: true },
  // tenant price lists (src/config/prices.ts, docs/prices.md)
  price_groups: { free: true },
  discounts: { free: true },
  minimums: { free: true },
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
  /** Tenants billed at once: see `tenantConcurrency`. */
  concurrency: 4,
  graceHours: 24,
  region: 'RegionOne',
  trackedStates: ['active', 'paused', 'rescued', 'resized', 'verify_resize'],
  /** meters.ini max_volume of a meter that gives none: far beyond any real sample, short of absurd (1e308). */
  maxVolume: 1e18,
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

export function checkKnown(sections: IniSections, file: string): void {
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


/**
 * `[main] concurrency` unless given. A Ceilometer tenant reads each of its meters as its own
 * stream of pages, so 2 tenants keep the default 8 requests in flight busy, and its month of
 * 10-minute samples, each with its id, is the largest a run holds: 2 at once bill in about the
 * same time as 4, with a lower peak (docs/performance.md, "Memory").
 */
export function tenantConcurrency(backend: string | undefined): number {
  return backend === 'ceilometer' ? 2 : DEFAULTS.concurrency;
}
