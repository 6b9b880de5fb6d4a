/**
 * A ledger of seven months for the report's tests (docs/report.md): May 2024 billed from the demo
 * samples with a six-hour hole in web-1's telemetry (a coverage gap), and November 2023 to April
 * 2024 generated through the Ledger from May's lines: globex billed a third of May (so May
 * tripled), acme without its m1.large line (a new service in May), and a fourth tenant, umbrella,
 * billed until April and missing in May.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Ledger } from '../../src/ledger.js';
import { Decimal, formatMoney } from '../../src/model/decimal.js';
import { monthWindow } from '../../src/period.js';
import type { InvoiceLine } from '../../src/model/types.js';
import { ACME, DEMO_SAMPLES, GLOBEX, INITECH, demo, run, type Demo } from '../helpers/cli.js';

export const UMBRELLA = 'a11ce0000000000000000000000000aa';
export const WEB_1 = '06720bed-b7f6-4f19-a576-5b37c8d5263c';
/** The months generated before the demo's May, oldest first, and how each scales the base lines. */
const EARLIER: [string, number][] = [['2023-11', 0.85], ['2023-12', 0.9], ['2024-01', 1.1], ['2024-02', 1], ['2024-03', 1.05], ['2024-04', 1]];

/** The demo samples without web-1's instance samples from 2024-05-10 00:00 to 06:00 (UTC). */
function samplesWithHole(dir: string): string {
  const lines = gunzipSync(readFileSync(DEMO_SAMPLES)).toString('utf8').split('\n');
  const kept = lines.filter((line) => {
    if (!line.includes(WEB_1) || !line.includes('"meter":"instance"')) return true;
    const sample = JSON.parse(line) as { resource_id: string; timestamp: string };
    return !(sample.resource_id === WEB_1 && sample.timestamp >= '2024-05-10T00:00' && sample.timestamp < '2024-05-10T06:00');
  });
  const file = path.join(dir, 'samples-with-hole.ndjson');
  writeFileSync(file, kept.join('\n'));
  return file;
}

function scaled(lines: InvoiceLine[], factor: Decimal.Value): InvoiceLine[] {
  return lines.map((l) => ({ ...l, quantity: l.quantity.times(factor), amount: l.amount.times(factor).toDecimalPlaces(2, Decimal.ROUND_HALF_UP) }));
}

async function commit(ledger: Ledger, tenant: { id: string; name: string }, month: string, lines: InvoiceLine[]): Promise<void> {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const window = monthWindow({ year, month: m }, 'UTC');
  const claim = await ledger.claim(tenant, window, { host: 'generator', pid: 1, runId: `generated-${month}` });
  if (claim.kind !== 'claimed') throw new Error(`cannot generate ${tenant.name} ${month}: ${claim.kind}`);
  await ledger.recordUsage(claim.bill.id, [], lines);
  const total = lines.reduce((sum, l) => sum.plus(l.amount), new Decimal(0));
  await ledger.markCommitted(claim.bill.id, `generated:${tenant.id}:${month}`, formatMoney(total, 2), 'USD');
}

/** Bills May from the demo (with the hole), then generates the six months before it. */
export async function sevenMonths(edit?: (text: string) => string): Promise<Demo> {
  const d = demo((text) => (edit ? edit(text) : text));
  const samples = samplesWithHole(d.dir);
  writeFileSync(d.ini, readFileSync(d.ini, 'utf8').replace(/^file = .*$/m, `file = ${samples}`));
  const billed = await run(['bill', '--config', d.ini, '--all', '--month', '2024-05', '--quiet'], { cwd: d.dir });
  if (billed.code !== 0) throw new Error(`billing the demo month failed (${billed.code}): ${billed.stderr}`);
  const ledger = Ledger.open(d.database);
  try {
    const may = new Map<string, InvoiceLine[]>();
    for (const b of await ledger.bills({ status: ['committed'] })) may.set(b.tenant, await ledger.lines(b.id));
    const base: [{ id: string; name: string }, InvoiceLine[]][] = [
      [{ id: ACME, name: 'acme-webshop' }, may.get(ACME)!.filter((l) => l.name !== 'm1.large')],
      [{ id: GLOBEX, name: 'globex-research' }, scaled(may.get(GLOBEX)!, new Decimal(1).dividedBy(3))],
      [{ id: INITECH, name: 'initech-labs' }, may.get(INITECH)!],
      [{ id: UMBRELLA, name: 'umbrella-corp' }, scaled(may.get(INITECH)!, 2)],
    ];
    for (const [month, factor] of EARLIER) {
      for (const [tenant, lines] of base) await commit(ledger, tenant, month, scaled(lines, factor));
    }
  } finally {
    await ledger.close();
  }
  return d;
}
