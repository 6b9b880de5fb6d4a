/** src/time.ts: ISO-8601 → epoch microseconds, exactly, and only for instants artifice can hold. */
import { formatTimestamp, parseTimestamp, readTimestamp } from '../../src/model/time.js';

describe('parseTimestamp', () => {
  it('reads naive UTC, Z and offsets, with microseconds', () => {
    expect(parseTimestamp('2024-05-01T00:00:00')).toBe(Date.UTC(2024, 4, 1) * 1000);
    expect(parseTimestamp('2024-05-01T00:00:00.000123Z')).toBe(Date.UTC(2024, 4, 1) * 1000 + 123);
    expect(parseTimestamp('2024-05-01T10:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 8) * 1000);
    expect(parseTimestamp('2024-05-01T00:00:00-1130')).toBe(Date.UTC(2024, 4, 1, 11, 30) * 1000);
    expect(parseTimestamp('2024-05-01T00:00:00+14:00')).toBe(Date.UTC(2024, 3, 30, 10) * 1000);
  });

  it('1970 and 2255 are read exactly (no two-digit-year quirk anywhere)', () => {
    expect(parseTimestamp('1970-01-01T00:00:00Z')).toBe(0);
    expect(formatTimestamp(parseTimestamp('2255-01-01T00:00:00Z')!)).toBe('2255-01-01T00:00:00Z');
  });

  it.each([
    ['0050-01-01T00:00:00Z', 'year 0050 is out of range: use a year from 1970 to 2255'],
    ['0099-12-31T00:00:00', 'year 0099 is out of range: use a year from 1970 to 2255'],
    ['1969-12-31T23:59:59Z', 'year 1969 is out of range: use a year from 1970 to 2255'],
    ['2256-01-01T00:00:00Z', 'year 2256 is out of range: use a year from 1970 to 2255'],
    ['2255-12-31T00:00:00Z', 'it is beyond 2255-06-05T23:47:34.740991Z, the last instant artifice can hold exactly'],
    ['2024-05-01T00:00:00+99:99', 'offset +99:99 is out of range: use one from -14:00 to +14:00'],
    ['2024-05-01T00:00:00+14:01', 'offset +14:01 is out of range: use one from -14:00 to +14:00'],
    ['2024-05-01T00:00:00-0960', 'offset -0960 is out of range: use one from -14:00 to +14:00'],
    ['2024-02-30T00:00:00Z', 'not a date and time that exists'],
    ['yesterday', 'not an ISO-8601 time'],
  ])('refuses %p and says why', (text, reason) => {
    expect(parseTimestamp(text)).toBeUndefined();
    expect(readTimestamp(text)).toBe(reason);
  });
});
