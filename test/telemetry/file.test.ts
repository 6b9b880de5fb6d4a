import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ConfigError, TelemetryError } from '../../src/model/errors.js';
import { InvalidSampleError, normalizeCeilometerSample } from '../../src/telemetry/ceilometer/sample.js';
import { FileCollector } from '../../src/telemetry/file.js';
import { parseTimestamp } from '../../src/model/time.js';

const ACME = 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1';
const GLOBEX = 'b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2';
const INITECH = 'c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3';

const at = (iso: string): number => parseTimestamp(iso)!;

let counter = 0;
function raw(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    id: `id-${counter}`,
    meter: 'instance',
    type: 'gauge',
    unit: 'instance',
    volume: 1,
    user_id: 'u1',
    project_id: ACME,
    resource_id: 'vm-1',
    source: 'openstack',
    timestamp: '2024-05-03T10:20:04.123456',
    recorded_at: '2024-05-03T10:20:05.000001',
    metadata: { 'flavor.name': 'm1.small', status: 'active' },
    ...overrides,
  };
}
const line = (overrides: Record<string, unknown> = {}): string => JSON.stringify(raw(overrides));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'artifice-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, lines: string[], gzip = false): Promise<string> {
  const path = join(dir, name);
  const text = lines.join('\n') + '\n';
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

const MAY = { start: at('2024-05-01T00:00:00'), end: at('2024-06-01T00:00:00') };

describe('normalizeCeilometerSample', () => {
  it('maps the v2 Sample shape, parsing naive UTC timestamps with microseconds', () => {
    const sample = normalizeCeilometerSample(raw({ id: 'abc' }), 'RegionOne');
    expect(sample).toEqual({
      meter: 'instance',
      resourceId: 'vm-1',
      projectId: ACME,
      timestamp: Date.UTC(2024, 4, 3, 10, 20, 4) * 1000 + 123456,
      volume: 1,
      unit: 'instance',
      type: 'gauge',
      metadata: { 'flavor.name': 'm1.small', status: 'active' },
      id: 'abc',
      source: 'openstack',
      region: 'RegionOne',
    });
  });

  it('maps the OldSample shape (counter_*, resource_metadata, message_id)', () => {
    const sample = normalizeCeilometerSample(
      {
        counter_name: 'network.incoming.bytes',
        counter_type: 'cumulative',
        counter_unit: 'B',
        counter_volume: 1234.5,
        user_id: null,
        project_id: ACME,
        resource_id: 'instance-x-tap1',
        source: 'openstack',
        timestamp: '2024-05-03T10:20:00',
        recorded_at: '2024-05-03T10:20:00',
        resource_metadata: { instance_id: 'x' },
        message_id: 'm-1',
      },
      'RegionTwo',
    );
    expect(sample).toMatchObject({
      meter: 'network.incoming.bytes',
      type: 'cumulative',
      unit: 'B',
      volume: 1234.5,
      id: 'm-1',
      metadata: { instance_id: 'x' },
      timestamp: at('2024-05-03T10:20:00Z'),
      region: 'RegionTwo',
    });
  });

  it('flattens nested metadata as Ceilometer does, keeps null ids and projects', () => {
    const sample = normalizeCeilometerSample(
      raw({ id: null, project_id: null, metadata: { flavor: { name: 'm1.small', id: '2' }, status: 'active' } }),
      'R',
    );
    expect(sample.metadata).toEqual({ 'flavor.name': 'm1.small', 'flavor.id': '2', status: 'active' });
    expect(sample.id).toBeNull();
    expect(sample.projectId).toBeNull();
  });

  it.each([
    [{ volume: 'abc' }, 'volume', 'volume must be a number, got "abc"'],
    [{ volume: null }, 'volume', 'volume must be a number, got null'],
    [{ type: 'counter' }, 'type', 'type must be one of gauge, cumulative, delta, got "counter"'],
    [{ timestamp: 'yesterday' }, 'timestamp', 'got "yesterday"'],
    [{ timestamp: '2024-02-30T00:00:00' }, 'timestamp', 'timestamp must be an ISO-8601 UTC time'],
    [{ resource_id: '' }, 'resource_id', 'resource_id must be a non-empty string, got ""'],
    [{ project_id: 42 }, 'project_id', 'project_id must be a non-empty string or null, got 42'],
    [{ metadata: ['a'] }, 'metadata', 'metadata must be an object, got ["a"]'],
    [{ meter: undefined }, 'meter', 'counter_name'],
  ])('rejects %j naming %s', (overrides: Record<string, unknown>, field, message) => {
    const json = raw(overrides);
    if ('meter' in overrides && overrides.meter === undefined) delete json.meter;
    let error: unknown;
    try {
      normalizeCeilometerSample(json, 'R');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TelemetryError);
    expect(error).toBeInstanceOf(InvalidSampleError);
    expect((error as InvalidSampleError).field).toBe(field);
    expect((error as Error).message).toContain(message);
  });

  it('rejects a non-object', () => {
    expect(() => normalizeCeilometerSample([1, 2], 'R')).toThrow('sample must be a JSON object, got [1,2]');
  });
});

describe('FileCollector', () => {
  it('reads newline-delimited samples, skipping blank and # lines', async () => {
    const path = await file('plain.ndjson', [
      '# a comment',
      '',
      line({ id: 'one', timestamp: '2024-05-03T10:20:04.123456' }),
      '   ',
      '  # indented comment',
      line({ id: 'two', timestamp: '2024-05-03T10:30:04' }),
    ]);
    const collector = new FileCollector(path);
    expect(collector.description).toBe(`file ${path}`);
    const samples = await collector.samples({ projectId: ACME, meter: 'instance', ...MAY });
    expect(samples.map((s) => s.id)).toEqual(['one', 'two']);
    expect(samples[0].timestamp).toBe(at('2024-05-03T10:20:04.123456Z'));
    expect(samples[0].region).toBe('RegionOne');
    await collector.close();
    await collector.close();
  });

  it('gunzips a path ending .gz, and tags samples with the configured region', async () => {
    const path = await file('samples.ndjson.gz', [line({ id: 'gz' })], true);
    const collector = new FileCollector(path, { region: 'RegionTwo' });
    const samples = await collector.samples({ projectId: ACME, meter: 'instance', ...MAY });
    expect(samples).toHaveLength(1);
    expect(samples[0]).toMatchObject({ id: 'gz', region: 'RegionTwo' });
  });

  it('accepts OldSample lines and CRLF line ends', async () => {
    const old = JSON.stringify({
      counter_name: 'volume.size',
      counter_type: 'gauge',
      counter_unit: 'GB',
      counter_volume: 20,
      project_id: ACME,
      resource_id: 'vol-1',
      source: 'openstack',
      timestamp: '2024-05-02T00:00:00',
      resource_metadata: {},
      message_id: 'old-1',
    });
    const path = await file('crlf.ndjson', [old + '\r', line() + '\r']);
    const samples = await new FileCollector(path).samples({ projectId: ACME, meter: 'volume.size', ...MAY });
    expect(samples.map((s) => [s.id, s.volume])).toEqual([['old-1', 20]]);
  });

  describe('filters', () => {
    let collector: FileCollector;
    beforeAll(async () => {
      const path = await file('filters.ndjson', [
        line({ id: 'late', timestamp: '2024-05-31T23:59:59.999999' }),
        line({ id: 'end', timestamp: '2024-06-01T00:00:00' }),
        line({ id: 'start', timestamp: '2024-05-01T00:00:00' }),
        line({ id: 'before', timestamp: '2024-04-30T23:59:59.999999' }),
        line({ id: 'vol', meter: 'volume.size', unit: 'GB', volume: 10 }),
        line({ id: 'globex', project_id: GLOBEX }),
        line({ id: 'offset', timestamp: '2024-05-10T02:00:00+02:00' }),
        line({ id: 'noproject', project_id: null }),
      ]);
      collector = new FileCollector(path);
    });

    it('returns one project and meter in [start, end), sorted by time', async () => {
      const samples = await collector.samples({ projectId: ACME, meter: 'instance', ...MAY });
      expect(samples.map((s) => s.id)).toEqual(['start', 'offset', 'late']);
    });

    it('includes the start and excludes the end at microsecond precision', async () => {
      const one = await collector.samples({
        projectId: ACME,
        meter: 'instance',
        start: at('2024-04-30T23:59:59.999999Z'),
        end: at('2024-05-01T00:00:00.000001Z'),
      });
      expect(one.map((s) => s.id)).toEqual(['before', 'start']);
    });

    it('returns nothing for an unknown project or meter', async () => {
      expect(await collector.samples({ projectId: INITECH, meter: 'instance', ...MAY })).toEqual([]);
      expect(await collector.samples({ projectId: ACME, meter: 'image.size', ...MAY })).toEqual([]);
      expect((await collector.samples({ projectId: ACME, meter: 'volume.size', ...MAY })).map((s) => s.id)).toEqual(['vol']);
    });

    it('lists the projects with a sample in the window, sorted, without null projects', async () => {
      expect(await collector.tenants(MAY.start, MAY.end)).toEqual([{ id: ACME }, { id: GLOBEX }]);
      expect(await collector.tenants(at('2024-06-01T00:00:00Z'), at('2024-07-01T00:00:00Z'))).toEqual([{ id: ACME }]);
      expect(await collector.tenants(at('2024-07-01T00:00:00Z'), at('2024-08-01T00:00:00Z'))).toEqual([]);
    });
  });

  it('names tenants from metadata.project_name when the samples carry it', async () => {
    const path = await file('names.ndjson', [
      line({ project_id: GLOBEX, metadata: { project_name: 'globex-old' }, timestamp: '2024-05-01T00:00:00' }),
      line({ project_id: GLOBEX, metadata: { project_name: 'globex-research' }, timestamp: '2024-05-02T00:00:00' }),
      line({ project_id: ACME }),
    ]);
    expect(await new FileCollector(path).tenants(MAY.start, MAY.end)).toEqual([
      { id: ACME },
      { id: GLOBEX, name: 'globex-research' },
    ]);
  });

  it('with trust_sources, only trusted samples name a tenant (a posted sample could carry any name)', async () => {
    const path = await file('forged-names.ndjson', [
      line({ project_id: GLOBEX, metadata: { project_name: 'globex-research' }, timestamp: '2024-05-01T00:00:00' }),
      line({ project_id: GLOBEX, source: `${GLOBEX}:posted`, metadata: { project_name: '\u001b[2Jpwned' }, timestamp: '2024-05-02T00:00:00' }),
      line({ project_id: ACME, source: `${ACME}:posted`, metadata: { project_name: 'forged' } }),
    ]);
    expect(await new FileCollector(path, { trustSources: [/^openstack$/] }).tenants(MAY.start, MAY.end)).toEqual([
      { id: ACME },
      { id: GLOBEX, name: 'globex-research' },
    ]);
  });

  it('streams the file: lines past a small line limit in a file many times that size, gzip too, all bill', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => line({ id: `s-${i}`, timestamp: `2024-05-03T10:${String(i % 60).padStart(2, '0')}:00` }));
    for (const [name, gz] of [['many.ndjson', false], ['many.ndjson.gz', true]] as const) {
      const path = join(dir, name);
      const text = `${lines.join('\n')}\n`;
      await writeFile(path, gz ? gzipSync(text) : text);
      const collector = new FileCollector(path, { maxLineBytes: 1000 });
      expect(Buffer.byteLength(text)).toBeGreaterThan(50 * 1000);
      expect(await collector.samples({ projectId: ACME, meter: 'instance', ...MAY })).toHaveLength(200);
    }
  });

  it('a line over the limit is a ConfigError naming path:line, and the file is not read on', async () => {
    const path = await file('long-line.ndjson', [line(), line({ metadata: { junk: 'x'.repeat(2000) } }), line()]);
    const error = await new FileCollector(path, { maxLineBytes: 1000 }).tenants(MAY.start, MAY.end).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `${path}:2: a line longer than 1000 bytes, far beyond any sample; the telemetry file is corrupt (or not a samples file), fix or regenerate it ([telemetry] file)`,
    );
  });

  it('a gzip bomb (1 GiB of zeros in 1 MiB) is refused after a few chunks, without inflating it', async () => {
    // Gzip members concatenate: 64 copies of 16 MiB of zeros, one endless line.
    const member = gzipSync(Buffer.alloc(16 * 2 ** 20));
    const path = join(dir, 'bomb.ndjson.gz');
    await writeFile(path, Buffer.concat(Array(64).fill(member)));
    let read = 0;
    const collector = new FileCollector(path, {
      maxLineBytes: 2 ** 20,
      open: (p) => createReadStream(p).on('data', (chunk) => (read += chunk.length)),
    });
    await expect(collector.tenants(MAY.start, MAY.end)).rejects.toThrow(`${path}:1: a line longer than 1048576 bytes`);
    // 1 MiB of zeros is about 1 KiB of gzip: what was read is a read-ahead, not the file.
    expect(read).toBeLessThan(64 * member.length / 4);
  });

  it('a project name that is not UTF-8 reads with \\xNN escapes, not replacement characters', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(line({ project_id: INITECH, metadata: { project_name: 'caf@-lab' } }).replace('@', '\u0000'), 'utf8'),
      Buffer.from('\n'),
    ]);
    // The name's bytes: caf, 0xE9 (é in Latin-1), -lab.
    latin1[latin1.indexOf(0)] = 0xe9;
    const path = join(dir, 'latin1.ndjson');
    await writeFile(path, latin1);
    expect(await new FileCollector(path).tenants(MAY.start, MAY.end)).toEqual([{ id: INITECH, name: 'caf\\xe9-lab' }]);
  });

  it('reads and indexes the file once, lazily, for any number of queries', async () => {
    const path = await file('once.ndjson', [line(), line({ project_id: GLOBEX })]);
    let reads = 0;
    const collector = new FileCollector(path, {
      open: (p) => {
        reads += 1;
        return createReadStream(p);
      },
    });
    expect(reads).toBe(0);
    await Promise.all([
      collector.samples({ projectId: ACME, meter: 'instance', ...MAY }),
      collector.samples({ projectId: GLOBEX, meter: 'instance', ...MAY }),
      collector.tenants(MAY.start, MAY.end),
    ]);
    await collector.samples({ projectId: ACME, meter: 'volume.size', ...MAY });
    expect(reads).toBe(1);
  });

  describe('errors', () => {
    it('a missing file is a ConfigError naming the path and [telemetry] file', async () => {
      const path = join(dir, 'missing.ndjson');
      const collector = new FileCollector(path);
      const error = await collector.tenants(MAY.start, MAY.end).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(2);
      expect((error as Error).message).toBe(`cannot read the telemetry file ${path}: no such file; check [telemetry] file`);
      // The failure is remembered: every later call reports the same error.
      await expect(collector.samples({ projectId: ACME, meter: 'instance', ...MAY })).rejects.toBe(error);
    });

    it('an injected read failure is a ConfigError too', async () => {
      const collector = new FileCollector('/x/samples.ndjson', {
        open: () => new Readable({ read() { this.destroy(Object.assign(new Error('EACCES: denied'), { code: 'EACCES' })); } }),
      });
      await expect(collector.tenants(MAY.start, MAY.end)).rejects.toThrow(
        'cannot read the telemetry file /x/samples.ndjson: permission denied; check [telemetry] file',
      );
    });

    it('a .gz path that is not gzip is a ConfigError', async () => {
      const path = await file('not-gzip.ndjson.gz', [line()]);
      const error = await new FileCollector(path).tenants(MAY.start, MAY.end).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/^cannot gunzip the telemetry file .*not-gzip\.ndjson\.gz: .*\[telemetry\] file/);
    });

    it('a line that is not JSON is a ConfigError naming path:line', async () => {
      const path = await file('corrupt.ndjson', ['# header', line(), '{"id": "truncated", "meter": "inst', line({ project_id: GLOBEX })]);
      const collector = new FileCollector(path);
      const error = await collector.samples({ projectId: GLOBEX, meter: 'instance', ...MAY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(new RegExp(`^${escape(path)}:3: not JSON \\(.*\\); the telemetry file is corrupt`));
      expect((error as Error).message).toContain('[telemetry] file');
    });

    it('a bad sample without a project_id is a ConfigError at load', async () => {
      const path = await file('orphan.ndjson', [line(), line({ project_id: null, volume: 'abc' })]);
      const error = await new FileCollector(path).samples({ projectId: ACME, meter: 'instance', ...MAY }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toBe(
        `${path}:2: volume must be a number, got "abc", and the line has no project_id to charge it to; fix or remove the line ([telemetry] file)`,
      );
    });

    it('a JSON line that is not an object is a ConfigError at load', async () => {
      const path = await file('array.ndjson', [line(), '[1, 2, 3]']);
      await expect(new FileCollector(path).tenants(MAY.start, MAY.end)).rejects.toThrow(`${path}:2: sample must be a JSON object`);
    });

    describe('a bad sample of one project', () => {
      let path: string;
      let collector: FileCollector;
      beforeAll(async () => {
        path = await file('bad-sample.ndjson', [
          line({ project_id: GLOBEX }),
          line({ project_id: ACME, id: 'good' }),
          line({ project_id: GLOBEX, volume: 'abc', timestamp: '2024-05-10T00:00:00' }),
          line({ project_id: GLOBEX, type: 'counter', timestamp: '2024-05-11T00:00:00' }),
          line({ project_id: INITECH, meter: 'volume.size', timestamp: 'not a time' }),
          line({ project_id: GLOBEX, meter: 'volume.size', unit: 'GB', volume: 5 }),
        ]);
        collector = new FileCollector(path);
      });

      it('fails that project with a TelemetryError naming path:line and the field', async () => {
        const error = await collector.samples({ projectId: GLOBEX, meter: 'instance', ...MAY }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryError);
        expect(error).not.toBeInstanceOf(ConfigError);
        expect((error as Error).message).toBe(
          `${path}:3: bad sample for project ${GLOBEX}: volume must be a number, got "abc" (and 1 more bad line)`,
        );
      });

      it('lets the other projects bill', async () => {
        const samples = await collector.samples({ projectId: ACME, meter: 'instance', ...MAY });
        expect(samples.map((s) => s.id)).toEqual(['good']);
      });

      it('spoils only the queries the bad line could belong to (its meter and time)', async () => {
        // Another meter of the same project: the bad lines are `instance` samples.
        expect(await collector.samples({ projectId: GLOBEX, meter: 'volume.size', ...MAY })).toHaveLength(1);
        // A window that holds neither bad line's timestamp.
        const june = { start: at('2024-06-01T00:00:00Z'), end: at('2024-07-01T00:00:00Z') };
        expect(await collector.samples({ projectId: GLOBEX, meter: 'instance', ...june })).toEqual([]);
        // A window holding only the second one.
        await expect(
          collector.samples({ projectId: GLOBEX, meter: 'instance', start: at('2024-05-11T00:00:00Z'), end: MAY.end }),
        ).rejects.toThrow(`${path}:4: bad sample for project ${GLOBEX}: type must be one of gauge, cumulative, delta, got "counter"`);
      });

      it('a bad timestamp spoils every window of its meter', async () => {
        const june = { start: at('2024-06-01T00:00:00Z'), end: at('2024-07-01T00:00:00Z') };
        await expect(collector.samples({ projectId: INITECH, meter: 'volume.size', ...june })).rejects.toThrow(
          `${path}:5: bad sample for project ${INITECH}: timestamp must be an ISO-8601 UTC time`,
        );
      });

      it('still lists the failing projects as tenants, so --all does not skip them', async () => {
        expect(await collector.tenants(MAY.start, MAY.end)).toEqual([{ id: ACME }, { id: GLOBEX }, { id: INITECH }]);
        const june = { start: at('2024-06-01T00:00:00Z'), end: at('2024-07-01T00:00:00Z') };
        expect(await collector.tenants(june.start, june.end)).toEqual([{ id: INITECH }]);
      });
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
