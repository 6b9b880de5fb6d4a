/**
 * The byte reader of `/v1/aggregates` answers against what it stands in for: `JSON.parse` of the
 * answer's text, then parseMeasures of each resource's rows. Whatever the answer, the reader
 * either gives exactly that, or declines (undefined) and leaves it to the text path.
 */
import { decodeUtf8, jsonEscape } from '../../../src/model/text.js';
import { readAggregates } from '../../../src/telemetry/gnocchi/aggregates.js';
import { parseMeasures, type Buckets } from '../../../src/telemetry/gnocchi/buckets.js';

const METRIC = 'vcpus';
const AGGREGATION = 'mean';

function own(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** What the text path reads of an answer: undefined when it is not JSON or has no `measures` object. */
function byText(bytes: Buffer): Map<string, Buckets> | undefined {
  let body: unknown;
  try {
    body = JSON.parse(decodeUtf8(bytes, jsonEscape));
  } catch {
    return undefined;
  }
  const measures = own(body, 'measures');
  if (measures === null || typeof measures !== 'object') return undefined;
  const found = new Map<string, Buckets>();
  for (const id of Object.keys(measures)) {
    const rows = own(own(own(measures, id), METRIC), AGGREGATION);
    if (rows !== undefined) found.set(id, parseMeasures(rows));
  }
  return found;
}

/** The reader's result, with ids it gives no rows for left out as the text path leaves them out. */
function byBytes(bytes: Buffer): Map<string, Buckets> | undefined {
  return readAggregates(bytes, METRIC, AGGREGATION);
}

/** Checks the reader against the text path on `text`; returns whether the reader read it. */
function agrees(text: string | Buffer): boolean {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const fast = byBytes(bytes);
  if (fast === undefined) return false;
  const slow = byText(bytes);
  expect(slow).toBeDefined();
  // Ids whose value has no such metric are absent from both.
  expect([...fast.keys()].sort()).toEqual([...slow!.keys()].sort());
  for (const [id, buckets] of fast) expect({ id, ...buckets }).toEqual({ id, ...slow!.get(id) });
  return true;
}

const row = (t: string, g: string, v: string) => `["${t}", ${g}, ${v}]`;
const answer = (rows: string[], extra = '') => `{${extra}"measures": {"r-1": {"${METRIC}": {"${AGGREGATION}": [${rows.join(', ')}]}}}}`;

describe('readAggregates', () => {
  it('reads Gnocchi answers as they come, references and other metrics beside them', () => {
    const rows = [row('2026-10-31T22:00:00+00:00', '3600.0', '2.0'), row('2026-10-31T23:00:00+00:00', '3600.0', '1.5')];
    expect(agrees(answer(rows))).toBe(true);
    expect(agrees(answer([]))).toBe(true);
    const references = `"references": [{"id": "r-1", "display_name": "caf\u00e9 \\"x\\" \\u00e9\\n", "metrics": {"vcpus": "m-1"}, "ended_at": null, "up": true, "n": -1.5e3}], `;
    expect(agrees(answer(rows, references))).toBe(true);
    const two = `{"measures": {"r-1": {"memory": {"mean": [1, 2]}, "vcpus": {"max": [], "mean": [${rows[0]}]}}, "r-2": {"vcpus": {"mean": [${rows[1]}]}}}}`;
    expect(agrees(two)).toBe(true);
    expect(byBytes(Buffer.from(two))!.get('r-2')).toEqual({ t: Float64Array.of(Date.UTC(2026, 9, 31, 23) * 1000), granularityUs: Float64Array.of(3600e6), value: Float64Array.of(1.5) });
    expect(agrees(' \n\t{ "measures" : { } } \r\n')).toBe(true);
    expect(agrees('{"measures":{"r-1":{"vcpus":{"mean":[ [ "2026-10-01T00:00:00+00:00" ,3600.0\n,\t1.5 ] ,\r\n["2026-10-01T01:00:00+00:00",3600,2]]}}}}')).toBe(true);
    // Skipped members are checked without recursion: nesting deep enough to overflow a recursive reader.
    const deep = `"references": ${'['.repeat(100_000)}${']'.repeat(100_000)}, `;
    expect(agrees(answer(rows, deep))).toBe(true);
    expect(byBytes(Buffer.from(answer(rows, deep.replace(']]', ']'))))).toBeUndefined();
  });

  it('reads a month at any granularity, past the size its scratch arrays start with', () => {
    const rows = Array.from({ length: 31 * 24 * 6 }, (_, i) => row(new Date(Date.UTC(2026, 9, 1) + i * 600_000).toISOString().replace('.000Z', '+00:00'), '600.0', String(i % 7)));
    expect(agrees(answer(rows))).toBe(true);
    const read = byBytes(Buffer.from(answer(rows)))!.get('r-1')!;
    expect([read.t.length, read.value[4463], read.t[4463]]).toEqual([4464, 4463 % 7, (Date.UTC(2026, 9, 1) + 4463 * 600_000) * 1000]);
  });

  it('gives every number the double JSON.parse gives', () => {
    const numbers = [
      '0', '-0', '-0.0', '1', '2.5', '0.1', '0.30000000000000004', '3.3333333333333335', '123456789012345', '1234567890123456', '12345678901234567890',
      '0.000001', '1e3', '1E-7', '-2.5e+2', '9007199254740993', '1.7976931348623157e308', '5e-324', '0.1234567890123456789',
    ];
    for (const value of numbers) expect(agrees(answer([row('2026-10-01T00:00:00+00:00', '3600.0', value)]))).toBe(true);
    // Random decimals of up to 17 significant digits, most of them read as integer / 10^k.
    let seed = 7;
    const digit = () => ((seed = (seed * 48271) % 2147483647), seed % 10);
    for (let k = 0; k < 2000; k++) {
      const integer = Array.from({ length: 1 + (k % 9) }, digit).join('').replace(/^0+(?=\d)/, '');
      const fraction = Array.from({ length: k % 9 }, digit).join('');
      const text = `${k % 3 === 0 ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`;
      expect(agrees(answer([row('2026-10-01T00:00:00+00:00', '3600.0', text)]))).toBe(true);
    }
    for (const granularity of ['60', '300.0', '3600', '86400.000', '0.5']) {
      expect(agrees(answer([row('2026-10-01T00:00:00+00:00', granularity, '1')]))).toBe(true);
    }
  });

  it('reads timestamps of other forms as parseMeasures does', () => {
    for (const t of ['2026-10-01T00:00:00Z', '2026-10-01T00:00:00.5+00:00', '2026-10-01 00:00:00', '2026-10-01T02:00:00+02:00', '2024-02-29T23:59:59+00:00']) {
      expect(agrees(answer([row(t, '3600.0', '1.0')]))).toBe(true);
    }
  });

  it('declines what parseMeasures drops or sorts, and values of other types', () => {
    const declined = [
      answer([row('2026-10-01T01:00:00+00:00', '3600.0', '1.0'), row('2026-10-01T00:00:00+00:00', '3600.0', '1.0')]),
      answer([row('2026-02-30T00:00:00+00:00', '3600.0', '1.0')]),
      answer([row('2026-10-01T24:00:00+00:00', '3600.0', '1.0')]),
      answer([row('not a time', '3600.0', '1.0')]),
      answer([row('2026-10-01T00:00:00+00:00', '0', '1.0')]),
      answer([row('2026-10-01T00:00:00+00:00', '-60', '1.0')]),
      answer([row('2026-10-01T00:00:00+00:00', '3600.0', '1e999')]),
      answer(['["2026-10-01T00:00:00+00:00", 3600.0, null]']),
      answer(['["2026-10-01T00:00:00+00:00", 3600.0]']),
      answer(['["2026-10-01T00:00:00+00:00", 3600.0, 1.0, 7]']),
      answer(['["2026-10-01T00:00:00+00:00", "3600", 1.0]']),
      '{"measures": {"r-1": {"vcpus": {"mean": {"0": 1}}}}}',
      '{"measures": {"r-1": {"vcpus": null}}}',
      '{"measures": {"r-1": []}}',
      '{"measures": []}',
      '{"measures": null}',
      '{"other": {}}',
      '[]',
      '{"measures": {"r\\u002d1": {}}}',
      '{"measures": {"r-\u00e9": {}}}',
    ];
    for (const text of declined) expect(byBytes(Buffer.from(text))).toBeUndefined();
  });

  it('declines anything that is not JSON, and never reads what JSON.parse refuses', () => {
    const good = answer([row('2026-10-01T00:00:00+00:00', '3600.0', '1.0')], '"references": [{"a": [true, false, null, "x\\ty"]}], ');
    const broken = [
      '', ' ', good.slice(0, -1), `${good} x`, `${good}}`, good.replace('true', 'tru'), good.replace('3600.0', '3600.'), good.replace('3600.0', '03600'),
      good.replace('3600.0', '+3600'), good.replace('1.0]', '1.0,]'), good.replace('[true', '[true,'), good.replace('"a":', '"a"'), good.replace('x\\ty', 'x\\qy'),
      good.replace('x\\ty', 'x\\u12'), good.replace('x\\ty', 'x\ty'), `\ufeff${good}`, good.replace('"references"', "'references'"),
    ];
    for (const text of broken) {
      expect(() => JSON.parse(text)).toThrow();
      expect(byBytes(Buffer.from(text))).toBeUndefined();
    }
    // Bytes that are not UTF-8 inside a skipped string read, as the text path reads them; outside one, nothing does.
    const latin1 = Buffer.concat([Buffer.from('{"references": ["caf'), Buffer.from([0xe9]), Buffer.from(`"], "measures": {}}`)]);
    expect(agrees(latin1)).toBe(true);
    expect(byBytes(Buffer.concat([Buffer.from('{"measures": {}'), Buffer.from([0xe9]), Buffer.from('}')]))).toBeUndefined();
  });

  it('takes the last of repeated keys, as JSON.parse does', () => {
    const first = row('2026-10-01T00:00:00+00:00', '3600.0', '1.0');
    const second = row('2026-10-01T00:00:00+00:00', '3600.0', '2.0');
    const texts = [
      `{"measures": {"r-1": {"vcpus": {"mean": [${first}], "mean": [${second}]}}}}`,
      `{"measures": {"r-1": {"vcpus": {"mean": [${first}]}, "vcpus": {"max": []}}}}`,
      `{"measures": {"r-1": {"vcpus": {"mean": [${first}]}}, "r-1": {"memory": {}}}}`,
      `{"measures": {"r-1": {"vcpus": {"mean": [${first}]}}}, "measures": {"r-2": {"vcpus": {"mean": [${second}]}}}}`,
      `{"measures": {"__proto__": {"vcpus": {"mean": [${first}]}}, "constructor": {}}}`,
    ];
    for (const text of texts) expect(agrees(text)).toBe(true);
  });

  it('agrees with the text path on answers cut or changed at random', () => {
    // A deterministic generator: the same cases on every run.
    let seed = 12345;
    const random = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return Math.floor((((x ^ (x >>> 14)) >>> 0) / 2 ** 32) * n);
    };
    const base = Buffer.from(
      answer(
        [row('2026-10-01T00:00:00+00:00', '3600.0', '1.0'), row('2026-10-01T01:00:00+00:00', '3600.0', '-2.25'), row('2026-10-01T03:00:00Z', '60', '1e2')],
        '"references": [{"id": "r-1", "name": "a\\"b", "list": [1, -0.5, true, null, {}]}], ',
      ),
    );
    // Bytes JSON gives a meaning to, and some it forbids or leaves to UTF-8: control characters, DEL, a lone continuation byte, a lead byte.
    const bytes = [...Buffer.from(' ,:[]{}"\\-+.0123456789eEtfnulZT\n\t'), 0x00, 0x1f, 0x7f, 0x80, 0xc3, 0xe9, 0xff];
    const digits = [...base.keys()].filter((i) => base[i]! >= 0x30 && base[i]! <= 0x39);
    let read = 0;
    for (let k = 0; k < 3000; k++) {
      const mutated = Buffer.from(base);
      const edits = 1 + random(3);
      let edited: Buffer = mutated;
      for (let e = 0; e < edits; e++) {
        const where = random(edited.length);
        const kind = random(8);
        // Most edits put a digit for a digit, which leaves JSON: a time, a value, a granularity changed.
        if (kind < 5) edited[digits[random(digits.length)]!] = 0x30 + random(10);
        else if (kind === 5) edited[where] = bytes[random(bytes.length)]!;
        else if (kind === 6) edited = Buffer.concat([edited.subarray(0, where), Buffer.from([bytes[random(bytes.length)]!]), edited.subarray(where)]);
        else edited = Buffer.concat([edited.subarray(0, where), edited.subarray(where + 1)]);
      }
      const cut = random(4) === 0 ? edited.subarray(0, random(edited.length)) : edited;
      if (agrees(cut)) read++;
    }
    // Some mutations leave a readable answer (a digit for a digit): the reader must read those.
    expect(read).toBeGreaterThan(100);
  });
});
