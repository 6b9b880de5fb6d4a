/**
 * Two `bill --all` processes on one ledger at once (two cron hosts on a shared disk, or a person
 * running `bill` during the cron job): real child processes of bin/artifice (needs dist/:
 * `npm test` builds first). The adapter is slow (each commit() sleeps) and logs every commit,
 * so the runs truly overlap and a double invoice would show up as a second commit of a tenant.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BIN, REPO, ledgerBills } from '../helpers/cli.js';
import { cleanTempDirs, writeIn } from '../helpers/tmp.js';
import { plan, writeCloud, type Cloud } from './fixture.js';

afterAll(cleanTempDirs);

const TENANTS = 16;

/** A file adapter whose commit() takes `delay_ms` and appends `billId tenant pid` to commits.log. */
const SLOW_ADAPTER = `
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
export class SlowInvoice {
  constructor(tenant, config, context) { this.tenant = tenant; this.config = config; this.context = context; this.lines = []; }
  cost(datacenter, name) { return '0.01'; }
  addSection(datacenter) {}
  addLine(line) { this.lines.push(line); }
  async commit() {
    await new Promise((resolve) => setTimeout(resolve, Number(this.config.delay_ms)));
    const dir = path.resolve(this.context.configDir, this.config.output_dir);
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, this.tenant.id + '.txt');
    appendFileSync(path.join(dir, 'commits.log'), this.context.billId + ' ' + this.tenant.id + ' ' + process.pid + '\\n');
    writeFileSync(file + '.tmp', this.lines.map((l) => l.name + ' ' + l.amount).join('\\n') + '\\n');
    renameSync(file + '.tmp', file);
    return file;
  }
}
`;

interface Child {
  code: number;
  stdout: string;
  stderr: string;
}

function start(cloud: Cloud): Promise<Child> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'bill', '--all', '--month', '2024-05', '--concurrency', '2', '--json', '--config', cloud.ini], {
      cwd: cloud.dir,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir() },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

interface JsonBill {
  tenant: string;
  status: string;
  reason?: string;
  invoice: string | null;
}

// wal: one host (the default). delete: the rollback journal a ledger shared over NFS must use.
describe.each(['wal', 'delete'])('two bill --all processes on one ledger (ledger_journal = %s)', (journal) => {
  let cloud: Cloud;
  let a: Child;
  let b: Child;

  beforeAll(async () => {
    if (!existsSync(path.join(REPO, 'dist', 'src', 'cli.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does) first');
    cloud = writeCloud(plan(TENANTS), { invoice: './slow-invoice.mjs:SlowInvoice', invoiceKeys: ['delay_ms = 250'], mainExtra: [`ledger_journal = ${journal}`] });
    writeIn(cloud.dir, 'slow-invoice.mjs', SLOW_ADAPTER);
    [a, b] = await Promise.all([start(cloud), start(cloud)]);
  }, 60_000);

  it('both succeed: each bills some tenants and leaves the others to the other run', () => {
    // stderr joins the comparison only on a failure, so the diff shows why a run failed.
    const failed = a.code !== 0 || b.code !== 0;
    expect({ a: a.code, b: b.code, stderr: failed ? a.stderr + b.stderr : '' }).toEqual({ a: 0, b: 0, stderr: '' });
    const outcomes = [a, b].map((child) => (JSON.parse(child.stdout) as { bills: JsonBill[] }).bills);
    const committedBy = outcomes.map((list) => list.filter((o) => o.status === 'committed').map((o) => o.tenant));
    // Every tenant committed by exactly one of the two.
    expect([...committedBy[0]!, ...committedBy[1]!].sort()).toEqual(plan(TENANTS).map((t) => t.id).sort());
    expect(committedBy[0]!.filter((t) => committedBy[1]!.includes(t))).toEqual([]);
    // Both did real work, so the runs interleaved.
    expect(committedBy[0]!.length).toBeGreaterThan(0);
    expect(committedBy[1]!.length).toBeGreaterThan(0);
    // What one did not commit it skipped, saying why: already billed, or held by the other run (naming it).
    for (const list of outcomes) {
      for (const o of list.filter((o) => o.status !== 'committed')) {
        expect(o.status).toBe('skipped');
        expect(o.reason).toMatch(/^already billed|^being billed by another run: \S+ pid \d+ \(run [0-9a-f]{8}\)/);
      }
    }
  });

  it('the two runs overlapped in time', () => {
    const db = new Database(cloud.database, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe(journal);
      const runs = db.prepare('SELECT pid, started_at, finished_at, status FROM runs ORDER BY started_at').all() as { pid: number; started_at: string; finished_at: string; status: string }[];
      expect(runs).toHaveLength(2);
      expect(runs.map((r) => r.status)).toEqual(['ok', 'ok']);
      expect(runs[0]!.pid).not.toBe(runs[1]!.pid);
      expect(runs[1]!.started_at < runs[0]!.finished_at).toBe(true);
    } finally {
      db.close();
    }
  });

  it('each invoice was committed exactly once, and the ledger holds one committed bill per tenant', () => {
    const log = readFileSync(path.join(cloud.outDir, 'commits.log'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(TENANTS);
    const tenants = log.map((line) => line.split(' ')[1]);
    expect(new Set(tenants).size).toBe(TENANTS);
    const rows = ledgerBills(cloud.database);
    expect(rows).toHaveLength(TENANTS);
    expect(rows.every((r) => r.status === 'committed')).toBe(true);
    // The bill id the adapter was given is the committed bill's id.
    const byTenant = new Map(rows.map((r) => [r.tenant, r.id]));
    for (const line of log) {
      const [billId, tenant] = line.split(' ');
      expect(byTenant.get(tenant!)).toBe(billId);
    }
  });
});
