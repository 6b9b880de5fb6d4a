/** src/table.ts: aligned plain-text tables; what the telemetry put in a cell cannot drive the terminal. */
import { printable, renderTable } from '../../src/view/table.js';

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers, paints after padding', () => {
    const text = renderTable(
      [{ header: 'tenant' }, { header: 'total', align: 'right', paint: (padded) => `<${padded}>` }],
      [['acme', '1.50'], ['globex-research', '12.00']],
    );
    expect(text).toBe(['tenant           total', '---------------  -----', 'acme             < 1.50>', 'globex-research  <12.00>', ''].join('\n'));
  });

  it('shows control characters of a cell as \\xNN, and measures the widths after that', () => {
    expect(printable('a\u001b[2Jb\u0007\u009b é')).toBe('a\\x1b[2Jb\\x07\\x9b é');
    const text = renderTable([{ header: 'name' }, { header: 'n' }], [['\u001b[31mred', '1']]);
    expect(text).not.toMatch(/\u001b/);
    expect(text.split('\n')[2]).toBe('\\x1b[31mred  1');
  });
});
