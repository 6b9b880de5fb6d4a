/** `history --lines`: each bill's lines as the ledger stored them, with what priced each one (docs/prices.md). */
import { formatMoney, formatQuantity, formatRate } from '../model/decimal.js';
import { formatTimestamp } from '../model/time.js';
import type { InvoiceLine } from '../model/types.js';
import { basisText, lineLabel } from '../invoice/line-text.js';
import { renderTable } from './table.js';

export function linesWhyTable(lines: readonly InvoiceLine[], digits: number): string {
  return renderTable(
    [
      { header: 'datacenter' }, { header: 'service' }, { header: 'quantity', align: 'right' }, { header: 'unit' },
      { header: 'rate', align: 'right' }, { header: 'amount', align: 'right' }, { header: 'priced by' },
    ],
    lines.map((l) => [l.datacenter, lineLabel(l), formatQuantity(l.quantity, 4), l.unit, formatRate(l.rate), formatMoney(l.amount, digits), basisText(l)]),
  );
}

export function linesWhyJson(lines: readonly InvoiceLine[], digits: number) {
  return lines.map((l) => ({
    datacenter: l.datacenter, name: l.name, quantity: formatQuantity(l.quantity, 12), unit: l.unit, rate: formatRate(l.rate), amount: formatMoney(l.amount, digits),
    ...(l.period ? { period: { start: formatTimestamp(l.period.start), end: formatTimestamp(l.period.end) } } : {}),
    ...(l.basis ? { basis: l.basis, why: basisText(l) } : {}),
  }));
}
