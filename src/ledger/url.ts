/**
 * `[main] database`: a PostgreSQL URL (`postgresql://` or `postgres://`) selects the PostgreSQL
 * ledger; anything else is the path of an SQLite file. A URL is only ever shown without its
 * password (`shownUrl`).
 */

const URL_SCHEME = /^postgres(?:ql)?:\/\//i;

/** Whether `database` names a PostgreSQL ledger rather than an SQLite file. */
export function isLedgerUrl(database: string): boolean {
  return URL_SCHEME.test(database.trim());
}

/** The password written in the URL itself (`postgresql://user:secret@host/db`), if any. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/** The URL as messages show it: no password, and no query parameter that could carry one. */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    for (const key of [...parsed.searchParams.keys()]) if (/pass|secret|key/i.test(key)) parsed.searchParams.set(key, 'redacted');
    return parsed.toString();
  } catch {
    // Not parseable: show nothing after the scheme that could hold credentials.
    return `${url.match(URL_SCHEME)?.[0] ?? ''}…`;
  }
}
