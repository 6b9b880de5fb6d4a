/** The one builder of an adapter's InvoiceContext (src/invoice/context.ts), used by bill, previews, coverage and verify. */
import { invoiceContext, invoiceSetup, newInvoice } from '../../src/invoice/context.js';
import type { InvoiceConfig, InvoiceContext } from '../../src/invoice/contract.js';
import type { Config } from '../../src/config.js';

const MAY = { start: Date.UTC(2024, 4, 1) * 1000, end: Date.UTC(2024, 5, 1) * 1000 };
const config = {
  dir: '/etc/artifice',
  main: { currency: 'NZD', currencyDigits: 2 },
  invoice: { rates: 'rates.csv' },
} as unknown as Pick<Config, 'main' | 'dir' | 'invoice'>;

describe('invoiceContext', () => {
  it('the window as ISO-8601 UTC, [main] currency and digits, the ini directory', () => {
    expect(invoiceContext(config, MAY, { billId: 'b-1', dryRun: false, revision: 2 })).toEqual({
      billId: 'b-1', start: '2024-05-01T00:00:00Z', end: '2024-06-01T00:00:00Z', currency: 'NZD', digits: 2,
      dryRun: false, revision: 2, configDir: '/etc/artifice',
    });
  });

  it('a bill\'s own currency (verify: as it was billed) wins over [main] currency', () => {
    expect(invoiceContext(config, MAY, { billId: 'verify', dryRun: true, revision: 1, currency: 'USD' }).currency).toBe('USD');
  });

  it('setup: the ini directory and [main] currency', () => {
    expect(invoiceSetup(config)).toEqual({ configDir: '/etc/artifice', currency: 'NZD', priceGroups: [] });
  });
});

describe('newInvoice', () => {
  it('hands each adapter a fresh copy of [invoice:object]: one bill changing it changes no other', () => {
    const seen: { config: InvoiceConfig; context: InvoiceContext }[] = [];
    class Recorder {
      constructor(_tenant: unknown, invoiceConfig: InvoiceConfig, context: InvoiceContext) {
        invoiceConfig.rates = 'changed.csv';
        seen.push({ config: invoiceConfig, context });
      }
      cost() { return '1'; }
      addSection() {}
      addLine() {}
      commit() { return 'x'; }
    }
    newInvoice(Recorder, config, { id: 't1' }, MAY, { billId: 'preview', dryRun: true, revision: 1 });
    newInvoice(Recorder, config, { id: 't2' }, MAY, { billId: 'preview', dryRun: true, revision: 1 });
    expect(config.invoice).toEqual({ rates: 'rates.csv' });
    expect(seen[0]!.config).not.toBe(seen[1]!.config);
    expect(seen.map((s) => s.context.billId)).toEqual(['preview', 'preview']);
  });
});
