import type { InvoiceLine } from '../src/invoice/adapter.js';
/**
 * The sections and lines an adapter is handed (addSection, then addLine per line), kept in the
 * order given. Shared by the built-in adapters; a line for a datacenter without a section is a
 * caller error.
 */

export class Sections implements Iterable<[string, InvoiceLine[]]> {
  private readonly byDatacenter = new Map<string, InvoiceLine[]>();

  /** `error` builds the adapter's own error class for a line without a section. */
  constructor(private readonly error: (message: string) => Error) {}

  add(datacenter: string): void {
    if (!this.byDatacenter.has(datacenter)) this.byDatacenter.set(datacenter, []);
  }

  addLine(line: InvoiceLine): void {
    const lines = this.byDatacenter.get(line.datacenter);
    if (!lines) throw this.error(`line ${line.name} names datacenter ${line.datacenter}, which has no section (call addSection first)`);
    lines.push(line);
  }

  [Symbol.iterator](): Iterator<[string, InvoiceLine[]]> {
    return this.byDatacenter[Symbol.iterator]();
  }
}
