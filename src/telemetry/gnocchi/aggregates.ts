/**
 * A `POST /v1/aggregates` answer read straight from its bytes into buckets:
 * `{"measures": {"<resource id>": {"<metric>": {"<aggregation>": [[t, g, v], …]}}}, …}`.
 *
 * A month of hourly measures is 744 rows per resource. `JSON.parse` makes an array and a
 * string of each row, and the text it parses is itself decoded from the bytes first: most of the
 * garbage of a large run. This reader makes neither. It is a fast path only: it reads answers
 * in exactly the form above, whose rows are well-formed, and for them gives what `JSON.parse`
 * and parseMeasures give. Anything else (a string escape in a key, a row that parseMeasures
 * would drop or sort, a value of another type, bytes that are not JSON at all) makes it answer
 * `undefined`, and the caller reads the text as before, with its checks and its messages.
 */
import { latin1Text } from '../../model/text.js';
import { parseTimestamp, type Micros } from '../../model/time.js';
import { noBuckets, STAMP_LENGTH, stampAt, type Buckets } from './buckets.js';

/** Thrown inside the reader when the answer is not in the form it reads; never leaves this module. */
class OtherForm {}
const OTHER_FORM = new OtherForm();

const [TAB, LF, CR, SPACE, QUOTE, PLUS, COMMA, MINUS, DOT, COLON] = [9, 10, 13, 32, 34, 43, 44, 45, 46, 58];
const [ZERO, NINE, UPPER_E, BRACKET, BACKSLASH, CLOSE_BRACKET, LOWER_E, BRACE, CLOSE_BRACE] = [48, 57, 69, 91, 92, 93, 101, 123, 125];
/** Bytes that may follow a backslash in a JSON string (`u` is followed by four hex digits). */
const ESCAPES = new Set([...'"\\/bfnrtu'].map((c) => c.charCodeAt(0)));
const HEX = /^[0-9a-fA-F]{4}$/;
const LITERALS = ['true', 'false', 'null'].map((word) => Buffer.from(word, 'latin1'));

/** 10^k, each exact in a double, for k up to 22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/**
 * Significant digits a number may have to be read as `integer / 10^k`: its digits then make an
 * integer below 2^53, and the one division is rounded correctly, as `JSON.parse` rounds. Longer
 * numbers, and those with an exponent, go through `Number()`.
 */
const EXACT_DIGITS = 15;

const isDigit = (byte: number | undefined): boolean => byte !== undefined && byte >= ZERO && byte <= NINE;

/** Where the JSON whitespace at `at` ends. */
function spaceAt(bytes: Uint8Array, at: number): number {
  let byte = bytes[at];
  while (byte === SPACE || byte === LF || byte === CR || byte === TAB) byte = bytes[++at];
  return at;
}

/** Where the number `numberAt` last read ends: a module variable, not an object per number. */
let numberEnd = 0;

/**
 * The JSON number at `at`, as `JSON.parse` reads it, or NaN if there is none (no JSON number
 * is NaN). Up to EXACT_DIGITS digits and no exponent, it is `integer / 10^k`; otherwise
 * `Number()` of its text. Sets `numberEnd`.
 */
function numberAt(bytes: Uint8Array, start: number): number {
  let at = start;
  const negative = bytes[at] === MINUS;
  if (negative) at++;
  let integer = 0;
  let digits = 0;
  let fraction = 0;
  if (bytes[at] === ZERO) at++;
  else if (isDigit(bytes[at])) for (; isDigit(bytes[at]); at++, digits++) integer = integer * 10 + bytes[at]! - ZERO;
  else return Number.NaN;
  if (bytes[at] === DOT) {
    at++;
    if (!isDigit(bytes[at])) return Number.NaN;
    for (; isDigit(bytes[at]); at++, digits++, fraction++) integer = integer * 10 + bytes[at]! - ZERO;
  }
  let exact = digits <= EXACT_DIGITS;
  if (bytes[at] === LOWER_E || bytes[at] === UPPER_E) {
    at++;
    if (bytes[at] === PLUS || bytes[at] === MINUS) at++;
    if (!isDigit(bytes[at])) return Number.NaN;
    while (isDigit(bytes[at])) at++;
    exact = false;
  }
  numberEnd = at;
  if (!exact) return Number(latin1Text(bytes, start, at));
  const magnitude = integer / POWERS_OF_TEN[fraction]!;
  return negative ? -magnitude : magnitude;
}

/**
 * The buckets of `metric` / `aggregation` in the answer, by resource id, or undefined if the
 * answer is not in the form this reader reads (then `JSON.parse` the text).
 */
export function readAggregates(bytes: Uint8Array, metric: string, aggregation: string): Map<string, Buckets> | undefined {
  try {
    return new AggregatesReader(bytes, metric, aggregation).read();
  } catch (error) {
    if (error === OTHER_FORM) return undefined;
    throw error;
  }
}

/**
 * Rows are read into typed arrays that grow as needed, then copied into buckets of their exact
 * size: arrays grown by `push` would be copied at each growth.
 */
class Scratch {
  constructor(
    readonly t = new Float64Array(1024),
    readonly granularityUs = new Float64Array(1024),
    readonly value = new Float64Array(1024),
  ) {}

  grown(): Scratch {
    const more = (from: Float64Array) => {
      const to = new Float64Array(from.length * 2);
      to.set(from);
      return to;
    };
    return new Scratch(more(this.t), more(this.granularityUs), more(this.value));
  }

  /** The first `n` rows as buckets (copies: the scratch arrays go on to the next resource). */
  buckets(n: number): Buckets {
    return { t: this.t.slice(0, n), granularityUs: this.granularityUs.slice(0, n), value: this.value.slice(0, n) };
  }
}

class AggregatesReader {
  private at = 0;
  private scratch = new Scratch();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly metric: string,
    private readonly aggregation: string,
  ) {}

  /** The whole answer: one object whose `measures` member is read; other members are checked and skipped. */
  read(): Map<string, Buckets> {
    let found: Map<string, Buckets> | undefined;
    this.object((key) => {
      if (key === 'measures') found = this.measures();
      else this.skipValue();
    });
    if (this.space() !== -1 || !found) throw OTHER_FORM;
    return found;
  }

  /** Resource id → metric → aggregation → rows. A repeated key replaces the earlier one, as in `JSON.parse`. */
  private measures(): Map<string, Buckets> {
    const found = new Map<string, Buckets>();
    this.object((id) => {
      found.delete(id);
      this.object((metric) => {
        if (metric !== this.metric) return this.skipValue();
        found.delete(id);
        this.object((aggregation) => {
          if (aggregation !== this.aggregation) return this.skipValue();
          found.set(id, this.rows());
        });
      });
    });
    return found;
  }

  /**
   * `[[t, g, v], …]`: each row three values, in time order, with a positive granularity. The
   * rows are most of the answer, so this loop keeps its place in a local and reads numbers with
   * `numberAt` rather than through the reader's own methods.
   */
  private rows(): Buckets {
    this.expect(BRACKET);
    if (this.space() === CLOSE_BRACKET) {
      this.at++;
      return noBuckets();
    }
    const bytes = this.bytes;
    let at = this.at;
    let last = Number.NEGATIVE_INFINITY;
    for (let n = 0; ; n++) {
      at = spaceAt(bytes, at);
      if (bytes[at] !== BRACKET) throw OTHER_FORM;
      at = spaceAt(bytes, at + 1);
      if (bytes[at] !== QUOTE) throw OTHER_FORM;
      let t = bytes[at + 1 + STAMP_LENGTH] === QUOTE ? stampAt(bytes, at + 1) : undefined;
      if (t === undefined) {
        this.at = at;
        t = parseTimestamp(this.key());
        if (t === undefined) throw OTHER_FORM;
        at = this.at;
      } else at += STAMP_LENGTH + 2;
      at = spaceAt(bytes, at);
      if (bytes[at] !== COMMA) throw OTHER_FORM;
      const g = numberAt(bytes, spaceAt(bytes, at + 1));
      at = spaceAt(bytes, numberEnd);
      if (bytes[at] !== COMMA) throw OTHER_FORM;
      const value = numberAt(bytes, spaceAt(bytes, at + 1));
      at = spaceAt(bytes, numberEnd);
      if (bytes[at] !== CLOSE_BRACKET) throw OTHER_FORM;
      // NaN: no number there. parseMeasures drops the other rows refused here, or sorts them: it does that, not this reader.
      if (!(g > 0 && Number.isFinite(g)) || !Number.isFinite(value) || t < last) throw OTHER_FORM;
      if (n === this.scratch.t.length) this.scratch = this.scratch.grown();
      const scratch = this.scratch;
      scratch.t[n] = t;
      scratch.granularityUs[n] = Math.round(g * 1_000_000);
      scratch.value[n] = value;
      last = t;
      at = spaceAt(bytes, at + 1);
      const next = bytes[at++];
      if (next === CLOSE_BRACKET) {
        this.at = at;
        return scratch.buckets(n + 1);
      }
      if (next !== COMMA) throw OTHER_FORM;
    }
  }

  /** `{ "key": value, … }`, `member` reading each value. */
  private object(member: (key: string) => void): void {
    this.expect(BRACE);
    if (this.space() === CLOSE_BRACE) {
      this.at++;
      return;
    }
    do {
      const key = this.key();
      this.expect(COLON);
      member(key);
    } while (!this.endOf(CLOSE_BRACE));
  }

  /** After a member or an element: true at `close`, false at a comma (both passed). */
  private endOf(close: number): boolean {
    const byte = this.space();
    this.at++;
    if (byte === close) return true;
    if (byte !== COMMA) throw OTHER_FORM;
    return false;
  }

  /** A string of printable ASCII without escapes (an id, a name), as a string. */
  private key(): string {
    if (this.space() !== QUOTE) throw OTHER_FORM;
    const bytes = this.bytes;
    const start = this.at + 1;
    let end = start;
    for (let byte = bytes[end]; byte !== QUOTE; byte = bytes[++end]) {
      if (byte === undefined || byte < SPACE || byte > 0x7e || byte === BACKSLASH) throw OTHER_FORM;
    }
    this.at = end + 1;
    return latin1Text(bytes, start, end);
  }

  /** A JSON number, as `JSON.parse` reads it (numberAt). */
  private number(): number {
    const value = numberAt(this.bytes, spaceAt(this.bytes, this.at));
    if (Number.isNaN(value)) throw OTHER_FORM;
    this.at = numberEnd;
    return value;
  }

  /**
   * Any JSON value, checked and skipped (what the answer holds besides the measures asked for,
   * such as Gnocchi's `references`). Iterative: an answer nested a million deep is no risk.
   */
  private skipValue(): void {
    const open: number[] = [];
    for (;;) {
      const byte = this.space();
      if (byte === BRACE || byte === BRACKET) {
        this.at++;
        const close = byte === BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
        if (this.space() !== close) {
          open.push(close);
          if (close === CLOSE_BRACE) this.memberName();
          continue;
        }
        this.at++;
      } else if (byte === QUOTE) this.skipString();
      else if (byte === MINUS || isDigit(byte)) this.number();
      else this.literal();
      // After a value: close what it ends, or go on to the next element or member.
      for (;;) {
        const close = open[open.length - 1];
        if (close === undefined) return;
        if (this.endOf(close)) {
          open.pop();
          continue;
        }
        if (close === CLOSE_BRACE) this.memberName();
        break;
      }
    }
  }

  /** `"name":` of a member that is skipped. */
  private memberName(): void {
    this.skipString();
    this.expect(COLON);
  }

  /**
   * Any JSON string. A byte above 0x7f is accepted as it is: decoded, it is a character, or (not
   * UTF-8) `\\xNN`, valid inside a string either way (src/model/text.ts).
   */
  private skipString(): void {
    if (this.space() !== QUOTE) throw OTHER_FORM;
    const bytes = this.bytes;
    let at = this.at + 1;
    for (;;) {
      const byte = bytes[at];
      if (byte === undefined || byte < SPACE) throw OTHER_FORM;
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        const escaped = bytes[at + 1];
        if (escaped === undefined || !ESCAPES.has(escaped)) throw OTHER_FORM;
        if (escaped === 0x75 && !HEX.test(latin1Text(bytes, at + 2, at + 6))) throw OTHER_FORM;
        at += escaped === 0x75 ? 6 : 2;
        continue;
      }
      at++;
    }
    this.at = at + 1;
  }

  /** `true`, `false` or `null`. */
  private literal(): void {
    const word = LITERALS.find((w) => w.every((byte, k) => this.bytes[this.at + k] === byte));
    if (!word) throw OTHER_FORM;
    this.at += word.length;
  }

  /** Passes `byte` after any whitespace, or throws. */
  private expect(byte: number): void {
    if (this.space() !== byte) throw OTHER_FORM;
    this.at++;
  }

  /** Passes JSON whitespace; the byte after it, or -1 at the end. */
  private space(): number {
    this.at = spaceAt(this.bytes, this.at);
    return this.bytes[this.at] ?? -1;
  }
}
