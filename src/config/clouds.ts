/**
 * clouds.yaml as openstacksdk (and so openstackclient) reads it: the first of `clouds.yaml`,
 * `clouds.yml`, `clouds.json` found in `OS_CLIENT_CONFIG_FILE`, the current directory,
 * `~/.config/openstack/` (`$XDG_CONFIG_HOME/openstack`), `/etc/xdg/openstack/` and
 * `/etc/openstack/`; `secure.yaml` (`OS_CLIENT_SECURE_FILE`, same places) merged over it, so
 * passwords can live in a file of their own. Vendor profiles (`profile:`) are not read.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ConfigError, firstLine } from '../model/errors.js';
import type { Env, Sourced } from './sources.js';

const SUFFIXES = ['.yaml', '.yml', '.json'];

/** The directories openstacksdk searches, in its order. */
export function cloudDirectories(env: Env, cwd: string): string[] {
  const home = env.HOME;
  const userConfig = env.XDG_CONFIG_HOME || (home ? path.join(home, '.config') : undefined);
  const siteConfig = env.XDG_CONFIG_DIRS?.split(':').find(Boolean) ?? '/etc/xdg';
  return [cwd, ...(userConfig ? [path.join(userConfig, 'openstack')] : []), path.join(siteConfig, 'openstack'), '/etc/openstack'];
}

/** Candidate files of one kind (`clouds` or `secure`), an explicit file first. */
function candidates(base: 'clouds' | 'secure', explicit: string | undefined, env: Env, cwd: string): string[] {
  const files = cloudDirectories(env, cwd).flatMap((dir) => SUFFIXES.map((suffix) => path.join(dir, base + suffix)));
  return explicit ? [path.resolve(cwd, explicit), ...files] : files;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** The first existing file, parsed; undefined when there is none. */
function firstFile(files: string[]): { file: string; clouds: Json } | undefined {
  const file = files.find((f) => existsSync(f));
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = YAML.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${firstLine(error).replace(/:$/, '')}; fix its YAML`, { cause: error });
  }
  return { file, clouds: asObject(asObject(parsed)?.clouds) ?? {} };
}

/** One entry of clouds.yaml, secure.yaml merged over it; each value knows which file gave it. */
export class CloudEntry {
  constructor(
    readonly name: string,
    private readonly layers: { label: string; entry: Json }[],
  ) {}

  /** A top-level key (`region_name`, `interface`, `cacert`, `verify`, `auth_type`) or, with `auth`, a key of `auth:`. */
  get(key: string, where: 'top' | 'auth'): Sourced | undefined {
    for (const { label, entry } of this.layers) {
      const holder = where === 'auth' ? asObject(entry.auth) : entry;
      const value = holder?.[key];
      if (value === undefined || value === null || value === '') continue;
      const shown = where === 'auth' ? `auth.${key}` : key;
      if (typeof value === 'object') throw new ConfigError(`${label}: ${shown} must be a single value, not a list or a mapping`);
      return { value: String(value).trim(), from: label, tier: 'clouds' };
    }
    return undefined;
  }
}

/**
 * The cloud `name` (`[keystone] cloud` or `OS_CLOUD`, named by `selectedBy`). A name that no file
 * holds is an error naming every file looked at.
 */
export function loadCloud(name: string, selectedBy: string, env: Env, cwd: string): CloudEntry {
  const clouds = firstFile(candidates('clouds', env.OS_CLIENT_CONFIG_FILE, env, cwd));
  const secure = firstFile(candidates('secure', env.OS_CLIENT_SECURE_FILE, env, cwd));
  const layers = [secure, clouds].flatMap((found) => {
    const entry = found && asObject(found.clouds[name]);
    return entry ? [{ label: `${path.basename(found.file)} (${name})`, entry }] : [];
  });
  if (layers.length > 0) return new CloudEntry(name, layers);
  const searched = [...(env.OS_CLIENT_CONFIG_FILE ? [path.resolve(cwd, env.OS_CLIENT_CONFIG_FILE)] : []), ...cloudDirectories(env, cwd).map((dir) => path.join(dir, 'clouds.yaml'))];
  const found = clouds
    ? `${clouds.file} has no cloud '${name}' (it has: ${Object.keys(clouds.clouds).join(', ') || 'none'})`
    : 'no clouds.yaml found';
  throw new ConfigError(`${selectedBy} = '${name}': ${found}; searched ${searched.join(', ')} (also .yml, .json); fix the name or set OS_CLIENT_CONFIG_FILE`);
}
