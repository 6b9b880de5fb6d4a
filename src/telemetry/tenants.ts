/**
 * Where `--all` and `--tenant NAME` get tenants from when there is a directory of projects
 * (Keystone), and the `[main] include_tenants / exclude_tenants` filter. A collector that has
 * such a directory exposes it as `tenantDirectory` (see `tenantDirectoryOf`); without one,
 * `--all` asks the collector for the tenants with telemetry in the window.
 */
import type { Collector } from './contract.js';
import type { TenantFilter } from '../config/main.js';
import type { Tenant } from '../model/types.js';

export interface TenantDirectory {
  /** e.g. `keystone http://keystone:5000/v3`. */
  readonly description: string;
  /** Every enabled project. */
  listTenants(): Promise<Tenant[]>;
  /** A project id or name → the project; a UsageError when it names none (or several). */
  resolveTenant(ref: string): Promise<Tenant>;
}

/** The collector's project directory, if it has one (a `tenantDirectory` property). */
export function tenantDirectoryOf(collector: Collector): TenantDirectory | undefined {
  const directory = (collector as Collector & { tenantDirectory?: TenantDirectory }).tenantDirectory;
  return directory && typeof directory.listTenants === 'function' && typeof directory.resolveTenant === 'function' ? directory : undefined;
}

/**
 * `include` (when given) keeps only the tenants it names; `exclude` drops the ones it names.
 * Each entry is a project id or name, matched exactly. `missing` lists include entries that
 * matched no tenant: the caller decides whether that is an error (a directory lists every
 * project, so it is a typo) or a tenant without telemetry (bill it: it is empty).
 */
export function filterTenants(tenants: Tenant[], filter: TenantFilter): { tenants: Tenant[]; missing: string[] } {
  const names = (t: Tenant) => [t.id, ...(t.name === undefined ? [] : [t.name])];
  let kept = tenants;
  let missing: string[] = [];
  if (filter.include && filter.include.length > 0) {
    const include = new Set(filter.include);
    missing = filter.include.filter((ref) => !tenants.some((t) => names(t).includes(ref)));
    kept = kept.filter((t) => names(t).some((n) => include.has(n)));
  }
  if (filter.exclude && filter.exclude.length > 0) {
    const exclude = new Set(filter.exclude);
    kept = kept.filter((t) => !names(t).some((n) => exclude.has(n)));
    missing = missing.filter((ref) => !exclude.has(ref));
  }
  return { tenants: kept, missing };
}
