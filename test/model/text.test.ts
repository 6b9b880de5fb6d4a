import { decodeUtf8, jsonEscape, latin1Text } from '../../src/model/text.js';

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('decodeUtf8 keeps invalid UTF-8 visible as \\xNN', () => {
  it('valid UTF-8 (ASCII, é, CJK, an emoji) is decoded as is', () => {
    expect(decodeUtf8(bytes('acme é 東京 🚀'))).toBe('acme é 東京 🚀');
  });

  it('Latin-1 bytes, a lone continuation byte, and a sequence cut short are escaped byte by byte', () => {
    expect(decodeUtf8(bytes('caf', [0xe9], ' ok'))).toBe('caf\\xe9 ok');
    expect(decodeUtf8(bytes('a', [0x80, 0xbf], 'b'))).toBe('a\\x80\\xbfb');
    expect(decodeUtf8(bytes('x', [0xe6, 0x9d]))).toBe('x\\xe6\\x9d');
    expect(decodeUtf8(bytes([0xe6, 0x9d], 'y é'))).toBe('\\xe6\\x9dy é');
  });

  it('overlong forms, surrogates and code points past U+10FFFF are invalid too', () => {
    expect(decodeUtf8(bytes([0xc0, 0xaf]))).toBe('\\xc0\\xaf');
    expect(decodeUtf8(bytes([0xe0, 0x80, 0xaf]))).toBe('\\xe0\\x80\\xaf');
    expect(decodeUtf8(bytes([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80');
    expect(decodeUtf8(bytes([0xf4, 0x90, 0x80, 0x80]))).toBe('\\xf4\\x90\\x80\\x80');
    expect(decodeUtf8(bytes([0xf0, 0x9f, 0x9a, 0x80]))).toBe('🚀');
  });

  it('two names that differ only in invalid bytes stay two names', () => {
    expect(decodeUtf8(bytes('n', [0xfe]))).not.toBe(decodeUtf8(bytes('n', [0xff])));
  });

  it('the JSON escape makes the parsed string read \\xNN', () => {
    expect(JSON.parse(decodeUtf8(bytes('{"name":"caf', [0xe9], '"}'), jsonEscape))).toEqual({ name: 'caf\\xe9' });
  });
});

describe('latin1Text', () => {
  it('reads a range of a view in place, one character a byte, clipped to the end', () => {
    const whole = Buffer.from('xx2026-10-01\xe9yy', 'latin1');
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 2, whole.length - 4);
    expect(latin1Text(view, 0, 10)).toBe('2026-10-01');
    expect(latin1Text(view, 5, 11)).toBe('10-01\xe9');
    expect(latin1Text(view, 9, 40)).toBe('1\xe9');
    expect(latin1Text(view, 11, 15)).toBe('');
  });
});

