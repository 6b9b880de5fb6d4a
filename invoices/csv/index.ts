/** Built-in `csv` adapter: one CSV file per bill; a section per datacenter with its subtotal, then the total. */
import { stringify } from 'csv-stringify/sync';
import { formatQuantity, formatRate, lineLabel } from '../../src/invoice/adapter.js';
import { FileInvoice, type InvoiceDocument } from '../file-invoice.js';

/**
 * A spreadsheet runs a cell that starts with = + - @ (or tab, CR, LF, NUL) as a formula, and
 * project, flavor and datacenter names come from tenants. So, as OWASP recommends ("CSV
 * Injection"), such a text cell gets a leading `'`, which spreadsheets read as "this is text".
 * Numeric cells (quantities, rates, amounts) are never passed here: -1.50 stays a number.
 */
export function textCell(text: string): string {
  return /^[=+\-@\t\r\n\0]/.test(text) ? `'${text}` : text;
}

export default class CsvInvoice extends FileInvoice {
  protected readonly extension = 'csv';

  protected render({ tenant, context, sections, total }: InvoiceDocument): string {
    const rows: string[][] = [
      ['tenant', textCell(tenant.id), textCell(tenant.name ?? '')],
      ['bill', textCell(context.billId)],
      ['window', context.start, context.end],
      ['currency', textCell(context.currency)],
      [],
      ['datacenter', 'service', 'quantity', 'unit', 'rate', 'amount'],
    ];
    for (const section of sections) {
      for (const line of section.lines) {
        const [datacenter, name, unit] = [line.datacenter, lineLabel(line), line.unit].map(textCell);
        rows.push([datacenter, name, formatQuantity(line.quantity), unit, formatRate(line.rate), this.money(line.amount)]);
      }
      rows.push([textCell(section.datacenter), 'subtotal', '', '', '', this.money(section.subtotal)]);
    }
    rows.push(['total', '', '', '', '', this.money(total)]);
    return stringify(rows);
  }
}
