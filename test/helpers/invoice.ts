/** Builders for invoice adapter tests: a context, lines, and a whole bill fed to an adapter. */
import { Decimal } from '../../src/model/decimal.js';
import type { Invoice, InvoiceClass, InvoiceConfig, InvoiceContext } from '../../src/invoice/contract.js';
import type { InvoiceLine, InvoiceTenant } from '../../src/model/types.js';

export function context(configDir: string, fields: Partial<InvoiceContext> = {}): InvoiceContext {
  return {
    billId: 'bill-0001',
    start: '2024-05-01T00:00:00Z',
    end: '2024-06-01T00:00:00Z',
    currency: 'USD',
    digits: 2,
    dryRun: false,
    revision: 1,
    configDir,
    ...fields,
  };
}

export function line(datacenter: string, name: string, quantity: string, unit: string, rate: string, amount: string): InvoiceLine {
  return { datacenter, name, quantity: new Decimal(quantity), unit, rate: new Decimal(rate), amount: new Decimal(amount) };
}

/** The bill most adapter tests use; amounts are quantity × rate rounded by hand. */
export const LINES: InvoiceLine[] = [
  line('north', 'm1.small', '744', 'hour', '0.025', '18.6'), // 18.60
  line('north', 'volume.size', '74400', 'gigabyte-hour', '0.000137', '10.19'), // 10.1928
  line('south', 'm1.large', '10.5', 'hour', '0.1', '1.05'),
  line('south', 'network.outgoing.bytes', '1.3702824972569942474365234375', 'gigabyte', '0.09', '0.12'), // 0.12332…
];

/** Feeds sections and lines the way billing.ts does, then commits. */
export async function bill(
  Adapter: InvoiceClass,
  tenant: InvoiceTenant,
  config: InvoiceConfig,
  ctx: InvoiceContext,
  lines: InvoiceLine[] = LINES,
): Promise<{ invoice: Invoice; reference: string }> {
  const invoice = new Adapter(tenant, config, ctx);
  for (const datacenter of [...new Set(lines.map((l) => l.datacenter))]) await invoice.addSection(datacenter);
  for (const l of lines) await invoice.addLine(l);
  return { invoice, reference: String(await invoice.commit()) };
}
