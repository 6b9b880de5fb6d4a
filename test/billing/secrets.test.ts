/**
 * The sinks of a bill run keep no secret (docs/operations.md, "Secrets"): an Odoo that quotes
 * the JSON-RPC request in its errors hands the adapter a message with the password in it,
 * JSON-escaped; the adapter hides only the password as is. Nothing of it may reach stdout,
 * stderr, the status file, the ledger's bills.error or runs.errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../../src/config.js';
import { FakeOdoo } from '../fakes/odoo-server.js';
import { ACME, run } from '../helpers/cli.js';
import { leaks } from '../helpers/secrets.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';
import { packageFile } from '../../src/model/paths.js';

/** A quote and a backslash: JSON-escaped, it is another string than as is. */
const PASSWORD = 'Od"oo\\pass-9';
const REDACTED = '[redacted]';

let odoo: FakeOdoo;

beforeAll(async () => {
  odoo = await FakeOdoo.start({ users: [{ login: 'billing', password: PASSWORD }] });
  odoo.quoteRequests = true;
});

afterAll(async () => {
  await odoo.close();
  cleanTempDirs();
});

/** The demo's samples billed into the fake Odoo, in `database`. */
function config(dir: string, database: string): string {
  return writeIn(dir, 'artifice.ini', `[main]
invoice:object = odoo
database = ledger.sqlite
timezone = UTC
currency = USD

[telemetry]
backend = file
file = ${packageFile('config', 'demo', 'samples.ndjson.gz')}
region = RegionOne

[datacenters]
az-north = north
az-south = south

[invoice:object]
url = ${odoo.url}
database = ${database}
user = billing
password = ${PASSWORD}
product_fallback = {service}
retries = 0
`);
}

/** A product for each row of config/rates.csv: `<datacenter>.<service>`, or `<service>` for `*`. */
function addProducts(): void {
  const rows = readFileSync(packageFile('config', 'rates.csv'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).slice(1);
  for (const [datacenter, service, , rate] of rows.map((row) => row.split(',').map((c) => c.trim()))) {
    odoo.addProduct(datacenter === '*' ? service! : `${datacenter}.${service}`, rate!);
  }
}

/** `artifice ARGS --tenant ACME --month 2024-05`: stdout and stderr, with the exit code expected. */
async function artifice(dir: string, ini: string, args: string[], code: number): Promise<string[]> {
  const r = await run([...args, '--tenant', ACME, '--month', '2024-05', '--config', ini], { cwd: dir });
  expect(r.code).toBe(code);
  return [r.stdout, r.stderr];
}

/** What a bill run stored: the status file, the ledger's bills.error and runs.errors. */
async function stored(dir: string, ini: string): Promise<{ status: string; billErrors: string[]; runErrors: string[] }> {
  const { main } = await loadConfig({ flag: ini, env: {}, cwd: dir });
  const db = new Database(path.join(dir, 'ledger.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return {
      status: readFileSync(main.statusFile, 'utf8'),
      billErrors: (db.prepare('SELECT error FROM bills WHERE error IS NOT NULL').all() as { error: string }[]).map((b) => b.error),
      runErrors: (db.prepare('SELECT errors FROM runs').all() as { errors: string }[]).map((row) => row.errors),
    };
  } finally {
    db.close();
  }
}

describe('an Odoo that quotes the request in its errors', () => {
  it('a failed login: the password, as is or JSON-escaped, is in no output, status file or ledger column', async () => {
    const dir = tempDir();
    const ini = config(dir, 'no-such-db');
    const outputs = [...(await artifice(dir, ini, ['bill', '--json'], 1)), ...(await artifice(dir, ini, ['bill', '--verbose'], 1))];
    // The server did quote the request: the failed bills say so, with the password taken out.
    expect(outputs[0]).toContain('no-such-db');
    expect(outputs[0]).toContain(REDACTED);
    const { status, billErrors, runErrors } = await stored(dir, ini);
    expect(billErrors).toHaveLength(2);
    for (const text of [status, ...billErrors, ...runErrors]) expect(text).toContain(REDACTED);
    for (const text of [...outputs, status, ...billErrors, ...runErrors]) expect(leaks(text, PASSWORD)).toEqual([]);
  });

  it('a refused create in commit(): the message of the bill left pending keeps no password anywhere', async () => {
    addProducts();
    odoo.failCreate('account.move', 'refuse');
    const dir = tempDir();
    const ini = config(dir, odoo.database);
    const outputs = await artifice(dir, ini, ['bill', '--json'], 1);
    expect(outputs[0]).toContain('stays pending');
    expect(outputs[0]).toContain(REDACTED);
    const { status, runErrors } = await stored(dir, ini);
    for (const text of [status, ...runErrors]) expect(text).toContain(REDACTED);
    for (const text of [...outputs, status, ...runErrors]) expect(leaks(text, PASSWORD)).toEqual([]);
  });

  it('usage: the preview shows no password', async () => {
    const dir = tempDir();
    const ini = config(dir, 'no-such-db');
    for (const args of [['usage', '--json'], ['bill', '--dry-run']]) {
      const outputs = await artifice(dir, ini, args, 1);
      expect(outputs.join('')).toContain(REDACTED);
      for (const text of outputs) expect(leaks(text, PASSWORD)).toEqual([]);
    }
  });
});
