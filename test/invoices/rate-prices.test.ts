/** Dated rows, tenant and group rows, tiers of the rates file (invoices/rate-table.ts, docs/prices.md). */
import { AdapterError } from '../../src/model/errors.js';
import { readTimestamp } from '../../src/model/time.js';
import { RateTable } from '../../invoices/rate-table.js';

const FILE = '/etc/artifice/rates.csv';
const HEADER = 'datacenter,service,unit,rate,from,until,tenant,tier_from,tier_mode\n';
const AUCKLAND = { timezone: 'Pacific/Auckland', groups: ['partners', 'staff'] };
const us = (iso: string) => readTimestamp(iso) as number;
const MAY = { start: us('2024-04-30T12:00:00Z'), end: us('2024-05-31T12:00:00Z') }; // May 2024 in Auckland (NZST, +12)
const ACME = { id: 'p-acme', name: 'acme' };

function table(rows: string, options = AUCKLAND): RateTable {
  return RateTable.parse(`${HEADER}${rows}`, FILE, options);
}

function rateError(rows: string, options = AUCKLAND, header = HEADER): string {
  try {
    RateTable.parse(`${header}${rows}`, FILE, options);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    const message = (error as Error).message;
    expect(message).toContain(`rates file ${FILE} row`);
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an AdapterError');
}

/** A schedule as plain text: `start..end rate@from/row scope`. */
function plain(periods: ReturnType<RateTable['schedule']>): string[] {
  return periods.map((p) => `${new Date(p.period.start / 1000).toISOString()}..${new Date(p.period.end / 1000).toISOString()} ` +
    `${p.mode} ${p.tiers.map((t) => `${t.rate.toFixed()}@${t.from.toFixed()}/r${t.row}`).join(' ')} ${p.scope}`);
}

describe('dated rows', () => {
  const dated = table('*,ip,hour,0.005,,2024-05-15\n*,ip,hour,0.004,2024-05-15,\n');

  it('a price change on the 15th at 00:00 in Pacific/Auckland splits the month there', () => {
    expect(plain(dated.schedule('north', 'ip', { tenant: ACME, period: MAY }))).toEqual([
      '2024-04-30T12:00:00.000Z..2024-05-14T12:00:00.000Z graduated 0.005@0/r2 *',
      '2024-05-14T12:00:00.000Z..2024-05-31T12:00:00.000Z graduated 0.004@0/r3 *',
    ]);
  });

  it('a window before the change sees only the old price; cost() answers the rate at an instant', () => {
    const april = { start: us('2024-03-31T11:00:00Z'), end: MAY.start };
    expect(plain(dated.schedule('north', 'ip', { tenant: ACME, period: april }))).toEqual([
      '2024-03-31T11:00:00.000Z..2024-04-30T12:00:00.000Z graduated 0.005@0/r2 *',
    ]);
    expect(dated.lookup('north', 'ip', { at: us('2024-05-14T11:59:59Z') })?.rate.toFixed()).toBe('0.005');
    expect(dated.lookup('north', 'ip', { at: us('2024-05-14T12:00:00Z') })?.rate.toFixed()).toBe('0.004');
  });

  it('a stretch no row covers has no price', () => {
    const gap = table('*,ip,hour,0.005,,2024-05-10\n*,ip,hour,0.004,2024-05-20,\n');
    expect(plain(gap.schedule('north', 'ip', { tenant: ACME, period: MAY })).map((line) => line.slice(0, 50))).toEqual([
      '2024-04-30T12:00:00.000Z..2024-05-09T12:00:00.000Z',
      '2024-05-19T12:00:00.000Z..2024-05-31T12:00:00.000Z',
    ]);
  });

  it('a date-time with an offset is taken as given', () => {
    const t = table('*,ip,hour,1,,2024-05-15T00:00:00Z\n*,ip,hour,2,2024-05-15T00:00:00Z,\n');
    expect(plain(t.schedule('n', 'ip', { tenant: ACME, period: MAY }))[1]).toMatch(/^2024-05-15T00:00:00.000Z\.\./);
  });
});

describe('tenant and group rows: the most specific wins', () => {
  const scoped = table([
    '*,m1.small,hour,0.025,,,,,',
    'south,m1.small,hour,0.022,,,,,',
    '*,m1.small,hour,0.020,,,group:partners,,',
    '*,m1.small,hour,0.018,,,acme,,',
  ].join('\n') + '\n');
  const rate = (tenant: { id: string; name?: string }, group?: string, dc = 'north') =>
    scoped.schedule(dc, 'm1.small', { tenant, ...(group ? { group } : {}), period: MAY }).map((p) => `${p.tiers[0]!.rate.toFixed()} ${p.scope}`);

  it('a tenant row (by name or id) beats its group row, which beats everyone\'s', () => {
    expect(rate(ACME, 'partners')).toEqual(['0.018 tenant acme']);
    expect(rate({ id: 'acme' }, 'partners')).toEqual(['0.018 tenant acme']);
    expect(rate({ id: 'p-other', name: 'other' }, 'partners')).toEqual(['0.02 group partners']);
    expect(rate({ id: 'p-other', name: 'other' })).toEqual(['0.025 *']);
  });

  it('a tenant\'s or group\'s `*` row beats everyone\'s datacenter row; everyone\'s datacenter row beats `*`', () => {
    expect(rate(ACME, 'partners', 'south')).toEqual(['0.018 tenant acme']);
    expect(rate({ id: 'x' }, 'partners', 'south')).toEqual(['0.02 group partners']);
    expect(rate({ id: 'x' }, undefined, 'south')).toEqual(['0.022 *']);
  });

  it('a tenant row dated inside the window covers its stretch; everyone\'s price the rest', () => {
    const t = table('*,ip,hour,0.005,,,,,\n*,ip,hour,0,2024-05-10,2024-05-20,acme,,\n');
    expect(plain(t.schedule('n', 'ip', { tenant: ACME, period: MAY })).map((line) => line.split(' ').slice(0, 1).concat(line.split(' ').slice(2)).join(' '))).toEqual([
      '2024-04-30T12:00:00.000Z..2024-05-09T12:00:00.000Z 0.005@0/r2 *',
      '2024-05-09T12:00:00.000Z..2024-05-19T12:00:00.000Z 0@0/r3 tenant acme',
      '2024-05-19T12:00:00.000Z..2024-05-31T12:00:00.000Z 0.005@0/r2 *',
    ]);
  });
});

describe('tiers', () => {
  it('rows of one service and period with tier_from are one tier list', () => {
    const t = table('*,egress,gigabyte,0.09,,,,0,\n*,egress,gigabyte,0.05,,,,1000,\n*,egress,gigabyte,0.02,,,,10000,\n');
    expect(plain(t.schedule('n', 'egress', { tenant: ACME, period: MAY }))[0]).toMatch(/ graduated 0\.09@0\/r2 0\.05@1000\/r3 0\.02@10000\/r4 \*$/);
  });

  it('tier_mode volume', () => {
    const t = table('*,egress,gigabyte,0.09,,,,0,volume\n*,egress,gigabyte,0.05,,,,1000,volume\n');
    expect(t.schedule('n', 'egress', { tenant: ACME, period: MAY })[0]!.mode).toBe('volume');
  });
});

describe('bad rows: one line naming the row and how to fix it', () => {
  it.each([
    ['overlapping date ranges', '*,ip,hour,1,2024-05-01,2024-06-01\n*,ip,hour,2,2024-05-15,\n', 'row 3: */ip from 2024-05-14T12:00:00Z until open overlaps row 2'],
    ['two open rows of one scope', '*,ip,hour,1,,\n*,ip,hour,2,2024-05-15,\n', 'overlaps row 2'],
    ['a from after its until', '*,ip,hour,1,2024-06-01,2024-05-01\n', 'row 2: from 2024-06-01 is not before until 2024-05-01'],
    ['a from equal to its until', '*,ip,hour,1,2024-06-01,2024-06-01\n', 'is not before until'],
    ['a date that is not one', '*,ip,hour,1,2024-13-01,\n', "row 2: from '2024-13-01' is not a date or time"],
    ['a tier list with a gap', '*,egress,gigabyte,0.05,,,,1000,\n*,egress,gigabyte,0.02,,,,10000,\n', 'row 2: the tiers of */egress start at 1000, leaving a gap below it'],
    ['a non-increasing tier_from', '*,egress,gigabyte,0.09,,,,0,\n*,egress,gigabyte,0.05,,,,1000,\n*,egress,gigabyte,0.02,,,,1000,\n', 'row 4: tier_from 1000 of */egress is not above the tier_from 1000 of row 3'],
    ['a decreasing tier_from', '*,egress,gigabyte,0.09,,,,0,\n*,egress,gigabyte,0.05,,,,1000,\n*,egress,gigabyte,0.02,,,,500,\n', 'row 4: tier_from 500'],
    ['a negative tier_from', '*,egress,gigabyte,0.09,,,,-1,\n', "row 2: tier_from '-1' is not a quantity ≥ 0"],
    ['tiers of two modes', '*,egress,gigabyte,0.09,,,,0,\n*,egress,gigabyte,0.05,,,,1000,volume\n', 'must have one tier_mode'],
    ['an unknown tier_mode', '*,egress,gigabyte,0.09,,,,0,stairs\n', "tier_mode 'stairs' is not graduated or volume"],
    ['an unknown group', '*,ip,hour,1,,,group:vip,,\n', 'row 2: tenant group:vip names a group that [price_groups] does not define (its groups: partners, staff)'],
    ['a second rate in force at the same time', '*,ip,hour,1,2024-05-01,\n*,ip,hour,2,2024-05-01,\n', 'row 3: a second rate for */ip in force at the same time (row 2)'],
  ])('%s', (_what, rows, message) => {
    expect(rateError(rows)).toContain(message);
  });

  it('the row is the line in the file: comment and empty lines count, as an editor shows them', () => {
    expect(rateError('# prices from May\n\n*,ip,hour,1,2024-06-01,2024-05-01\n')).toContain('row 4: from 2024-06-01');
    const t = table('# a comment\n*,ip,hour,1,,,,,\n');
    expect(t.schedule('n', 'ip', { tenant: ACME, period: MAY })[0]!.tiers[0]!.row).toBe(3);
  });

  it('an unknown column, and a column twice', () => {
    expect(() => RateTable.parse('datacenter,service,unit,rate,since\n', FILE)).toThrow("unknown column 'since' in the header");
    expect(() => RateTable.parse('datacenter,service,unit,rate,from,from\n', FILE)).toThrow('the column from appears twice');
  });

  it('rows of different tenants or datacenters may share dates', () => {
    expect(() => table('*,ip,hour,1,,,,,\n*,ip,hour,2,,,acme,,\n*,ip,hour,3,,,group:partners,,\nsouth,ip,hour,4,,,,,\n')).not.toThrow();
  });
});
