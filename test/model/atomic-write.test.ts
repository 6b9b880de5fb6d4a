import fs, { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { writeFileAtomic, type AtomicWriteFs } from '../../src/model/atomic-write.js';
import CsvInvoice from '../../invoices/csv/index.js';
import { bill, context } from '../helpers/invoice.js';
import { cleanTempDirs, tempDir } from '../helpers/tmp.js';

let dir: string;
beforeEach(() => {
  dir = tempDir('artifice-atomic-');
});
afterEach(() => {
  jest.restoreAllMocks();
  cleanTempDirs();
});

/** node:fs with every call the write makes recorded as `op path` (fds named by the path they were opened on). */
function recorded(fail?: { op: string; on?: string }): { ops: AtomicWriteFs; calls: string[] } {
  const calls: string[] = [];
  const names = new Map<number, string>();
  const name = (p: unknown) => (typeof p === 'number' ? names.get(p) ?? String(p) : path.relative(dir, String(p)) || '.');
  const step = (op: string, target: unknown) => {
    calls.push(`${op} ${name(target)}`);
    if (fail && fail.op === op && (fail.on === undefined || name(target) === fail.on)) {
      throw Object.assign(new Error(`${op} failed (injected)`), { code: 'EIO' });
    }
  };
  const ops: AtomicWriteFs = {
    openSync: ((p: fs.PathLike, flags: string) => {
      const fd = fs.openSync(p, flags);
      names.set(fd, name(p));
      calls.push(`open ${name(p)} ${flags}`);
      return fd;
    }) as AtomicWriteFs['openSync'],
    writeFileSync: ((fd: number, data: string) => (step('write', fd), fs.writeFileSync(fd, data))) as AtomicWriteFs['writeFileSync'],
    fsyncSync: (fd) => (step('fsync', fd), fs.fsyncSync(fd)),
    closeSync: (fd) => (calls.push(`close ${name(fd)}`), fs.closeSync(fd)),
    renameSync: (from, to) => (step('rename', from), fs.renameSync(from, to)),
    rmSync: (p, options) => (calls.push(`rm ${name(p)}`), fs.rmSync(p, options)),
  };
  return { ops, calls };
}

describe('writeFileAtomic', () => {
  it('writes the temp file, fsyncs it, renames it over the file, then fsyncs the directory', () => {
    const file = path.join(dir, 'status.json');
    writeFileSync(file, 'old');
    const { ops, calls } = recorded();
    writeFileAtomic(file, 'new', { fs: ops, temp: `${file}.tmp` });
    expect(calls).toEqual([
      'open status.json.tmp wx', 'write status.json.tmp', 'fsync status.json.tmp', 'close status.json.tmp',
      'rename status.json.tmp',
      'open . r', 'fsync .', 'close .',
    ]);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['status.json']);
  });

  it.each([['write'], ['fsync'], ['rename']])('a failing %s leaves the old file whole and no temp file, and throws', (op) => {
    const file = path.join(dir, 'invoice.csv');
    writeFileSync(file, 'old');
    const { ops, calls } = recorded({ op, on: 'invoice.csv.tmp' });
    expect(() => writeFileAtomic(file, 'new', { fs: ops, temp: `${file}.tmp` })).toThrow(`${op} failed (injected)`);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['invoice.csv']);
    expect(calls).not.toContain('open . r');
  });

  it('a failing fsync of the directory is an error (the rename may not be durable)', () => {
    const file = path.join(dir, 'x');
    const { ops } = recorded({ op: 'fsync', on: '.' });
    expect(() => writeFileAtomic(file, 'new', { fs: ops })).toThrow('fsync failed (injected)');
  });

  it('never truncates nor removes a temp file that exists (another writer\'s)', () => {
    const file = path.join(dir, 'x');
    writeFileSync(`${file}.tmp`, 'theirs');
    expect(() => writeFileAtomic(file, 'new', { temp: `${file}.tmp` })).toThrow(/EEXIST/);
    expect(readFileSync(`${file}.tmp`, 'utf8')).toBe('theirs');
    expect(readdirSync(dir)).toEqual(['x.tmp']);
  });

  it('by default uses a temp file of its own per write and leaves none behind', () => {
    const file = path.join(dir, 'metrics.prom');
    writeFileAtomic(file, 'a');
    writeFileAtomic(file, 'b');
    expect(readFileSync(file, 'utf8')).toBe('b');
    expect(readdirSync(dir)).toEqual(['metrics.prom']);
  });
});

describe('the file adapters commit through it', () => {
  it('a csv invoice is fsynced before its rename and its directory after', async () => {
    const calls: string[] = [];
    const fsync = fs.fsyncSync;
    const rename = fs.renameSync;
    jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => (calls.push(`fsync ${fs.fstatSync(fd).isDirectory() ? 'dir' : 'file'}`), fsync(fd)));
    jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => (calls.push('rename'), rename(from, to)));
    const { reference } = await bill(CsvInvoice, { id: 't1', name: 'acme' }, { output_dir: 'out' }, context(dir));
    expect(calls).toEqual(['fsync file', 'rename', 'fsync dir']);
    expect(readFileSync(reference, 'utf8')).toMatch(/^tenant,t1,acme/);
  });
});
