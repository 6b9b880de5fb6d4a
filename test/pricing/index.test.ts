import { Decimal } from '../../src/model/decimal.js';
import { PricingError } from '../../src/model/errors.js';
import { groupUsage, priceUsage } from '../../src/pricing/index.js';
import type { UsageRecord } from '../../src/model/types.js';

function record(datacenter: string, service: string, quantity: string, resourceId = `${service}-r`, unit = 'hour'): UsageRecord {
  return {
    meter: service, resourceId, service, datacenter, quantity: new Decimal(quantity), unit,
    samples: 1, firstSample: null, lastSample: null, gaps: [],
  };
}

/** cost() from a plain table `datacenter/service → rate`; anything else has no price. */
function rates(table: Record<string, unknown>) {
  return { cost: (datacenter: string, name: string) => table[`${datacenter}/${name}`] as string | undefined };
}

const DIGITS = { digits: 2, allowUnpriced: false };

/** Lines as plain comparable text. */
function plain(lines: Awaited<ReturnType<typeof priceUsage>>['lines']) {
  return lines.map((l) => [l.datacenter, l.name, l.quantity.toString(), l.unit, l.rate.toString(), l.amount.toFixed(2)]);
}

async function pricingError(promise: Promise<unknown>): Promise<PricingError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(PricingError);
    return error as PricingError;
  }
  throw new Error('expected a PricingError, nothing was thrown');
}

describe('grouping: one line per (datacenter, service)', () => {
  it('sums resources of the same service in the same datacenter, keeps datacenters apart, sorts', async () => {
    const priced = await priceUsage(
      [
        record('south', 'm1.small', '10', 'vm-3'),
        record('north', 'm1.small', '2.5', 'vm-1'),
        record('north', 'm1.small', '7.5', 'vm-2'),
        record('north', 'm1.large', '1', 'vm-4'),
      ],
      rates({ 'north/m1.small': '0.025', 'south/m1.small': '0.022', 'north/m1.large': '0.10' }),
      DIGITS,
    );
    expect(plain(priced.lines)).toEqual([
      ['north', 'm1.large', '1', 'hour', '0.1', '0.10'],
      ['north', 'm1.small', '10', 'hour', '0.025', '0.25'],
      ['south', 'm1.small', '10', 'hour', '0.022', '0.22'],
    ]);
    expect(priced.total.toFixed(2)).toBe('0.57');
    expect(priced.unpriced).toEqual([]);
  });

  it('does not round quantities before summing them', () => {
    const groups = groupUsage([record('dc', 'gb', '0.1'), record('dc', 'gb', '0.2')]);
    expect(groups).toHaveLength(1);
    // Exactly 0.3: binary floating point would give 0.30000000000000004.
    expect(groups[0]!.quantity.toString()).toBe('0.3');
  });

  it('mixed units for one service are an error naming both', async () => {
    const error = await pricingError(
      priceUsage([record('dc', 'storage', '1', 'a', 'gigabyte-hour'), record('dc', 'storage', '1', 'b', 'gigabyte')], rates({ 'dc/storage': '1' }), DIGITS),
    );
    expect(error.message).toContain('storage');
    expect(error.message).toContain('gigabyte-hour');
    expect(error.message).toMatch(/\bgigabyte\b(?!-)/);
  });

  it('no records, no lines, total 0', async () => {
    const priced = await priceUsage([], rates({}), DIGITS);
    expect(priced.lines).toEqual([]);
    expect(priced.total.toString()).toBe('0');
  });
});

describe('money: rounded half away from zero, once per line', () => {
  it.each([
    // quantity, rate, amount
    ['0.5', '0.01', '0.01'], // 0.005 → 0.01 (half away from zero, not to even)
    ['0.4999', '0.01', '0.00'], // 0.004999
    ['1.005', '1', '1.01'], // a binary double would say 1.00499999…
    ['0.25', '0.1', '0.03'], // 0.025 → 0.03 (banker's rounding would give 0.02)
    ['744', '0.025', '18.60'],
    ['74400', '0.000137', '10.19'], // 10.1928
    ['1674', '0.00009', '0.15'], // 0.15066
  ])('%s × %s = %s', async (quantity, rate, amount) => {
    const priced = await priceUsage([record('dc', 'svc', quantity)], rates({ 'dc/svc': rate }), DIGITS);
    expect(priced.lines[0]!.amount.toFixed(2)).toBe(amount);
  });

  it('an hour quantity with no finite decimal form rounds as its exact value does', async () => {
    // 62000 s = 17.2222… h, as the uptime transform computes it; × 0.045 = 0.775 exactly → 0.78.
    const hours = new Decimal(62_000 * 1_000_000).div(3_600_000_000);
    const priced = await priceUsage([{ ...record('dc', 'svc', '0'), quantity: hours }], rates({ 'dc/svc': '0.045' }), DIGITS);
    expect(priced.lines[0]!.amount.toFixed(2)).toBe('0.78');
    // 20 min (1/3 h) × 0.405 = 0.135 → 0.14, and just below a half still rounds down.
    const third = new Decimal(1_200 * 1_000_000).div(3_600_000_000);
    const more = await priceUsage(
      [{ ...record('a', 'svc', '0'), quantity: third }, { ...record('b', 'svc', '0'), quantity: third }],
      rates({ 'a/svc': '0.405', 'b/svc': '0.40499' }),
      DIGITS,
    );
    expect(more.lines.map((l) => l.amount.toFixed(2))).toEqual(['0.14', '0.13']);
  });

  it('the quantities of a line are summed before the one rounding', async () => {
    // Three resources of 0.3 h at 0.01: per-resource rounding would give 3 × 0.00 = 0.00.
    const priced = await priceUsage(
      [record('dc', 'svc', '0.3', 'a'), record('dc', 'svc', '0.3', 'b'), record('dc', 'svc', '0.3', 'c')],
      rates({ 'dc/svc': '0.02' }),
      DIGITS,
    );
    expect(priced.lines[0]!.amount.toFixed(2)).toBe('0.02'); // 0.9 × 0.02 = 0.018
  });

  it('the total is the sum of the rounded lines, not the rounded sum', async () => {
    // Each line is 0.35 × 0.01 = 0.0035 → 0.00; the unrounded sum 0.0105 would round to 0.01.
    const priced = await priceUsage(
      [record('a', 'svc', '0.35'), record('b', 'svc', '0.35'), record('c', 'svc', '0.35')],
      rates({ 'a/svc': '0.01', 'b/svc': '0.01', 'c/svc': '0.01' }),
      DIGITS,
    );
    expect(priced.lines.map((l) => l.amount.toFixed(2))).toEqual(['0.00', '0.00', '0.00']);
    expect(priced.total.toFixed(2)).toBe('0.00');
  });

  it('and the other way: three lines of 0.005 make 0.03, not 0.02', async () => {
    const priced = await priceUsage(
      [record('a', 'svc', '0.5'), record('b', 'svc', '0.5'), record('c', 'svc', '0.5')],
      rates({ 'a/svc': '0.01', 'b/svc': '0.01', 'c/svc': '0.01' }),
      DIGITS,
    );
    expect(priced.total.toFixed(2)).toBe('0.03');
  });

  it('rounds to the currency digits: 0 for JPY-like, 3 for KWD-like', async () => {
    const line = async (digits: number) =>
      (await priceUsage([record('dc', 'svc', '2.5')], rates({ 'dc/svc': '1.001' }), { digits, allowUnpriced: false })).lines[0]!.amount;
    expect((await line(0)).toString()).toBe('3'); // 2.5025 → 3
    expect((await line(3)).toString()).toBe('2.503'); // 2.5025 → 2.503
  });

  it('accepts a rate as Decimal, number or string, sync or async', async () => {
    const adapter = {
      cost: async (datacenter: string) => (datacenter === 'a' ? new Decimal('0.5') : datacenter === 'b' ? 0.5 : '0.5'),
    };
    const priced = await priceUsage([record('a', 's', '3'), record('b', 's', '3'), record('c', 's', '3')], adapter, DIGITS);
    expect(priced.lines.map((l) => l.amount.toFixed(2))).toEqual(['1.50', '1.50', '1.50']);
  });

  it('a rate of 0 is a price (no error, amount 0)', async () => {
    const priced = await priceUsage([record('dc', 'network.incoming.bytes', '205.6')], rates({ 'dc/network.incoming.bytes': '0' }), DIGITS);
    expect(priced.lines[0]!.amount.toFixed(2)).toBe('0.00');
    expect(priced.unpriced).toEqual([]);
  });
});

describe('missing prices', () => {
  const usage = [
    record('north', 'm1.small', '10'),
    record('north', 'm9.huge', '1'),
    record('south', 'm9.huge', '2'),
    record('south', 'ip.floating', '744'),
    record('south', 'volume.size', '100'),
  ];
  const table = rates({ 'north/m1.small': '0.025', 'south/volume.size': '0.000137', 'south/ip.floating': null });

  it('fail with one PricingError naming every unpriced datacenter/service', async () => {
    const error = await pricingError(priceUsage(usage, table, DIGITS));
    expect(error.message).toContain('north/m9.huge');
    expect(error.message).toContain('south/m9.huge');
    expect(error.message).toContain('south/ip.floating');
    expect(error.message).not.toContain('m1.small');
    expect(error.message).not.toContain('volume.size');
    expect(error.message).toContain('allow_unpriced');
  });

  it('with allow_unpriced: rate 0, amount 0, and listed', async () => {
    const priced = await priceUsage(usage, table, { digits: 2, allowUnpriced: true });
    expect(priced.unpriced).toEqual(['north/m9.huge', 'south/ip.floating', 'south/m9.huge']);
    expect(plain(priced.lines)).toEqual([
      ['north', 'm1.small', '10', 'hour', '0.025', '0.25'],
      ['north', 'm9.huge', '1', 'hour', '0', '0.00'],
      ['south', 'ip.floating', '744', 'hour', '0', '0.00'],
      ['south', 'm9.huge', '2', 'hour', '0', '0.00'],
      ['south', 'volume.size', '100', 'hour', '0.000137', '0.01'], // 0.0137
    ]);
    expect(priced.total.toFixed(2)).toBe('0.26');
  });
});

describe('a cost() that returns junk', () => {
  it.each([
    ['a word', 'twelve'],
    ['a negative rate', '-0.01'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an object', { rate: 1 }],
    ['a boolean', true],
    // decimal.js would read these as 25, 1 and 7, and 1e100000000 runs V8 out of memory once printed.
    ['hex', '0x19'],
    ['binary', '0b1'],
    ['octal', '0o7'],
    ['a huge exponent', '1e100000000'],
    ['a huge Decimal', new Decimal('1e100000000')],
    ['a negative number', -0.5],
    ['a negative Decimal', new Decimal('-2')],
    ['an empty string', ''],
  ])('%s is a clear PricingError naming the datacenter, service and value', async (_what, value) => {
    const error = await pricingError(priceUsage([record('north', 'm1.small', '1')], { cost: () => value as never }, DIGITS));
    expect(error.message).toContain('cost(north, m1.small)');
    expect(error.message).toContain('not a rate');
    expect(error.message).not.toContain('\n');
    expect(error.message.length).toBeLessThan(200);
  });

  it('the message shows the value as returned', async () => {
    const error = await pricingError(priceUsage([record('north', 'm1.small', '1')], { cost: () => '0x19' }, DIGITS));
    expect(error.message).toBe("the invoice adapter's cost(north, m1.small) returned '0x19', not a rate ≥ 0 in plain decimal notation (such as '0.025')");
  });

  it.each([
    ['a string with spaces', ' 1.5 ', '1.5'],
    ['an exponent', '1e-3', '0.001'],
    ['a three-digit exponent', '1e-100', '1e-100'],
    ['a number', 0.025, '0.025'],
    ['a small number', 1e-7, '1e-7'],
    ['a Decimal', new Decimal('0.1000000000000000055511151231257827'), '0.1000000000000000055511151231257827'],
  ])('%s in plain decimal notation is a rate', async (_what, value, rate) => {
    const priced = await priceUsage([record('north', 'm1.small', '1')], { cost: () => value }, DIGITS);
    expect(priced.lines[0]!.rate.toString()).toBe(rate);
  });

  it('a cost() that throws is not swallowed', async () => {
    const failing = { cost: () => Promise.reject(new Error('ERP unreachable')) };
    await expect(priceUsage([record('north', 'm1.small', '1')], failing, DIGITS)).rejects.toThrow('ERP unreachable');
  });
});
