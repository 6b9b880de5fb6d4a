/**
 * Plain aligned text tables for stdout: readable in a terminal, in cron mail and in a log.
 * Columns are aligned by display width (string-width), not by UTF-16 length: a project named
 * `数据中心` or `🚀 launch` takes two columns a character, an accent mark none.
 */
import stringWidth from 'string-width';

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

/** `text` padded with spaces to `width` terminal columns, on the right (`left`) or on the left (`right`). */
function pad(text: string, width: number, align: Column['align']): string {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

export function renderTable(columns: Column[], unsafeRows: string[][]): string {
  const rows = unsafeRows.map((row) => row.map((cell) => printable(cell ?? '')));
  const widths = columns.map((column, i) => Math.max(stringWidth(column.header), ...rows.map((row) => stringWidth(row[i] ?? ''))));
  const format = (cells: string[], body = false) =>
    cells
      .map((cell, i) => {
        const column = columns[i]!;
        const padded = pad(cell, widths[i]!, column.align);
        return body && column.paint ? column.paint(padded, cell) : padded;
      })
      .join('  ')
      .trimEnd();
  return [format(columns.map((c) => c.header)), format(widths.map((w) => '-'.repeat(w))), ...rows.map((row) => format(row, true))].join('\n') + '\n';
}
