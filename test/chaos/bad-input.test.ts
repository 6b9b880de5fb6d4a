/**
 * A corpus of bad input — config, arguments, rates, samples, ledger files — each run through
 * the real `bin/artifice`: a one-line error naming the thing (no stack trace) and the documented
 * exit code. For exit 2 (nothing billed) the ledger is byte-identical afterwards, or was never
 * created; for a sample that fails its tenant (exit 1) nothing is committed for the tenant, the
 * bills committed before are unchanged, and the window stays billable.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { cleanTempDirs } from '../helpers/tmp.js';
import { artifice, cloud, committed, FILE_TELEMETRY, ledgerBills, MONTH, site, tally, type Site } from './kit.js';
import { RATES, sample } from '../operator/fixture.js';

const world = cloud(3);
const APRIL = ['--month', '2024-04'];

afterAll(cleanTempDirs);

/** A working site whose ledger already holds April (3 committed bills); then `samples` replaces the samples file. */
async function billedSite(samples = world.ndjson): Promise<Site> {
  const s = site(FILE_TELEMETRY, { files: { 'samples.ndjson': world.ndjson } });
  const april = await artifice(['bill', '--config', s.ini, '--all', ...APRIL], { cwd: s.dir });
  if (april.code !== 0) throw new Error(`billing April exited ${april.code}: ${april.stderr}`);
  writeFileSync(path.join(s.dir, 'samples.ndjson'), samples);
  return s;
}

/** Hashes of the ledger's files (the database and any journal), the status file excepted. */
function ledgerState(s: Site): string {
  const dir = path.dirname(s.database);
  if (!existsSync(dir)) return 'no ledger directory';
  if (!statSync(dir).isDirectory()) return 'not a directory';
  return readdirSync(dir)
    .filter((f) => f !== path.basename(s.statusFile))
    .sort()
    .map((f) => {
      const p = path.join(dir, f);
      return statSync(p).isFile() ? `${f} ${createHash('sha256').update(readFileSync(p)).digest('hex')}` : `${f}/`;
    })
    .join('\n');
}

const editIni = (s: Site, edit: (text: string) => string) => writeFileSync(s.ini, edit(readFileSync(s.ini, 'utf8')));
const write = (s: Site, name: string, text: string | Buffer) => writeFileSync(path.join(s.dir, name), text);
/** The test rates with m1.small's rate replaced. */
const rates = (small: string) => `${RATES.replace('*,m1.small,hour,0.025', `*,m1.small,hour,${small}`)}\n`;
const bill = (s: Site, ...more: string[]) => ['bill', '--config', s.ini, '--all', ...MONTH, ...more];

interface Case {
  name: string;
  /** Breaks the site; returns the arguments to run. */
  setup: (s: Site) => string[];
  code: number;
  /** What the one error line must say (it names the thing and the fix). */
  error: RegExp;
}

/**
 * The one error line of an exit-2 run (`artifice: …`, or the argument parser's `error: …`
 * followed only by its parenthesised hints, e.g. `(run artifice --help for usage)`).
 */
function oneLine(stderr: string): string[] {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  const problems: string[] = [];
  const [first, ...hints] = lines;
  if (!first || hints.some((h) => !/^\(.*\)$/.test(h))) problems.push(`expected one error line on stderr, got ${lines.length}: ${stderr}`);
  if (!/^(artifice|error): /.test(first ?? '')) problems.push(`expected 'artifice: …', got: ${first}`);
  if (/\n\s+at .*:\d+/.test(stderr) || /\.(ts|js):\d+:\d+/.test(stderr)) problems.push(`a stack trace: ${stderr}`);
  return problems;
}

const exit2: Case[] = [
  // config
  { name: 'a config file that does not exist', setup: (s) => ['bill', '--config', path.join(s.dir, 'nope.ini'), '--all', ...MONTH], code: 2, error: /nope\.ini/ },
  { name: 'a key given twice', setup: (s) => (editIni(s, (t) => t.replace('timezone = UTC', 'timezone = UTC\ntimezone = UTC')), bill(s)), code: 2, error: /timezone/ },
  { name: 'an unknown timezone', setup: (s) => (editIni(s, (t) => t.replace('timezone = UTC', 'timezone = Mars/Olympus_Mons')), bill(s)), code: 2, error: /timezone/ },
  { name: 'settle_hours not a number', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\nsettle_hours = soon')), bill(s)), code: 2, error: /settle_hours/ },
  { name: 'settle_hours out of bounds', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\nsettle_hours = 1e9')), bill(s)), code: 2, error: /settle_hours/ },
  { name: 'max_gap absurd', setup: (s) => (editIni(s, (t) => t.replace(/^max_gap = .*$/m, 'max_gap = 1e308')), bill(s)), code: 2, error: /max_gap/ },
  { name: 'currency_digits negative', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\ncurrency_digits = -1')), bill(s)), code: 2, error: /currency_digits/ },
  { name: 'concurrency 0 in the config', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\nconcurrency = 0')), bill(s)), code: 2, error: /concurrency/ },
  { name: 'trust_sources naming nothing', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\ntrust_sources = ,')), bill(s)), code: 2, error: /trust_sources/ },
  { name: 'status_file = the ledger', setup: (s) => (editIni(s, (t) => t.replace('[main]', '[main]\nstatus_file = ledger/artifice.sqlite')), bill(s)), code: 2, error: /status_file/ },
  { name: 'a section header with junk after it', setup: (s) => (editIni(s, (t) => t.replace('[datacenters]', '[datacenters] extra')), bill(s)), code: 2, error: /datacenters/ },
  { name: 'an unknown backend', setup: (s) => (editIni(s, (t) => t.replace('backend = file', 'backend = influxdb')), bill(s)), code: 2, error: /backend/ },
  { name: 'an adapter module that does not exist', setup: (s) => (editIni(s, (t) => t.replace('invoice:object = csv', 'invoice:object = ./missing-adapter.mjs:Missing')), bill(s)), code: 2, error: /missing-adapter/ },
  { name: 'an unknown key for the csv adapter', setup: (s) => (editIni(s, (t) => t.replace('output_dir = out', 'output_dir = out\ncolour = red')), bill(s)), code: 2, error: /colour/ },
  { name: 'a config of binary garbage', setup: (s) => (write(s, 'artifice.ini', Buffer.from([0, 1, 2, 255, 254, 0x5b, 0, 0x5d, 10, 0xff])), bill(s)), code: 2, error: /artifice\.ini/ },
  { name: 'a meters file with an unknown transform', setup: (s) => (write(s, 'meters.ini', readFileSync(path.join(s.dir, 'meters.ini'), 'utf8').replace('transform = gauge', 'transform = integral')), bill(s)), code: 2, error: /transform/ },
  { name: 'a meters file dividing by zero', setup: (s) => (write(s, 'meters.ini', readFileSync(path.join(s.dir, 'meters.ini'), 'utf8').replace('sample_unit = GB', 'sample_unit = GB\ndivide_by = 0')), bill(s)), code: 2, error: /divide_by/ },
  // arguments
  { name: 'month 13', setup: (s) => ['bill', '--config', s.ini, '--all', '--month', '2024-13'], code: 2, error: /2024-13/ },
  { name: '--from after --to', setup: (s) => ['bill', '--config', s.ini, '--all', '--from', '2024-06-01', '--to', '2024-05-01'], code: 2, error: /--from|--to/ },
  { name: '--month with --from', setup: (s) => ['bill', '--config', s.ini, '--all', ...MONTH, '--from', '2024-05-01', '--to', '2024-05-02'], code: 2, error: /--month|--from/ },
  { name: 'an unknown flag', setup: (s) => ['bill', '--config', s.ini, '--all', ...MONTH, '--frobnicate'], code: 2, error: /frobnicate/ },
  { name: 'neither --tenant nor --all', setup: (s) => ['bill', '--config', s.ini, ...MONTH], code: 2, error: /--tenant|--all/ },
  { name: '--concurrency 0', setup: (s) => [...bill(s), '--concurrency', '0'], code: 2, error: /concurrency/ },
  { name: '--concurrency not a number', setup: (s) => [...bill(s), '--concurrency', 'lots'], code: 2, error: /concurrency/ },
  { name: 'void without --reason', setup: (s) => ['void', '--config', s.ini, '--tenant', world.plans[0]!.id, '--month', '2024-04'], code: 2, error: /reason/ },
  { name: 'an unknown command', setup: (s) => ['bil', '--config', s.ini], code: 2, error: /bil/ },
  // rates
  { name: 'a rate that is not a number', setup: (s) => (write(s, 'rates.csv', rates('cheap')), bill(s)), code: 2, error: /rates\.csv/ },
  { name: 'a negative rate', setup: (s) => (write(s, 'rates.csv', rates('-0.5')), bill(s)), code: 2, error: /rates\.csv/ },
  { name: 'a hexadecimal rate', setup: (s) => (write(s, 'rates.csv', rates('0x10')), bill(s)), code: 2, error: /rates\.csv/ },
  { name: 'a rates file without its header', setup: (s) => (write(s, 'rates.csv', rates('0.025').split('\n').slice(1).join('\n')), bill(s)), code: 2, error: /rates\.csv/ },
  { name: 'a rates file that does not exist', setup: (s) => (editIni(s, (t) => t.replace('rates = rates.csv', 'rates = no-rates.csv')), bill(s)), code: 2, error: /no-rates\.csv/ },
  { name: 'a rates row with too many columns', setup: (s) => (write(s, 'rates.csv', rates('0.025,extra')), bill(s)), code: 2, error: /rates\.csv/ },
  // samples that cannot be read at all
  { name: 'a samples file that does not exist', setup: (s) => (editIni(s, (t) => t.replace('file = samples.ndjson', 'file = gone.ndjson')), bill(s)), code: 2, error: /gone\.ndjson/ },
  { name: 'a truncated .gz samples file', setup: (s) => {
    const gz = gzipSync(Buffer.from(world.ndjson));
    write(s, 'samples.ndjson.gz', gz.subarray(0, Math.floor(gz.length / 2)));
    editIni(s, (t) => t.replace('file = samples.ndjson', 'file = samples.ndjson.gz'));
    return bill(s);
  }, code: 2, error: /samples\.ndjson\.gz/ },
  { name: 'a samples file that is a directory', setup: (s) => (mkdirSync(path.join(s.dir, 'dir.ndjson')), editIni(s, (t) => t.replace('file = samples.ndjson', 'file = dir.ndjson')), bill(s)), code: 2, error: /dir\.ndjson/ },
];

/** Ledger files that are not a usable ledger: every command refuses them, leaving them as they are. */
const ledgerCases: { name: string; corrupt: (s: Site) => void; error: RegExp }[] = [
  { name: 'a text file', corrupt: (s) => writeFileSync(s.database, 'this is not a database\n'), error: /artifice\.sqlite/ },
  { name: 'a ledger cut in half', corrupt: (s) => truncateSync(s.database, Math.floor(statSync(s.database).size / 2)), error: /artifice\.sqlite/ },
  { name: 'a ledger with garbage over its pages', corrupt: (s) => {
    const bytes = readFileSync(s.database);
    for (let i = 4096; i < bytes.length; i += 7) bytes[i] = (i * 31) & 0xff;
    writeFileSync(s.database, bytes);
  }, error: /artifice\.sqlite/ },
  { name: "another program's SQLite database", corrupt: (s) => {
    writeFileSync(s.database, '');
    const db = new Database(s.database);
    db.exec('CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO recipes (name) VALUES (\'soup\')');
    db.close();
  }, error: /artifice\.sqlite/ },
  { name: 'a ledger from a newer artifice (schema version 999)', corrupt: (s) => {
    const db = new Database(s.database);
    db.pragma('user_version = 999');
    db.close();
  }, error: /artifice\.sqlite/ },
  { name: 'a directory where the ledger should be', corrupt: (s) => {
    rmSync(s.database);
    mkdirSync(s.database);
  }, error: /artifice\.sqlite/ },
];

describe('bad config, arguments, rates and samples files: one line, exit 2, the ledger untouched', () => {
  it.each(exit2.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const s = await billedSite();
    const args = c.setup(s);
    const before = ledgerState(s);
    const out = await artifice(args, { cwd: s.dir });
    tally('badInputs');
    const problems = [...oneLine(out.stderr)];
    if (out.code !== c.code) problems.push(`exit ${out.code}, expected ${c.code}`);
    if (!c.error.test(out.stderr)) problems.push(`the error does not match ${c.error}: ${out.stderr}`);
    if (ledgerState(s) !== before) {
      tally('lost', 1, `${c.name}: ledger changed`);
      problems.push('the ledger files changed');
    }
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('bad ledger files: every command refuses them in one line, and leaves them byte-identical', () => {
  const commands = (s: Site) => [
    bill(s),
    ['history', '--config', s.ini],
    ['status', '--config', s.ini],
    ['verify', '--config', s.ini, '--tenant', world.plans[0]!.id, '--month', '2024-04'],
    ['void', '--config', s.ini, '--tenant', world.plans[0]!.id, '--month', '2024-04', '--reason', 'test'],
  ];
  it.each(ledgerCases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const s = await billedSite();
    c.corrupt(s);
    const problems: string[] = [];
    for (const args of commands(s)) {
      const before = ledgerState(s);
      const out = await artifice(args, { cwd: s.dir });
      tally('badInputs');
      const label = args[0]!;
      problems.push(...oneLine(out.stderr).map((p) => `${label}: ${p}`));
      // status reports a bad config or ledger with 2 like the others (README, "Exit codes").
      if (out.code !== 2) problems.push(`${label}: exit ${out.code}, expected 2 (${out.stdout.slice(0, 200)})`);
      if (!c.error.test(out.stderr)) problems.push(`${label}: the error does not name the ledger: ${out.stderr}`);
      if (ledgerState(s) !== before) {
        tally('lost', 1, `${name}: ${label} changed the ledger`);
        problems.push(`${label}: the ledger files changed`);
      }
    }
    expect(problems).toEqual([]);
  }, 120_000);
});

/** Samples of tenant-01 replaced by one bad line each (the others stay valid). */
const T1 = world.plans[0]!.id;
function withBadSample(line: string): string {
  return `${world.ndjson}${line}\n`;
}
const volumeSample = (fields: Record<string, unknown>) =>
  JSON.stringify({ ...JSON.parse(sample(T1, 'volume.size', `vol-bad-${T1}`, '2024-05-10T00:00:00Z', 5, { status: 'in-use' })), ...fields });

const tenantCases: { name: string; line: () => string; error: RegExp }[] = [
  { name: 'a volume of 1e308 GB', line: () => volumeSample({ volume: 1e308 }), error: /1e\+?308|volume|quantity/ },
  { name: 'a volume that is not a number', line: () => volumeSample({ volume: 'lots' }), error: /volume|lots/ },
  { name: 'a negative volume size', line: () => volumeSample({ volume: -50 }), error: /volume|-50|negative/ },
  { name: 'a timestamp that is not a time', line: () => volumeSample({ timestamp: 'yesterday' }), error: /timestamp|yesterday/ },
  { name: 'a sample in MB where GB is expected', line: () => volumeSample({ unit: 'MB' }), error: /MB/ },
];

describe('bad samples of one tenant: that tenant fails in one line, nothing committed for it, its window billable', () => {
  it.each(tenantCases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const s = await billedSite(withBadSample(c.line()));
    const april = ledgerBills(s.database);
    const out = await artifice([...bill(s), '--quiet'], { cwd: s.dir });
    tally('badInputs');
    const problems: string[] = [];
    if (out.code !== 1) problems.push(`exit ${out.code}, expected 1: ${out.stderr}`);
    const lines = out.stderr.split('\n').filter((l) => l.trim() !== '');
    if (lines.length !== 1 || !lines[0]!.includes(T1)) problems.push(`expected one error line naming ${T1}, got: ${out.stderr}`);
    else if (!c.error.test(lines[0]!)) problems.push(`the error does not match ${c.error}: ${lines[0]}`);
    if (/\n\s+at .*:\d+/.test(out.stderr)) problems.push(`a stack trace: ${out.stderr}`);
    const bills = committed(s.database);
    if (ledgerBills(s.database).some((b) => b.tenant === T1 && b.status === 'committed' && !april.some((a) => a.id === b.id))) {
      tally('wrong', 1, name);
      problems.push(`${T1} has a committed May bill despite the bad sample`);
    }
    if (bills.size !== 3) problems.push(`${bills.size} tenants committed, expected the other two (and April's)`);
    const kept = april.filter((a) => !ledgerBills(s.database).some((b) => b.id === a.id && b.status === a.status && b.total === a.total));
    if (kept.length > 0) problems.push(`April's bills changed: ${kept.map((k) => k.tenant).join(', ')}`);
    // The window stays billable: once the sample is gone, the next run bills it.
    write(s, 'samples.ndjson', world.ndjson);
    const again = await artifice(bill(s), { cwd: s.dir });
    if (again.code !== 0) {
      tally('lost', 1, name);
      problems.push(`after fixing the sample the tenant is not billed (exit ${again.code}): ${again.stderr}`);
    }
    expect(problems).toEqual([]);
  }, 60_000);

  it('a samples line that is not JSON fails its run in one line and commits nothing wrong', async () => {
    const s = await billedSite(withBadSample('{"id": "broken", "volume": 1,'));
    const before = ledgerState(s);
    const out = await artifice([...bill(s), '--quiet'], { cwd: s.dir });
    tally('badInputs');
    const problems: string[] = [];
    if (![1, 2].includes(out.code ?? -1)) problems.push(`exit ${out.code}`);
    if (/\n\s+at .*:\d+/.test(out.stderr)) problems.push(`a stack trace: ${out.stderr}`);
    if (!/samples\.ndjson(:\d+| line \d+)/.test(out.stderr)) problems.push(`the error names neither the file nor the line: ${out.stderr}`);
    if (out.code === 2 && ledgerState(s) !== before) problems.push('exit 2 but the ledger changed');
    const mayBills = ledgerBills(s.database).filter((b) => b.status === 'committed').length - 3;
    if (out.code === 1 && mayBills > 0) problems.push(`${mayBills} May bills committed from a samples file with a broken line`);
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('hostile values in samples reach files safely', () => {
  it('a tenant id of 300 characters is billed into a file it can write, or fails in one line leaving nothing pending', async () => {
    const long = `t${'x'.repeat(299)}`;
    const lines = world.ndjson.replace(/"project_id":"tenant-01"/g, `"project_id":"${long}"`);
    const s = await billedSite(lines);
    const out = await artifice([...bill(s), '--json'], { cwd: s.dir });
    tally('badInputs');
    const problems: string[] = [];
    if (/\n\s+at .*:\d+/.test(out.stderr)) problems.push(`a stack trace: ${out.stderr}`);
    const bills = (JSON.parse(out.stdout || '{"bills": []}') as { bills: { tenant: string; status: string; invoice: string | null; error?: string }[] }).bills;
    const b = bills.find((x) => x.tenant === long);
    if (!b) problems.push(`no outcome for the long tenant id (exit ${out.code}): ${out.stderr}`);
    else if (b.status === 'committed' && (!b.invoice || !existsSync(b.invoice))) problems.push(`committed, but its invoice ${b.invoice} does not exist`);
    else if (b.status === 'failed' && (b.error ?? '').includes('\n')) problems.push(`a multi-line error: ${b.error}`);
    else if (!['committed', 'failed'].includes(b.status)) problems.push(`status ${b.status}`);
    // A file name of 300+ bytes cannot exist on Linux (255): the bill must not be committed without its file.
    // Either way the bill is settled: a name that cannot be written must not leave it pending (retried and failing forever).
    const held = ledgerBills(s.database).filter((x) => x.tenant === long && x.status === 'pending');
    if (held.length > 0) problems.push(`its bill is left pending: ${b?.error ?? ''}`.slice(0, 300));
    if (b?.status === 'failed' && ledgerBills(s.database).some((x) => x.tenant === long && x.status === 'committed')) problems.push('a committed bill for a failed tenant');
    expect(problems).toEqual([]);
  }, 60_000);

  it('tenant and flavor names that look like spreadsheet formulas are not formulas in the CSV invoice', async () => {
    const lines = world.ndjson
      .replace(/"project_name":"tenant-01-name"/g, '"project_name":"=HYPERLINK(\\"http://evil.example/\\",\\"pay here\\")"')
      .replace(/"flavor.name":"m1.small"/g, '"flavor.name":"@SUM(1+1)"');
    const s = await billedSite(lines);
    write(s, 'rates.csv', 'datacenter,service,unit,rate\n*,m1.small,hour,0.025\n*,m1.medium,hour,0.05\n*,@SUM(1+1),hour,0.025\n*,volume.size,gigabyte-hour,0.0001\n');
    const out = await artifice(bill(s), { cwd: s.dir });
    tally('badInputs');
    const problems: string[] = [];
    if (out.code !== 0) problems.push(`exit ${out.code}: ${out.stderr}`);
    const outDir = s.outDir;
    for (const f of existsSync(outDir) ? readdirSync(outDir) : []) {
      const text = readFileSync(path.join(outDir, f), 'utf8');
      // Each cell, unquoted: one starting with = + - @ (not a plain number) is a formula to a spreadsheet.
      for (const cell of text.split(/[,\n]/).map((c) => c.replace(/^"|"$/g, ''))) {
        if (/^[=+\-@\t\r]/.test(cell) && !/^[+-]?\d/.test(cell)) problems.push(`${f}: a cell starts a formula: ${cell}`);
      }
    }
    expect(problems).toEqual([]);
  }, 60_000);
});

describe('a samples file far larger than the memory it needs', () => {
  it('160 MB of comment lines around the samples bill exactly under a 64 MB heap (the file is streamed, not loaded whole)', async () => {
    const reference = await billedSite();
    expect((await artifice(bill(reference), { cwd: reference.dir })).code).toBe(0);
    const s = await billedSite('');
    const fd = openSync(path.join(s.dir, 'samples.ndjson'), 'w');
    const comments = `# ${'x'.repeat(64 * 1024 - 3)}\n`.repeat(16);
    const lines = world.ndjson.split('\n');
    const per = Math.ceil(lines.length / 160);
    for (let i = 0; i < 160; i++) {
      writeSync(fd, comments);
      writeSync(fd, `${lines.slice(i * per, (i + 1) * per).filter((l) => l !== '').join('\n')}\n`);
    }
    closeSync(fd);
    const out = await artifice(bill(s), { cwd: s.dir, env: { NODE_OPTIONS: '--max-old-space-size=64' } });
    rmSync(path.join(s.dir, 'samples.ndjson'));
    tally('badInputs');
    const problems: string[] = [];
    if (out.code !== 0) problems.push(`exit ${out.code} (${out.signal ?? ''}): ${out.stderr.slice(0, 300)}`);
    const want = committed(reference.database);
    const got = committed(s.database);
    for (const [tenant, total] of want) if (got.get(tenant) !== total) problems.push(`${tenant}: ${got.get(tenant)} instead of ${total}`);
    expect(problems).toEqual([]);
  }, 120_000);
});
