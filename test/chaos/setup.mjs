// Jest globalSetup of `npm run test:chaos`: a fresh tally file, named in the environment so the
// tests (same process with --runInBand, or workers started after this) append to it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function chaosSetup() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'artifice-chaos-tally-'));
  const file = path.join(dir, 'tally.ndjson');
  writeFileSync(file, '');
  process.env.ARTIFICE_CHAOS_TALLY = file;
  globalThis.__chaosStarted = Date.now();
}
