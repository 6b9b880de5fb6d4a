/** Set-up shared by the commands: config, window, tenants, adapter, ledger — in that order, so bad input fails before anything is written. */
import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '../config.js';
import type { Deps } from '../deps.js';
import { UsageError } from '../errors.js';
import { Ledger, type Owner } from '../ledger.js';
import { monthWindow, monthOf, resolveWindow, type BillingWindow, type WindowOptions } from '../period.js';
import type { Collector, Tenant } from '../telemetry/contract.js';
import { formatTimestamp, type Micros } from '../time.js';

export interface CommonOptions {
  config?: string;
}

export interface SelectOptions extends CommonOptions, WindowOptions {
  tenant?: string[];
  all?: boolean;
  json?: boolean;
}

export function readConfig(options: CommonOptions, deps: Deps): Promise<Config> {
  return loadConfig({ flag: options.config, env: deps.env, cwd: deps.cwd }, deps.readText);
}

export function windowOf(options: WindowOptions, config: Config, deps: Deps): BillingWindow {
  return resolveWindow(options, config.main.timezone, deps.now());
}

/** `--tenant` (repeatable) or `--all` (tenants with telemetry in the window). */
export async function selectTenants(options: SelectOptions, collector: Collector, window: BillingWindow): Promise<Tenant[]> {
  const given = (options.tenant ?? []).map((id) => id.trim()).filter(Boolean);
  if (options.all && given.length) throw new UsageError('give either --tenant or --all, not both');
  if (!options.all && !given.length) throw new UsageError('say which tenants: --tenant ID (repeatable) or --all');
  if (given.length) return [...new Set(given)].map((id) => ({ id }));
  return collector.tenants(window.start, window.end);
}

export function openLedger(config: Config): Ledger {
  return Ledger.open(config.main.database);
}

export function ownerOf(deps: Deps): Owner {
  return { host: deps.host, pid: deps.pid, runId: randomUUID() };
}

/** `2024-05` when the window is a calendar month in the configured zone, else start/end. */
export function windowLabel(start: Micros, end: Micros, config: Config): string {
  const month = monthWindow(monthOf(new Date(start / 1000), config.main.timezone), config.main.timezone);
  if (month.start === start && month.end === end) return month.label;
  return `${formatTimestamp(start)}/${formatTimestamp(end)}`;
}
