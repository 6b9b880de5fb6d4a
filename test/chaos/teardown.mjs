// Jest globalTeardown of `npm run test:chaos`: the closing line, summed from the tally the tests
// wrote: how many faults, kills and bad inputs were tried, and how many duplicate, lost or wrong
// bills and leaked secrets were seen (all expected 0).
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

export default function chaosTeardown() {
  const file = process.env.ARTIFICE_CHAOS_TALLY;
  if (!file) return;
  const sum = { faults: 0, kills: 0, badInputs: 0, duplicates: 0, lost: 0, wrong: 0, leaks: 0 };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const { counter, n } = JSON.parse(line);
    sum[counter] = (sum[counter] ?? 0) + n;
  }
  rmSync(path.dirname(file), { recursive: true, force: true });
  const seconds = globalThis.__chaosStarted ? ` in ${Math.round((Date.now() - globalThis.__chaosStarted) / 1000)} s` : '';
  process.stdout.write(
    `\nchaos: tried ${sum.faults} faults, ${sum.kills} kills, ${sum.badInputs} bad inputs${seconds}; ` +
      `${sum.duplicates} duplicate bills, ${sum.lost} lost bills, ${sum.wrong} wrong bills, ${sum.leaks} leaked secrets\n`,
  );
}
