/** Built-in `csv` adapter: one CSV file per bill; a section per datacenter with its subtotal, then the total. */
import { stringify } from 'csv-stringify/sync';
import { formatQuantity, formatRate } from '../../src/invoice/adapter.js';
import { FileInvoice, type InvoiceDocument } from '../file-invoice.js';

export default class CsvInvoice extends FileInvoice {
  protected readonly extension = 'csv';

  protected render({ tenant, context, sections, total }: InvoiceDocument): string {
    const rows: string[][] = [
      ['tenant', tenant.id, tenant.name ?? ''],
      ['bill', context.billId],
      ['window', context.start, context.end],
      ['currency', context.currency],
      [],
      ['datacenter', 'service', 'quantity', 'unit', 'rate', 'amount'],
    ];
    for (const section of sections) {
      for (const line of section.lines) {
        rows.push([line.datacenter, line.name, formatQuantity(line.quantity), line.unit, formatRate(line.rate), this.money(line.amount)]);
      }
      rows.push([section.datacenter, 'subtotal', '', '', '', this.money(section.subtotal)]);
    }
    rows.push(['total', '', '', '', '', this.money(total)]);
    return stringify(rows);
  }
}
