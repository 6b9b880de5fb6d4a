/**
 * `bill --all` on 20 tenants killed with SIGKILL at seeded random moments — by time, when a
 * temp file appears in output_dir (the csv adapter's commit), at the k-th Odoo call (the odoo
 * adapter's commit: while Odoo creates the invoice, posts it…) — then run again until it is done:
 * exactly one committed bill and one invoice per tenant, totals equal to an undisturbed run, no
 * bill left pending, no temp file left in output_dir.
 */
import { mkdirSync, watch } from 'node:fs';
import { FakeOdoo } from '../fakes/odoo-server.js';
import { cleanTempDirs, filesIn } from '../helpers/tmp.js';
import { artifice, cloud, committed, FILE_TELEMETRY, judge, ledgerBills, MONTH, seeded, site, tally, type Exit, type Site } from './kit.js';

const TENANTS = 20;
const SUFFIX = '_20240501T000000Z_20240601T000000Z';
const world = cloud(TENANTS);
const tenantIds = world.plans.map((p) => p.id);
const KILLS_PER_ADAPTER = 16;

afterAll(cleanTempDirs);

function fileSite(options: { invoice?: string; invoiceSection?: string } = {}): Site {
  const s = site(FILE_TELEMETRY, { ...options, files: { 'samples.ndjson': world.ndjson } });
  return s;
}

const bill = (s: Site, onStart?: (kill: () => void) => void, killAfterMs?: number) =>
  artifice(['bill', '--config', s.ini, '--all', ...MONTH, '--json', '--concurrency', '4'], { cwd: s.dir, onStart, killAfterMs });

/** Runs until a run ends by itself with every tenant committed (at most 10 more runs). */
async function finish(s: Site): Promise<Exit[]> {
  const runs: Exit[] = [];
  for (let i = 0; i < 10; i++) {
    const out = await bill(s);
    runs.push(out);
    if (committed(s.database).size === TENANTS && (out.code === 0 || out.code === 3)) break;
  }
  return runs;
}

/** The end state every round must reach. */
function verdict(s: Site, reference: Map<string, string>, label: string, invoices: Map<string, number>): string[] {
  const problems = judge(s.database, reference, label);
  const bills = committed(s.database);
  const lost = tenantIds.filter((t) => !bills.has(t));
  if (lost.length > 0) {
    tally('lost', lost.length, label);
    problems.push(`${label}: not committed after the re-runs: ${lost.join(', ')}`);
  }
  const pending = ledgerBills(s.database).filter((b) => b.status === 'pending');
  if (pending.length > 0) problems.push(`${label}: ${pending.length} bills still pending`);
  for (const t of tenantIds) {
    const n = invoices.get(t) ?? 0;
    if (n !== 1) {
      if (n > 1) tally('duplicates', n - 1, `${label}: ${t} invoices`);
      problems.push(`${label}: ${t} has ${n} invoices`);
    }
  }
  return problems;
}

describe('SIGKILL at random moments during bill --all, then re-runs', () => {
  it('csv: one committed bill and one invoice file per tenant, exact totals, no temp files', async () => {
    const reference = fileSite();
    const t0 = Date.now();
    const first = await bill(reference);
    const fullMs = Date.now() - t0;
    expect(first.code).toBe(0);
    const totals = committed(reference.database);
    expect(totals.size).toBe(TENANTS);

    const random = seeded(20240501);
    const problems: string[] = [];
    let kills = 0;
    for (let round = 1; kills < KILLS_PER_ADAPTER && round <= 12; round++) {
      const s = fileSite();
      mkdirSync(s.outDir, { recursive: true });
      for (let attempt = 0; attempt < 6 && committed(s.database).size < TENANTS; attempt++) {
        let out: Exit;
        if (attempt % 2 === 1) {
          // Killed as soon as the adapter's commit shows a file that is not yet a final invoice.
          let watcher: ReturnType<typeof watch> | undefined;
          out = await bill(s, (kill) => {
            watcher = watch(s.outDir, (_event, name) => {
              if (name && !/^tenant-\d\d_\d{8}T\d{6}Z_\d{8}T\d{6}Z\.csv$/.test(String(name))) kill();
            });
          });
          watcher?.close();
        } else {
          out = await bill(s, undefined, Math.round(random() * fullMs));
        }
        if (out.signal === 'SIGKILL') {
          kills++;
          tally('kills');
        }
      }
      await finish(s);
      const files = filesIn(s.outDir);
      const invoices = new Map(tenantIds.map((t) => [t, files.filter((f) => f === `${t}${SUFFIX}.csv`).length]));
      problems.push(...verdict(s, totals, `csv round ${round}`, invoices));
      const stray = files.filter((f) => !/^tenant-\d\d_\d{8}T\d{6}Z_\d{8}T\d{6}Z\.csv$/.test(f));
      if (stray.length > 0) problems.push(`csv round ${round}: left in output_dir: ${stray.join(', ')}`);
    }
    expect(problems).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(KILLS_PER_ADAPTER);
  }, 300_000);

  it('odoo: one committed bill and one Odoo invoice per tenant, exact totals', async () => {
    const csvReference = fileSite();
    expect((await bill(csvReference)).code).toBe(0);
    const totals = committed(csvReference.database);

    const odooSite = async (): Promise<{ s: Site; odoo: FakeOdoo }> => {
      const odoo = await FakeOdoo.start();
      odoo.addProduct('east.m1.small', '0.025');
      odoo.addProduct('east.m1.medium', '0.05');
      odoo.addProduct('east.volume.size', '0.0001');
      const s = fileSite({
        invoice: 'odoo',
        invoiceSection: `url = ${odoo.url}\ndatabase = artifice\nuser = billing\npassword = s3cret-pw\npartner_create = true\ntimeout = 10`,
      });
      return { s, odoo };
    };
    const invoicesOf = (odoo: FakeOdoo) => {
      const partners = new Map(odoo.records('res.partner').map((p) => [p.id, String(p.ref)]));
      const count = new Map<string, number>();
      for (const inv of odoo.invoices()) {
        const partner = Array.isArray(inv.partner_id) ? inv.partner_id[0] : inv.partner_id;
        const tenant = partners.get(partner as number) ?? `partner ${String(partner)}`;
        count.set(tenant, (count.get(tenant) ?? 0) + 1);
      }
      return count;
    };

    // An undisturbed odoo run: the same totals as csv, and how many calls a whole run makes.
    const ref = await odooSite();
    const undisturbed = await bill(ref.s);
    await ref.odoo.close();
    expect(undisturbed.code).toBe(0);
    expect(verdict(ref.s, totals, 'odoo undisturbed', invoicesOf(ref.odoo))).toEqual([]);
    const calls = ref.odoo.calls.length;

    const random = seeded(20240601);
    const problems: string[] = [];
    let kills = 0;
    for (let round = 1; kills < KILLS_PER_ADAPTER && round <= 12; round++) {
      const { s, odoo } = await odooSite();
      try {
        for (let attempt = 0; attempt < 5 && committed(s.database).size < TENANTS; attempt++) {
          // Killed at a random call, or at a random invoice create or post (inside commit()).
          const target = attempt % 2 === 0 ? 1 + Math.floor(random() * calls) : 1 + Math.floor(random() * 6);
          const byInvoice = attempt % 2 === 1;
          let seen = 0;
          const out = await bill(s, (kill) => {
            odoo.onCall = (call) => {
              const counts = !byInvoice || (call.model === 'account.move' && (call.modelMethod === 'create' || call.modelMethod === 'action_post' || call.modelMethod === 'write'));
              if (counts && ++seen === target) kill();
            };
          });
          odoo.onCall = undefined;
          if (out.signal === 'SIGKILL') {
          kills++;
          tally('kills');
        }
        }
        await finish(s);
        problems.push(...verdict(s, totals, `odoo round ${round}`, invoicesOf(odoo)));
      } finally {
        await odoo.close();
      }
    }
    expect(problems).toEqual([]);
    expect(kills).toBeGreaterThanOrEqual(KILLS_PER_ADAPTER);
  }, 300_000);
});
