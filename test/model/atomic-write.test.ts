import fs, { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import {
  writeFileAtomic, writeFileAtomicAsync, type AtomicWriteAsyncFs, type AtomicWriteFs,
} from '../../src/model/atomic-write.js';
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

/** A call to make fail: `op` (open, write, fsync, rename) on the path `on` (relative to dir), with an error code. */
interface Fail {
  op: string;
  on?: string;
  code?: string;
}

/** Records every call a write makes as `op path` (relative to dir), and throws where `fail` says. */
function recorder(fail?: Fail) {
  const calls: string[] = [];
  const name = (p: unknown) => path.relative(dir, String(p)) || '.';
  const step = (op: string, target: string, detail = '') => {
    calls.push(`${op} ${target}${detail}`);
    if (fail && fail.op === op && (fail.on === undefined || target === fail.on)) {
      throw Object.assign(new Error(`${op} failed (injected)`), { code: fail.code ?? 'EIO' });
    }
  };
  return { calls, name, step };
}

/** node:fs with every call the write makes recorded (fds named by the path they were opened on). */
function recordedSync(fail?: Fail): { ops: AtomicWriteFs; calls: string[] } {
  const { calls, name, step } = recorder(fail);
  const names = new Map<number, string>();
  const fdName = (fd: number) => names.get(fd) ?? String(fd);
  const ops: AtomicWriteFs = {
    openSync: ((p: fs.PathLike, flags: string) => {
      step('open', name(p), ` ${flags}`);
      const fd = fs.openSync(p, flags);
      names.set(fd, name(p));
      return fd;
    }) as AtomicWriteFs['openSync'],
    writeFileSync: ((fd: number, data: string) => (step('write', fdName(fd)), fs.writeFileSync(fd, data))) as AtomicWriteFs['writeFileSync'],
    fsyncSync: (fd) => (step('fsync', fdName(fd)), fs.fsyncSync(fd)),
    closeSync: (fd) => (step('close', fdName(fd)), fs.closeSync(fd)),
    renameSync: (from, to) => (step('rename', name(from)), fs.renameSync(from, to)),
    rmSync: (p, options) => (step('rm', name(p)), fs.rmSync(p, options)),
  };
  return { ops, calls };
}

/** node:fs/promises likewise: `open` hands out real file handles whose writeFile, sync and close are recorded. */
function recordedAsync(fail?: Fail): { ops: AtomicWriteAsyncFs; calls: string[] } {
  const { calls, name, step } = recorder(fail);
  const ops: AtomicWriteAsyncFs = {
    open: (async (p: fs.PathLike, flags: string) => {
      step('open', name(p), ` ${flags}`);
      const handle = await fs.promises.open(p, flags);
      const { writeFile, sync, close } = handle;
      handle.writeFile = async (data) => (step('write', name(p)), writeFile.call(handle, data));
      handle.sync = async () => (step('fsync', name(p)), sync.call(handle));
      handle.close = async () => (step('close', name(p)), close.call(handle));
      return handle;
    }) as AtomicWriteAsyncFs['open'],
    rename: async (from, to) => (step('rename', name(from)), fs.promises.rename(from, to)),
    rm: async (p, options) => (step('rm', name(p)), fs.promises.rm(p, options)),
  };
  return { ops, calls };
}

/** Both twins behind one face: a write that resolves or rejects, through node:fs or a recorded twin of it. */
type Write = (file: string, data: string, temp?: string) => Promise<void>;
interface Twin {
  real: Write;
  recorded(fail?: Fail): { write: Write; calls: string[] };
}

const SYNC: Twin = {
  real: async (file, data, temp) => writeFileAtomic(file, data, { temp }),
  recorded(fail) {
    const { ops, calls } = recordedSync(fail);
    return { calls, write: async (file, data, temp) => writeFileAtomic(file, data, { temp, fs: ops }) };
  },
};

const ASYNC: Twin = {
  real: (file, data, temp) => writeFileAtomicAsync(file, data, { temp }),
  recorded(fail) {
    const { ops, calls } = recordedAsync(fail);
    return { calls, write: (file, data, temp) => writeFileAtomicAsync(file, data, { temp, fs: ops }) };
  },
};

describe.each([['writeFileAtomic', SYNC], ['writeFileAtomicAsync', ASYNC]])('%s', (_, twin) => {
  it('writes the temp file, fsyncs it, renames it over the file, then fsyncs the directory', async () => {
    const file = path.join(dir, 'status.json');
    writeFileSync(file, 'old');
    const { write, calls } = twin.recorded();
    await write(file, 'new', `${file}.tmp`);
    expect(calls).toEqual([
      'open status.json.tmp wx', 'write status.json.tmp', 'fsync status.json.tmp', 'close status.json.tmp',
      'rename status.json.tmp',
      'open . r', 'fsync .', 'close .',
    ]);
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['status.json']);
  });

  it.each([['write'], ['fsync'], ['rename']])('a failing %s leaves the old file whole and no temp file, and throws', async (op) => {
    const file = path.join(dir, 'invoice.csv');
    writeFileSync(file, 'old');
    const { write, calls } = twin.recorded({ op, on: 'invoice.csv.tmp' });
    await expect(write(file, 'new', `${file}.tmp`)).rejects.toThrow(`${op} failed (injected)`);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['invoice.csv']);
    expect(calls).not.toContain('open . r');
  });

  it('a failing fsync of the directory is an error (the rename may not be durable)', async () => {
    const { write } = twin.recorded({ op: 'fsync', on: '.' });
    await expect(write(path.join(dir, 'x'), 'new')).rejects.toThrow('fsync failed (injected)');
  });

  it.each([['open', 'EISDIR'], ['fsync', 'EINVAL']])('a directory that cannot be synced (%s: %s) is no error', async (op, code) => {
    const file = path.join(dir, 'x');
    const { write, calls } = twin.recorded({ op, on: '.', code });
    await write(file, 'new');
    expect(calls).toContain(`${op} .${op === 'open' ? ' r' : ''}`);
    expect(readFileSync(file, 'utf8')).toBe('new');
  });

  it('never truncates nor removes a temp file that exists (another writer\'s)', async () => {
    const file = path.join(dir, 'x');
    writeFileSync(`${file}.tmp`, 'theirs');
    await expect(twin.real(file, 'new', `${file}.tmp`)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(`${file}.tmp`, 'utf8')).toBe('theirs');
    expect(readdirSync(dir)).toEqual(['x.tmp']);
  });

  it('a directory that does not exist: throws ENOENT and writes nothing', async () => {
    await expect(twin.real(path.join(dir, 'gone', 'x'), 'new')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a rename the file system refuses (the name is a directory) removes the temp file and throws', async () => {
    const file = path.join(dir, 'taken');
    mkdirSync(path.join(file, 'inside'), { recursive: true });
    await expect(twin.real(file, 'new')).rejects.toThrow(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readdirSync(dir)).toEqual(['taken']);
    expect(readdirSync(file)).toEqual(['inside']);
  });

  it('by default uses a temp file of its own per write, replaces the file whole and leaves none behind', async () => {
    const file = path.join(dir, 'metrics.prom');
    writeFileSync(file, 'a much longer old content');
    await twin.real(file, 'a');
    await twin.real(file, 'b');
    expect(readFileSync(file, 'utf8')).toBe('b');
    expect(readdirSync(dir)).toEqual(['metrics.prom']);
  });
});

describe('the file adapters commit through the async twin', () => {
  it('a csv invoice is fsynced before its rename and its directory after, never with a blocking fsync', async () => {
    const calls: string[] = [];
    const { open, rename } = fs.promises;
    jest.spyOn(fs.promises, 'open').mockImplementation(async (p, flags) => {
      const handle = await open(p, flags);
      const kind = (await handle.stat()).isDirectory() ? 'dir' : 'file';
      const { sync } = handle;
      handle.sync = () => (calls.push(`fsync ${kind}`), sync.call(handle));
      return handle;
    });
    jest.spyOn(fs.promises, 'rename').mockImplementation((from, to) => (calls.push('rename'), rename(from, to)));
    const fsyncSync = jest.spyOn(fs, 'fsyncSync');
    const { reference } = await bill(CsvInvoice, { id: 't1', name: 'acme' }, { output_dir: 'out' }, context(dir));
    expect(calls).toEqual(['fsync file', 'rename', 'fsync dir']);
    expect(fsyncSync).not.toHaveBeenCalled();
    expect(readFileSync(reference, 'utf8')).toMatch(/^tenant,t1,acme/);
  });
});
