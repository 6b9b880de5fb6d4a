/**
 * Words for a line that a price change split or a tier priced (docs/prices.md): what an invoice
 * shows beside the service, and why the line cost what it did (`--explain`, `history --lines`).
 */
import { formatTimestamp } from '../model/time.js';
import type { InvoiceLine } from '../model/types.js';

/** The service, with the part of the window and the tier when the line has them: `egress (tier from 1000)`. */
export function lineLabel(line: Pick<InvoiceLine, 'name' | 'period' | 'basis'>): string {
  const notes = [
    ...(line.period ? [`${formatTimestamp(line.period.start)}..${formatTimestamp(line.period.end)}`] : []),
    ...(line.basis?.kind === 'rate' && line.basis.tier ? [`tier from ${line.basis.tier.from}`] : []),
  ];
  return notes.length ? `${line.name} (${notes.join(', ')})` : line.name;
}

/** What priced the line, in words; empty for a line recorded without a basis (before price lists, or no price). */
export function basisText(line: Pick<InvoiceLine, 'basis'>): string {
  const basis = line.basis;
  switch (basis?.kind) {
    case 'rate':
      return `rates row ${basis.row} (${basis.scope === '*' ? 'everyone' : basis.scope})` +
        (basis.tier ? `, ${basis.tier.mode} tier from ${basis.tier.from}` : '');
    case 'discount':
      return `[discounts] ${basis.scope} = ${basis.percent}% of the section's lines`;
    case 'minimum':
      return `[minimums] ${basis.scope} = ${basis.minimum}: brings the month's total up to it`;
    case 'adapter':
      return "the adapter's cost()";
    default:
      return '';
  }
}
