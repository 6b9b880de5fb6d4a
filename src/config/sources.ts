/**
 * Where a value of artifice.ini may come from besides the ini itself: a `KEY_file` next to a
 * secret key (the secret kept in a file of its own), an environment variable, or an entry of
 * clouds.yaml. Each value keeps its origin, so `check` can say where it came from and errors
 * can name it — never the value of a secret. docs/configuration.md, "Credentials".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, errorMessage } from '../model/errors.js';
import type { Reader } from './reader.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Precedence, highest first: artifice.ini, then the environment, then clouds.yaml (secure.yaml merged). */
export type Tier = 'ini' | 'env' | 'clouds';

export interface Sourced {
  readonly value: string;
  /** Where it came from: `[keystone] password`, `[keystone] password_file (/etc/artifice/keystone.pw)`, `OS_PASSWORD`, `secure.yaml (mycloud)`. */
  readonly from: string;
  readonly tier: Tier;
  /** The `KEY_file` it was read from, if any. */
  readonly file?: string;
}

/** The environment variable's value, blank counting as unset (as openstackclient treats `OS_X=`). */
export function envValue(env: Env, name: string): Sourced | undefined {
  const value = env[name]?.trim();
  return value ? { value, from: name, tier: 'env' } : undefined;
}

/** A secret kept in a file: the whole file but one trailing newline (`echo pw > file` adds it). */
export function readSecretFile(file: string, where: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${where}: cannot read ${file}: ${errorMessage(error)}; give a readable file holding only the secret`, { cause: error });
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new ConfigError(`${where}: ${file} is empty; put the secret in it (one line)`);
  return value;
}

/** What secretValue reads besides the ini: the ini's directory (for `KEY_file`) and the environment. */
export interface SecretContext {
  readonly dir: string;
  readonly env: Env;
}

/**
 * A secret `[section] key`: the key itself, else `KEY_file` (a path relative to the ini's
 * directory), else the first set variable of `envNames`. Both the key and its `_file` in the ini
 * is an error: which one wins would be a guess.
 */
export function secretValue(at: Reader, section: string, key: string, context: SecretContext, envNames: readonly string[] = []): Sourced | undefined {
  const inIni = at.string(section, key);
  const file = at.path(section, `${key}_file`, context.dir);
  if (inIni !== undefined && file !== undefined) throw at.error(section, `${key}_file`, `and ${key} are both set: give one`);
  if (inIni !== undefined) return { value: inIni, from: `[${section}] ${key}`, tier: 'ini' };
  if (file !== undefined) {
    const where = `${at.file} [${section}] ${key}_file`;
    return { value: readSecretFile(file, where), from: `[${section}] ${key}_file (${file})`, tier: 'ini', file };
  }
  for (const name of envNames) {
    const found = envValue(context.env, name);
    if (found) return found;
  }
  return undefined;
}


/** `relative/ca.pem` from the environment or clouds.yaml resolves against the current directory, as openstacksdk's does. */
export function resolvedPath(value: Sourced, cwd: string): Sourced {
  return { ...value, value: path.resolve(cwd, value.value) };
}
