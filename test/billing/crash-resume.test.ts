/**
 * A crash between claim and commit (docs/architecture.md, "The ledger"): the ledger keeps a pending bill; the next run
 * finds its owner gone, resumes it, and the idempotent commit leaves exactly one invoice.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ledger } from '../../src/ledger.js';
import { ACME, demo, GLOBEX, ledgerBills, ledgerCount, MAY_SUFFIX, run, runBin } from '../helpers/cli.js';
import { cleanTempDirs, filesIn, writeIn } from '../helpers/tmp.js';

afterAll(cleanTempDirs);

const MONTH = ['--month', '2024-05'];
const MAY = { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 5, 1) * 1000 };

/**
 * A plain-JS adapter that extends nothing: a flat rate per unit (`rate`, default 0.01), one deterministic file per bill
 * (named by tenant, window and revision; its first line is the bill id). The first commit ever
 * (no marker file yet) writes the invoice and then kills the process, as a crash would.
 */
const CRASH_ADAPTER = `
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export class CrashInvoice {
  constructor(tenant, config, context) {
    this.tenant = tenant;
    this.config = config;
    this.context = context;
    this.lines = [];
  }
  cost() { return this.config.rate ?? '0.01'; }
  addSection() {}
  addLine(line) { this.lines.push([line.datacenter, line.name, line.amount.toFixed(2)].join(',')); }
  commit() {
    const dir = path.resolve(this.context.configDir, this.config.output_dir);
    const name = [this.tenant.id, this.context.start, this.context.end, 'r' + this.context.revision].join('_').replace(/[^A-Za-z0-9_.-]/g, '');
    const file = path.join(dir, name + '.txt');
    if (this.context.dryRun) return file;
    mkdirSync(dir, { recursive: true });
    writeFileSync(file + '.tmp', this.context.billId + '\\n' + this.lines.join('\\n') + '\\n');
    renameSync(file + '.tmp', file);
    const marker = path.resolve(this.context.configDir, this.config.marker);
    if (!existsSync(marker)) {
      writeFileSync(marker, String(process.pid));
      process.exit(137);
    }
    return file;
  }
}
`;

function crashDemo() {
  const d = demo((text) =>
    text
      .replace('invoice:object = csv', 'invoice:object = ./crash-invoice.mjs:CrashInvoice')
      .replace('[invoice:object]', '[invoice:object]\nmarker = crashed.marker'),
  );
  writeIn(d.dir, 'crash-invoice.mjs', CRASH_ADAPTER);
  return d;
}

describe('a crash between claim and commit (real bin/artifice in a child process)', () => {
  it('leaves a pending bill; the next run resumes it: one committed bill, one invoice', async () => {
    const d = crashDemo();

    // 1. The run that crashes inside commit(), after writing its file.
    const crashed = runBin(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir });
    expect(crashed.status).toBe(137);
    expect(existsSync(path.join(d.dir, 'crashed.marker'))).toBe(true);
    const pending = ledgerBills(d.database);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ tenant: ACME, status: 'pending', revision: 1, reference: null, start_us: MAY.start, end_us: MAY.end });
    expect(JSON.parse(pending[0]!.owner!)).toMatchObject({ host: os.hostname(), pid: crashed.pid });
    expect(ledgerCount(d.database, 'lines', pending[0]!.id)).toBe(11); // written before commit(): 8 services and 3 discount lines
    const files = filesIn(d.outDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(new RegExp(`^${ACME}_`));

    // 2. The next run: the owner pid is dead, so the bill is taken over and committed.
    const resumed = runBin(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir });
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const bills = ledgerBills(d.database);
    expect(bills).toHaveLength(1);
    expect(bills[0]).toMatchObject({ id: pending[0]!.id, status: 'committed', revision: 1, reference: path.join(d.outDir, files[0]!) });
    expect(filesIn(d.outDir)).toEqual(files); // the same single file, rewritten
    const invoice = readFileSync(path.join(d.outDir, files[0]!), 'utf8').split('\n');
    expect(invoice[0]).toBe(pending[0]!.id);
    expect(invoice).toContain('south,m1.large,7.44'); // 744 h × 0.01
    expect(invoice).toContain('south,volume.size.ssd,744.00'); // 74400 GB-h × 0.01

    // 3. And it is billed: a third run does nothing.
    const third = runBin(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir });
    expect(third.code).toBe(3);
    expect(third.stdout).toContain('already billed');
    expect(ledgerBills(d.database)).toHaveLength(1);
  }, 120_000);
});

describe('a crash inside commit(), then a new rate before the next run', () => {
  it('the resumed bill commits the lines recorded before the crash, as the invoice already written has them', async () => {
    const d = crashDemo();
    const crashed = runBin(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH], { cwd: d.dir });
    expect(crashed.status).toBe(137);
    const [pending] = ledgerBills(d.database);
    const [file] = filesIn(d.outDir);
    const written = readFileSync(path.join(d.outDir, file!), 'utf8');
    expect(written).toContain('south,m1.large,7.44');

    // The price doubles before the next run. Measuring again would commit 14.88 into a bill whose
    // invoice (an ERP's, which an idempotent commit() finds and returns as it is) says 7.44.
    writeIn(d.dir, 'artifice.ini', readFileSync(d.ini, 'utf8').replace('[invoice:object]', '[invoice:object]\nrate = 0.02'));
    const resumed = await run(['bill', '--config', d.ini, '--tenant', ACME, ...MONTH, '--json'], { cwd: d.dir });
    expect(resumed.code).toBe(0);
    const [b] = (JSON.parse(resumed.stdout) as { bills: Array<Record<string, unknown>> }).bills;
    expect(b).toMatchObject({ status: 'committed', resumed: true, as_recorded: true });
    expect((b!.lines as Array<{ name: string; rate: string; amount: string }>).find((l) => l.name === 'm1.large')).toMatchObject({ rate: '0.01', amount: '7.44' });
    expect(readFileSync(path.join(d.outDir, file!), 'utf8')).toBe(written);
    expect(ledgerBills(d.database).map((x) => [x.id, x.status, x.total])).toEqual([[pending!.id, 'committed', b!.total]]);
    expect(ledgerCount(d.database, 'lines', pending!.id)).toBe(11); // 8 services and 3 discount lines

    // A bill claimed afresh (another tenant) is measured and priced now: at the new rate.
    const fresh = await run(['bill', '--config', d.ini, '--tenant', GLOBEX, ...MONTH, '--json'], { cwd: d.dir });
    const [g] = (JSON.parse(fresh.stdout) as { bills: Array<{ lines: Array<{ rate: string }>; as_recorded?: boolean }> }).bills;
    expect(g!.as_recorded).toBeUndefined();
    expect(new Set(g!.lines.map((l) => l.rate))).toEqual(new Set(['0.02']));
  }, 120_000);
});

describe('resuming through main()', () => {
  /** A pid that certainly belonged to a process that has exited (and was reaped). */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', '']);
    return child.pid!;
  }

  it('a pending bill whose owner process is gone is resumed and committed once', async () => {
    const d = demo();
    const ledger = Ledger.open(d.database);
    let billId: string;
    try {
      const claim = await ledger.claim({ id: GLOBEX }, MAY, { host: os.hostname(), pid: deadPid(), runId: 'crashed-run' });
      if (claim.kind !== 'claimed') throw new Error(`expected a claim, got ${claim.kind}`);
      billId = claim.bill.id;
    } finally {
      await ledger.close();
    }
    const result = await run(['bill', '--config', d.ini, '--tenant', GLOBEX, ...MONTH, '--json'], { cwd: d.dir });
    expect(result.code).toBe(0);
    const [b] = (JSON.parse(result.stdout) as { bills: Array<{ status: string; total: string }> }).bills;
    expect(b).toMatchObject({ status: 'committed', total: '248.00' });
    const bills = ledgerBills(d.database);
    expect(bills.map((x) => [x.id, x.status, x.revision])).toEqual([[billId, 'committed', 1]]);
    expect(filesIn(d.outDir)).toEqual([`${GLOBEX}${MAY_SUFFIX}.csv`]);
  });
});
