/**
 * Where a PostgreSQL ledger's password comes from (docs/ledger.md, "PostgreSQL"), against the
 * role `artifice_pw` that test/services/postgres-up.sh makes give its password:
 * `[main] database_password_file`, PGPASSWORD, ~/.pgpass (PGPASSFILE). It is never printed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ledger } from '../../src/ledger.js';
import { demo, run } from '../helpers/cli.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';
import { serverUrl, withDatabase } from './kit.js';

const PASSWORD = 'artifice-pw-s3cret';

afterEach(cleanTempDirs);

/** The test server's URL for the role that needs a password (no password in it). */
function passwordUrl(): string {
  const url = new URL(serverUrl());
  url.username = 'artifice_pw';
  url.password = '';
  url.pathname = '/artifice_pw';
  return url.toString();
}

test('no password from anywhere: a one-line error naming the URL; a wrong one is never printed', async () => {
  const saved = process.env.PGPASSWORD;
  const savedFile = process.env.PGPASSFILE;
  process.env.PGPASSFILE = path.join(tempDir('artifice-nopass-'), 'none');
  try {
    delete process.env.PGPASSWORD;
    await expect(Ledger.connect(passwordUrl())).rejects.toThrow(/^cannot open ledger postgresql:\/\/artifice_pw@.+: .*password/);
    process.env.PGPASSWORD = 'wrong-pw-value';
    const error = (await Ledger.connect(passwordUrl()).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/password authentication failed for user "artifice_pw"/);
    expect(error.message).not.toContain('wrong-pw-value');
  } finally {
    if (saved === undefined) delete process.env.PGPASSWORD;
    else process.env.PGPASSWORD = saved;
    if (savedFile === undefined) delete process.env.PGPASSFILE;
    else process.env.PGPASSFILE = savedFile;
  }
});

test('PGPASSWORD, then ~/.pgpass: each opens the ledger', async () => {
  const saved = { PGPASSWORD: process.env.PGPASSWORD, PGPASSFILE: process.env.PGPASSFILE };
  try {
    process.env.PGPASSWORD = PASSWORD;
    await (await Ledger.connect(passwordUrl())).close();
    delete process.env.PGPASSWORD;
    const file = path.join(tempDir('artifice-pgpass-'), 'pgpass');
    const url = new URL(passwordUrl());
    fs.writeFileSync(file, `${url.hostname}:${url.port}:artifice_pw:artifice_pw:${PASSWORD}\n`, { mode: 0o600 });
    process.env.PGPASSFILE = file;
    const secrets: string[] = [];
    await (await Ledger.connect(passwordUrl(), { onSecret: (s) => secrets.push(s) })).close();
    expect(secrets).toContain(PASSWORD);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
});

test('[main] database_password_file: bill and history with it, the password in no output', async () => {
  const d = demo();
  const secret = path.join(d.dir, 'db-password');
  fs.writeFileSync(secret, `${PASSWORD}\n`, { mode: 0o600 });
  const ini = withDatabase(d.ini, passwordUrl(), path.join(d.dir, 'pw.ini'));
  fs.writeFileSync(ini, fs.readFileSync(ini, 'utf8').replace(/^\[main\]$/m, `[main]\ndatabase_password_file = ${secret}`));
  const billed = await run(['bill', '--config', ini, '--all', '--month', '2024-05', '--json'], { cwd: d.dir, env: {} });
  expect(billed.stderr).toBe('');
  expect([0, 3]).toContain(billed.code);
  const history = await run(['history', '--config', ini, '--json'], { cwd: d.dir, env: {} });
  expect(history.code).toBe(0);
  expect((JSON.parse(history.stdout) as { bills: unknown[] }).bills.length).toBeGreaterThan(0);
  for (const out of [billed.stdout, billed.stderr, history.stdout, fs.readFileSync(path.join(d.dir, 'status.json'), 'utf8')]) expect(out).not.toContain(PASSWORD);
});
