/**
 * Typed access to the sections of one ini file (artifice.ini, meters.ini, the Gnocchi mapping),
 * with errors that name file, section and key and what is allowed; secret-looking values are
 * never echoed.
 */
import path from 'node:path';
import { Decimal, plainDecimal } from '../model/decimal.js';
import { ConfigError, errorMessage } from '../model/errors.js';
import { IniSyntaxError, parseIni, type IniSections } from './ini-file.js';

/** Keys that hold secrets: their values never appear in messages. */
const SECRET_KEY = /pass|secret|token|api_?key|credential/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
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

/** Anchored regexes: `openstack` must match the whole source, not a substring of a forged one. */
export function compileSources(patterns: string[]): RegExp[] {
  return patterns.map((pattern) => new RegExp(`^(?:${pattern})$`));
}

function shown(key: string, value: string): string {
  return isSecretKey(key) ? '(hidden)' : `'${value}'`;
}

/** Typed access to one file's sections, with errors that name file, section and key. */
export class Reader {
  constructor(readonly file: string, readonly sections: IniSections) {}

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
