/** Built-in `json` adapter: one JSON file per bill, decimals as strings (exact quantities). */
import { formatQuantity, formatRate, formatTimestamp } from '../../src/invoice/adapter.js';
import { FileInvoice, type InvoiceDocument } from '../file-invoice.js';

export default class JsonInvoice extends FileInvoice {
  protected readonly extension = 'json';

  protected render({ tenant, context, sections, total }: InvoiceDocument): string {
    const document = {
      tenant: tenant.id,
      tenantName: tenant.name ?? null,
      bill: context.billId,
      start: context.start,
      end: context.end,
      currency: context.currency,
      sections: sections.map((section) => ({
        datacenter: section.datacenter,
        lines: section.lines.map((line) => ({
          name: line.name,
          quantity: formatQuantity(line.quantity, 12),
          unit: line.unit,
          rate: formatRate(line.rate),
          amount: this.money(line.amount),
          ...(line.period ? { period: { start: formatTimestamp(line.period.start), end: formatTimestamp(line.period.end) } } : {}),
          ...(line.basis?.kind === 'rate' && line.basis.tier ? { tier: line.basis.tier } : {}),
        })),
        subtotal: this.money(section.subtotal),
      })),
      total: this.money(total),
    };
    return `${JSON.stringify(document, null, 2)}\n`;
  }
}
