/** Set-up shared by the commands: config, window, tenants, adapter, ledger — in that order, so bad input fails before anything is written. */
import { loadConfig, type Config } from '../config.js';
import { registerConfigSecrets } from '../config/secrets.js';
import type { Deps } from '../deps.js';
import { UsageError } from '../model/errors.js';
import { Ledger, isLedgerUrl, shownUrl } from '../ledger.js';
import { existsSync } from 'node:fs';
import { monthWindow, monthOf, resolveWindow, type WindowOptions } from '../period.js';
import type { Collector } from '../telemetry/contract.js';
import { filterTenants, tenantDirectoryOf } from '../telemetry/tenants.js';
import { formatTimestamp, type Micros } from '../model/time.js';
import type { BillingWindow, Tenant } from '../model/types.js';

export interface CommonOptions {
  config?: string;
}

export interface SelectOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  all?: boolean;
  json?: boolean;
}

/** The config, its secrets registered in `deps.secrets` before anything can print them. */
export async function readConfig(options: CommonOptions, deps: Deps): Promise<Config> {
  const config = await loadConfig({ flag: options.config, env: deps.env, cwd: deps.cwd, warn: (line) => deps.stderr(`warning: ${line}\n`) }, deps.readText);
  registerConfigSecrets(config, deps.secrets);
  return config;
}

export function windowOf(options: WindowOptions, config: Config, deps: Deps): BillingWindow {
  return resolveWindow(options, config.main.timezone, deps.now());
}

/**
 * `--tenant` (repeatable) or `--all`. With a project directory (Keystone, exposed by the
 * collector as `tenantDirectory`), `--all` is every enabled project and `--tenant` takes an id or
 * a name; without one, `--all` is the tenants with telemetry in the window (or within max_gap
 * before it) and `--tenant` is an id. `[main] include_tenants / exclude_tenants` then filter `--all` (when `config` is given).
 */
/** `--tenant` or `--all`, exactly one of them; returns the given tenant refs, trimmed. */
export function checkSelection(options: SelectOptions): string[] {
  const given = (options.tenant ?? []).map((id) => id.trim()).filter(Boolean);
  if (options.all && given.length) throw new UsageError('give either --tenant or --all, not both');
  if (!options.all && !given.length) throw new UsageError('say which tenants: --tenant ID (repeatable) or --all');
  return given;
}

export async function selectTenants(options: SelectOptions, collector: Collector, window: BillingWindow, config?: Config): Promise<Tenant[]> {
  const given = checkSelection(options);
  const directory = tenantDirectoryOf(collector);
  if (given.length) {
    const unique = [...new Set(given)];
    if (!directory) return dedupe(await Promise.all(unique.map((ref) => lookedUp(collector, ref))));
    return dedupe(await Promise.all(unique.map((ref) => directory.resolveTenant(ref))));
  }
  // Without a directory: tenants with telemetry in the window, or just before it: a sample less
  // than max_gap before the start still holds into the window, as `--tenant` would bill it.
  const holdBefore = config ? Math.max(0, ...config.meterSpecs.map((spec) => spec.maxGapUs)) : 0;
  const from = holdBefore > 0 ? window.start - holdBefore + 1 : window.start;
  const listed = directory ? await directory.listTenants() : await collector.tenants(from, window.end);
  if (!config) return listed;
  const { tenants, missing } = filterTenants(listed, config.main.tenants);
  if (missing.length && directory) {
    throw new UsageError(`[main] include_tenants names ${missing.join(', ')}: no enabled project has that id or name in ${directory.description}`);
  }
  // Without a directory, an included id with no telemetry in the window is still billed (empty).
  return [...tenants, ...missing.map((id) => ({ id }))];
}

/**
 * The tenant id a ledger command (`history`, `void`, `verify`) means by `--tenant REF`: an id the
 * ledger has bills for, else the id whose latest bill carries the name REF (docs/architecture.md, "Stable interfaces": a name is
 * as good as an id), else REF itself, for the command to report that nothing matches. Ledger
 * commands do not ask Keystone: voiding a bill should not need the cloud to be up.
 */
export async function tenantInLedger(ledger: Ledger, ref: string): Promise<string> {
  const known = await ledger.tenants();
  if (known.some((t) => t.id === ref)) return ref;
  const named = known.filter((t) => t.name === ref);
  if (named.length > 1) {
    throw new UsageError(`--tenant ${ref}: ${named.length} tenants in the ledger are named so (${named.map((t) => t.id).join(', ')}); give the id`);
  }
  return named[0]?.id ?? ref;
}

function dedupe(tenants: Tenant[]): Tenant[] {
  return tenants.filter((tenant, i) => tenants.findIndex((t) => t.id === tenant.id) === i);
}

/** `--tenant REF` without a project directory: as the collector knows it, or the id as given when it cannot tell. */
async function lookedUp(collector: Collector, ref: string): Promise<Tenant> {
  if (!collector.lookupTenant) return { id: ref };
  const tenant = await collector.lookupTenant(ref);
  if (!tenant) {
    throw new UsageError(`--tenant ${ref}: no project has that id or name in ${collector.description}, so there is nothing to bill; check the id (artifice usage --all lists the projects of a month)`);
  }
  return tenant;
}

/**
 * The ledger of `config`; its stamps (claims, heartbeats, runs) use the injected clock. On
 * PostgreSQL it holds up to `concurrency` + 1 connections: one per tenant billed at once, one
 * for the run itself.
 */
export function openLedger(config: Config, deps: Pick<Deps, 'now' | 'env' | 'secrets'>, concurrency = config.main.concurrency): Promise<Ledger> {
  if (!isLedgerUrl(config.main.database)) return Promise.resolve(Ledger.open(config.main.database, { journal: config.main.ledgerJournal, now: deps.now }));
  // libpq's own sources of a password; each one the driver uses is a secret (never printed).
  deps.secrets.add(deps.env.PGPASSWORD);
  return Ledger.connect(config.main.database, {
    now: deps.now, connections: concurrency + 1,
    ...(config.main.databasePassword ? { password: config.main.databasePassword } : {}), onSecret: (s) => deps.secrets.add(s),
  });
}

/**
 * Whether the ledger of `config` may hold bills: its SQLite file exists, or it is a PostgreSQL
 * database (a server: read-only commands connect to it and find out).
 */
export function ledgerMayExist(config: Config): boolean {
  return isLedgerUrl(config.main.database) || existsSync(config.main.database);
}

/** `[main] database` as messages show it: the file, or the URL without its password. */
export function ledgerName(config: Config): string {
  return isLedgerUrl(config.main.database) ? shownUrl(config.main.database) : config.main.database;
}

/** `2024-05` when the window is a calendar month in the configured zone, else start/end. */
export function windowLabel(start: Micros, end: Micros, config: Config): string {
  const month = monthWindow(monthOf(new Date(start / 1000), config.main.timezone), config.main.timezone);
  if (month.start === start && month.end === end) return month.label;
  return `${formatTimestamp(start)}/${formatTimestamp(end)}`;
}
