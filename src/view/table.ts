/** Plain aligned text tables for stdout: readable in a terminal, in cron mail and in a log. */
export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Styles a body cell after padding (e.g. colour), so escape codes never skew the widths. */
  paint?: (padded: string, raw: string) => string;
}

/**
 * Control characters shown as `\xNN`: a cell may hold what the telemetry said (a project name),
 * and an escape sequence in it must not drive the operator's terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function renderTable(columns: Column[], unsafeRows: string[][]): string {
  const rows = unsafeRows.map((row) => row.map((cell) => printable(cell ?? '')));
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
