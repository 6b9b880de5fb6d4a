/** Plain aligned text tables for stdout: readable in a terminal, in cron mail and in a log. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Styles a body cell after padding (e.g. colour), so escape codes never skew the widths. */
  paint?: (padded: string, raw: string) => string;
}

export function renderTable(columns: Column[], rows: string[][]): string {
  const widths = columns.map((column, i) => Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const format = (cells: string[], body = false) =>
    cells
      .map((cell, i) => {
        const column = columns[i]!;
        const padded = column.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
        return body && column.paint ? column.paint(padded, cell) : padded;
      })
      .join('  ')
      .trimEnd();
  return [format(columns.map((c) => c.header)), format(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => format(row, true))].join('\n') + '\n';
}
