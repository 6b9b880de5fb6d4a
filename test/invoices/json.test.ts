import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import JsonInvoice from '../../invoices/json/index.js';
import { bill, context, line } from '../helpers/invoice.js';
import { cleanTempDirs, filesIn, tempDir } from '../helpers/tmp.js';

const TENANT = { id: 'deee1cf5d038d5669b60a3df605510da', name: 'initech-labs' };
const NAME = 'deee1cf5d038d5669b60a3df605510da_20240501T000000Z_20240601T000000Z.json';

const LINES = [
  line('RegionOne', 'ip.floating', '744', 'hour', '0.005', '3.72'),
  line('south', 'm1.medium', '465.5097284841666666666666666666666666666666666666666666666667', 'hour', '0.044', '20.48'),
  line('south', 'volume.size', '7440', 'gigabyte-hour', '0.000137', '1.02'),
];

let dir: string;
beforeEach(() => {
  dir = tempDir('artifice-json-');
});
afterEach(cleanTempDirs);

describe('json: commit', () => {
  it('writes one JSON document per bill: sections, subtotals, total, decimals as strings', async () => {
    const { reference } = await bill(JsonInvoice, TENANT, { output_dir: 'out' }, context(dir), LINES);
    expect(reference).toBe(path.join(dir, 'out', NAME));
    const text = readFileSync(reference, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      tenant: 'deee1cf5d038d5669b60a3df605510da',
      tenantName: 'initech-labs',
      bill: 'bill-0001',
      start: '2024-05-01T00:00:00Z',
      end: '2024-06-01T00:00:00Z',
      currency: 'USD',
      sections: [
        {
          datacenter: 'RegionOne',
          lines: [{ name: 'ip.floating', quantity: '744', unit: 'hour', rate: '0.005', amount: '3.72' }],
          subtotal: '3.72',
        },
        {
          datacenter: 'south',
          lines: [
            // Quantities to 12 decimals (465.509728484166|67 rounds up), never in exponent notation.
            { name: 'm1.medium', quantity: '465.509728484167', unit: 'hour', rate: '0.044', amount: '20.48' },
            { name: 'volume.size', quantity: '7440', unit: 'gigabyte-hour', rate: '0.000137', amount: '1.02' },
          ],
          subtotal: '21.50',
        },
      ],
      total: '25.22',
    });
  });

  it('tiny quantities and rates are written in plain notation, not 1e-8', async () => {
    const { reference } = await bill(JsonInvoice, TENANT, {}, context(dir), [
      // 100 bytes in GB at a rate of 1e-7 per GB.
      line('north', 'network.outgoing.bytes', '0.000000093132257461547851562', 'gigabyte', '0.0000001', '0'),
    ]);
    const [first] = JSON.parse(readFileSync(reference, 'utf8')).sections[0].lines;
    expect(first).toEqual({ name: 'network.outgoing.bytes', quantity: '0.000000093132', unit: 'gigabyte', rate: '0.0000001', amount: '0.00' });
  });

  it('a tenant without a name has tenantName null', async () => {
    const { reference } = await bill(JsonInvoice, { id: 't1' }, {}, context(dir), [line('dc', 's', '1', 'hour', '1', '1')]);
    expect(JSON.parse(readFileSync(reference, 'utf8')).tenantName).toBeNull();
  });

  it('is idempotent for one bill, atomic, and _r2 for revision 2', async () => {
    const first = await bill(JsonInvoice, TENANT, { output_dir: 'out' }, context(dir), LINES);
    const content = readFileSync(first.reference, 'utf8');
    const again = await bill(JsonInvoice, TENANT, { output_dir: 'out' }, context(dir), LINES);
    expect(again.reference).toBe(first.reference);
    expect(readFileSync(again.reference, 'utf8')).toBe(content);
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME]);

    const revised = await bill(JsonInvoice, TENANT, { output_dir: 'out' }, context(dir, { revision: 2, billId: 'bill-0002' }), LINES);
    expect(path.basename(revised.reference)).toBe(NAME.replace('.json', '_r2.json'));
    expect(filesIn(path.join(dir, 'out'))).toEqual([NAME, NAME.replace('.json', '_r2.json')]);
    expect(readFileSync(first.reference, 'utf8')).toBe(content); // the first invoice is left alone
  });

  it('dry run writes nothing', async () => {
    const { reference } = await bill(JsonInvoice, TENANT, { output_dir: 'out' }, context(dir, { dryRun: true }), LINES);
    expect(reference).toBe(path.join(dir, 'out', NAME));
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
  });
});
