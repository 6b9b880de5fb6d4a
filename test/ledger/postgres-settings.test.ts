/**
 * Selecting and reaching a PostgreSQL ledger without a server (src/ledger/url.ts,
 * src/ledger/postgres/connect.ts, src/config/main.ts): the URL, its password never shown, ~/.pgpass
 * read as libpq reads it, `[main] database_password_file`, a server that is not there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../../src/config.js';
import { registerConfigSecrets } from '../../src/config/secrets.js';
import { Ledger, isLedgerUrl, shownUrl } from '../../src/ledger.js';
import { pgpassLookup } from '../../src/ledger/postgres/connect.js';
import { LedgerError } from '../../src/model/errors.js';
import { REDACTED, Secrets } from '../../src/model/secrets.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';

afterEach(cleanTempDirs);

const FILE = '/etc/artifice/artifice.ini';
const withDatabase = (database: string, extra = '') => `[main]\ndatabase = ${database}\n${extra}[telemetry]\nbackend = file\nfile = s.ndjson\n`;

test('postgresql:// and postgres:// select PostgreSQL; anything else is an SQLite path', () => {
  expect(isLedgerUrl('postgresql://billing@db:5432/artifice')).toBe(true);
  expect(isLedgerUrl('postgres://db/artifice?sslmode=require')).toBe(true);
  expect(isLedgerUrl(' POSTGRESQL://db/a')).toBe(true);
  for (const path of ['ledger.sqlite', '/var/lib/artifice/ledger.sqlite', 'postgresql.sqlite', 'mysql://db/x']) expect(isLedgerUrl(path)).toBe(false);
});

test('a URL is shown without its password (nor a query parameter that could carry one)', () => {
  expect(shownUrl('postgresql://billing:s3cret-pw@db:5432/artifice?sslmode=verify-full')).toBe('postgresql://billing@db:5432/artifice?sslmode=verify-full');
  expect(shownUrl('postgresql://db/artifice?password=s3cret-pw')).not.toContain('s3cret-pw');
  expect(shownUrl('postgresql://[bad')).toBe('postgresql://…');
});

test('[main] database keeps a URL as it is; the status file then defaults to the config directory; the password file is a secret', () => {
  const dir = tempDir('artifice-pgconfig-');
  const secretFile = path.join(dir, 'pgpass-file');
  fs.writeFileSync(secretFile, 'from-a-file-pw\n');
  const config = parseConfig(withDatabase('postgresql://billing:in-url-pw@db:5432/artifice', `database_password_file = ${secretFile}\n`), FILE);
  expect(config.main.database).toBe('postgresql://billing:in-url-pw@db:5432/artifice');
  expect(config.main.statusFile).toBe('/etc/artifice/status.json');
  expect(config.main.databasePassword).toBe('from-a-file-pw');
  const secrets = new Secrets();
  registerConfigSecrets(config, secrets);
  expect(secrets.redact('from-a-file-pw in-url-pw')).toBe(`${REDACTED} ${REDACTED}`);
});

test('~/.pgpass: the first matching line wins, * matches anything, \\: escapes; a file others can read is ignored', () => {
  const dir = tempDir('artifice-pgpass-');
  const file = path.join(dir, 'pgpass');
  fs.writeFileSync(file, ['# comment', 'other:5432:*:billing:wrong', 'db:5432:artifice:billing:pa\\:ss', '*:*:*:*:fallback', ''].join('\n'), { mode: 0o600 });
  const env = { PGPASSFILE: file };
  expect(pgpassLookup({ host: 'db', port: 5432, database: 'artifice', user: 'billing' }, env)).toBe('pa:ss');
  expect(pgpassLookup({ host: 'db', port: 6543, database: 'artifice', user: 'billing' }, env)).toBe('fallback');
  fs.chmodSync(file, 0o644);
  expect(pgpassLookup({ host: 'db', port: 5432, database: 'artifice', user: 'billing' }, env)).toBeUndefined();
});

test('a server that is not there: a one-line LedgerError naming the URL, never the password', async () => {
  const error = await Ledger.connect('postgresql://billing:n0t-shown-pw@127.0.0.1:1/artifice', { busyTimeoutMs: 2000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(LedgerError);
  const message = (error as Error).message;
  expect(message).toMatch(/^cannot open ledger postgresql:\/\/billing@127\.0\.0\.1:1\/artifice: .*ECONNREFUSED/);
  expect(message).not.toContain('n0t-shown-pw');
  expect(message).not.toContain('\n');
});
