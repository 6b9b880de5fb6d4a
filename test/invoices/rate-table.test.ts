import path from 'node:path';
import { AdapterError } from '../../src/model/errors.js';
import { packageFile } from '../../src/model/paths.js';
import { RateTable } from '../../invoices/rate-table.js';
import { cleanTempDirs, tempDir, writeIn } from '../helpers/tmp.js';

const FILE = '/etc/artifice/rates.csv';
const HEADER = 'datacenter,service,unit,rate\n';

function rateError(text: string): AdapterError {
  try {
    RateTable.parse(text, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(AdapterError);
    expect((error as AdapterError).message).toContain(`rates file ${FILE}`);
    return error as AdapterError;
  }
  throw new Error('expected an AdapterError');
}

afterAll(cleanTempDirs);

describe('RateTable lookups', () => {
  const table = RateTable.parse(
    `# comment line\n${HEADER}*,m1.small,hour,0.025\nsouth,m1.small,hour,0.022\n*,volume.size,gigabyte-hour,0.000137\n\n north , ip.floating , hour , 0.005 \n`,
    FILE,
  );

  it('a datacenter-specific rate wins over *', () => {
    expect(table.lookup('south', 'm1.small')?.rate.toString()).toBe('0.022');
  });

  it('* prices the service in every other datacenter', () => {
    expect(table.lookup('north', 'm1.small')?.rate.toString()).toBe('0.025');
    expect(table.lookup('RegionOne', 'volume.size')).toMatchObject({ unit: 'gigabyte-hour' });
    expect(table.lookup('RegionOne', 'volume.size')?.rate.toString()).toBe('0.000137');
  });

  it('a rate only for one datacenter does not price the others', () => {
    expect(table.lookup('north', 'ip.floating')?.rate.toString()).toBe('0.005'); // cells are trimmed
    expect(table.lookup('south', 'ip.floating')).toBeUndefined();
  });

  it('an unknown service has no rate', () => {
    expect(table.lookup('north', 'm1.huge')).toBeUndefined();
  });

  it('rates stay exact decimals', () => {
    const exact = RateTable.parse(`${HEADER}*,s,u,0.1000000000000000055511151231257827\n`, FILE);
    expect(exact.lookup('x', 's')?.rate.toString()).toBe('0.1000000000000000055511151231257827');
  });

  it('the header is case-insensitive', () => {
    expect(RateTable.parse('Datacenter,Service,Unit,Rate\n*,s,u,1\n', FILE).lookup('x', 's')?.rate.toString()).toBe('1');
  });

  it('a byte-order mark (a spreadsheet\'s "CSV UTF-8") before the header is not part of it', () => {
    expect(RateTable.parse(`\uFEFF${HEADER}*,s,u,1\n`, FILE).lookup('x', 's')?.rate.toString()).toBe('1');
  });
});

describe('the packaged config/rates.csv', () => {
  it('prices every default service, with the south discounts', async () => {
    const table = await RateTable.load(packageFile('config', 'rates.csv'));
    const rate = (dc: string, service: string) => table.lookup(dc, service)?.rate.toString();
    expect(rate('north', 'm1.small')).toBe('0.025');
    expect(rate('south', 'm1.small')).toBe('0.022');
    expect(rate('south', 'm1.medium')).toBe('0.044');
    expect(rate('south', 'm1.large')).toBe('0.1');
    for (const service of ['volume.size', 'ip.floating', 'image.size', 'storage.objects.size', 'network.incoming.bytes', 'network.outgoing.bytes']) {
      expect(table.lookup('anywhere', service)).toBeDefined();
    }
  });
});

describe('RateTable errors', () => {
  it('a missing or wrong header', () => {
    expect(rateError('').message).toContain('the first line must be the header datacenter,service,unit,rate');
    expect(rateError('*,m1.small,hour,0.025\n').message).toContain('the first line must be the header');
    expect(rateError('datacenter,service,rate,unit\n*,m1.small,0.025,hour\n').message).toContain('header');
  });

  it.each([
    ['a word', '*,m1.small,hour,cheap', "row 2: rate 'cheap' is not a decimal number"],
    ['an empty rate', '*,m1.small,hour,', "row 2: rate '' is not a decimal number"],
    ['a negative rate', '*,m1.small,hour,-0.5', 'row 2: rate must be ≥ 0, got -0.5'],
    ['an infinite rate', '*,m1.small,hour,Infinity', "row 2: rate 'Infinity' is not a decimal number"],
    // decimal.js reads these as 25 and 1, and 1e100000000 runs V8 out of memory once printed.
    ['a hex rate', '*,m1.small,hour,0x19', "row 2: rate '0x19' is not a decimal number; write it plainly, such as 0.025 or 2.5e-4"],
    ['a binary rate', '*,m1.small,hour,0b1', "row 2: rate '0b1' is not a decimal number"],
    ['an octal rate', '*,m1.small,hour,0o7', "row 2: rate '0o7' is not a decimal number"],
    ['a huge exponent', '*,m1.small,hour,1e100000000', "row 2: rate '1e100000000' is not a decimal number"],
    ['a four-digit exponent', '*,m1.small,hour,1e1000', "row 2: rate '1e1000' is not a decimal number"],
    ['too few columns', '*,m1.small,0.5', 'row 2: expected 4 columns'],
    ['too many columns', '*,m1.small,hour,0.5,extra', 'row 2: expected 4 columns'],
    ['an empty service', '*,,hour,0.5', 'row 2: datacenter and service must not be empty'],
  ])('%s', (_what, row, message) => {
    expect(rateError(`${HEADER}${row}\n`).message).toContain(message);
  });

  it.each([
    ['1e-3', '0.001'],
    [' 1.5 ', '1.5'], // cells are trimmed
    ['+2.', '2'],
    ['.5', '0.5'],
    ['2.5E+2', '250'],
    ['1e999', '1e+999'],
  ])('plain decimal notation %p is a rate', (text, rate) => {
    expect(RateTable.parse(`${HEADER}*,s,u,${text}\n`, FILE).lookup('x', 's')?.rate.toString()).toBe(rate);
  });

  it('the row number counts the header line', () => {
    expect(rateError(`${HEADER}*,a,hour,1\n*,b,hour,1\n*,c,hour,x\n`).message).toContain('row 4');
  });

  it('a second rate for the same datacenter and service', () => {
    expect(rateError(`${HEADER}south,m1.small,hour,0.022\nsouth,m1.small,hour,0.021\n`).message).toContain('a second rate for south/m1.small');
  });

  it('an unreadable file names it and the key to set', async () => {
    const missing = path.join(tempDir('artifice-rates-'), 'none.csv');
    await expect(RateTable.load(missing)).rejects.toThrow(AdapterError);
    await expect(RateTable.load(missing)).rejects.toThrow(`rates file ${missing}: cannot read it`);
    await expect(RateTable.load(missing)).rejects.toThrow('[invoice:object] rates');
  });

  it('load reads a file from disk', async () => {
    const file = writeIn(tempDir('artifice-rates-'), 'r.csv', `${HEADER}*,x,hour,2\n`);
    expect((await RateTable.load(file)).lookup('dc', 'x')?.rate.toString()).toBe('2');
  });
});
