import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, utimesSync } from 'node:fs';
import path from 'node:path';
import CsvInvoice from '../../invoices/csv/index.js';
import JsonInvoice from '../../invoices/json/index.js';
import { invoiceFileName, removeStaleTemps, tempFileName } from '../../invoices/output-file.js';
import { bill, context } from '../helpers/invoice.js';
import { cleanTempDirs, filesIn, tempDir, writeIn } from '../helpers/tmp.js';

const REST = '20240501T000000Z_20240601T000000Z.csv';

let dir: string;
beforeEach(() => {
  dir = tempDir('artifice-names-');
});
afterEach(cleanTempDirs);

describe('invoice file names stay within 255 bytes', () => {
  it('a tenant id of 300 bytes is invoiced: a cut id, ~ and a hash of the whole id', async () => {
    const id = 'x'.repeat(300);
    const { reference } = await bill(CsvInvoice, { id }, { output_dir: 'out' }, context(dir));
    const name = path.basename(reference);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name).toMatch(/^x+~[0-9a-f]{32}_20240501T000000Z_20240601T000000Z\.csv$/);
    expect(filesIn(path.join(dir, 'out'))).toEqual([name]);
    expect(readFileSync(reference, 'utf8')).toContain(`tenant,${id},`);
  });

  it('long ids that differ only past the cut, or in a byte escaped as %XX, get names of their own', async () => {
    const base = 'é'.repeat(100); // 600 bytes once escaped
    const ids = [`${base}a`, `${base}b`, `${base}/`, 'a'.repeat(400), `${'a'.repeat(399)}b`];
    const names = [];
    for (const id of ids) {
      const { reference } = await bill(JsonInvoice, { id }, { output_dir: 'out' }, context(dir, { revision: 12 }));
      names.push(path.basename(reference));
    }
    expect(new Set(names).size).toBe(ids.length);
    for (const name of names) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
      expect(name).toMatch(/_20240501T000000Z_20240601T000000Z_r12\.json$/);
      // the cut never splits a %XX escape
      expect(name.split('~')[0]).toMatch(/^(?:%[0-9A-F]{2}|[a-z])+$/);
    }
    expect(filesIn(path.join(dir, 'out'))).toEqual([...names].sort());
  });

  it('an id whose name fits keeps it, even up to 255 bytes; one byte more is cut', async () => {
    const fits = 'f'.repeat(255 - REST.length - 1);
    expect(invoiceFileName(fits, REST)).toBe(`${fits}_${REST}`);
    // Its temp file name would be longer than 255 bytes: the commit still writes it.
    const { reference } = await bill(CsvInvoice, { id: fits }, { output_dir: 'out' }, context(dir));
    expect(path.basename(reference)).toBe(`${fits}_${REST}`);
    expect(filesIn(path.join(dir, 'out'))).toEqual([`${fits}_${REST}`]);
    expect(invoiceFileName(`${fits}f`, REST)).toMatch(/^f+~[0-9a-f]{32}_/);
  });

  it('a cut name can never equal the name of an id that fits: ~ in an id is escaped', () => {
    const cut = invoiceFileName('a'.repeat(400), REST);
    const lookalike = cut.slice(0, cut.indexOf('_')).slice(-60); // `aaa…~<hash>`, short enough to fit
    expect(invoiceFileName(lookalike, REST)).toBe(`${lookalike.replace('~', '%7E')}_${REST}`);
  });
});

describe('temp files a killed commit left are removed by the next commit into that directory', () => {
  const NAME = `t1_${REST}`;

  /** A pid no process of this host has any more: a child that has exited. */
  function deadPid(): number {
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    return Number(child.stdout);
  }

  /** The temp name commit() would write for `pid` (this host). */
  function tempOf(pid: number): string {
    return path.basename(tempFileName(path.join(dir, 'out', NAME))).replace(/-\d+-([0-9a-f]{12})$/, `-${pid}-$1`);
  }

  it('removes those of a process of this host that is gone, keeps those of a live one', async () => {
    const dead = tempOf(deadPid());
    const live = tempOf(process.pid);
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      const otherLive = tempOf(other.pid!);
      for (const name of [dead, live, otherLive]) writeIn(dir, `out/${name}`, 'half an invoice');
      await bill(CsvInvoice, { id: 't1' }, { output_dir: 'out' }, context(dir));
      expect(filesIn(path.join(dir, 'out'))).toEqual([NAME, live, otherLive].sort());
    } finally {
      other.kill();
    }
  });

  it('those of another host or an older version only once they are a day old; nothing else', async () => {
    const legacy = `${NAME}.tmp-${deadPid()}-0123456789ab`;
    const foreign = `${NAME}.tmp-ffffffff-1234-0123456789ab`;
    const old = [`old${legacy}`, `old${foreign}`];
    const recent = [legacy, foreign];
    const kept = ['notes.txt', `${NAME}.tmp-1-xyz`, `${NAME}.tmp-1-0123456789ab.bak`];
    for (const name of [...old, ...recent, ...kept]) writeIn(dir, `out/${name}`, 'x');
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    for (const name of old) utimesSync(path.join(dir, 'out', name), twoDaysAgo, twoDaysAgo);
    expect(await removeStaleTemps(path.join(dir, 'out'))).toEqual(old.sort());
    expect(filesIn(path.join(dir, 'out'))).toEqual([...recent, ...kept].sort());
  });

  it('a dry run removes nothing', async () => {
    const dead = tempOf(deadPid());
    writeIn(dir, `out/${dead}`, 'x');
    await bill(CsvInvoice, { id: 't1' }, { output_dir: 'out' }, context(dir, { dryRun: true }));
    expect(filesIn(path.join(dir, 'out'))).toEqual([dead]);
  });
});
