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

describe('renderTable: display width', () => {
  // Each line below lines up in a terminal: a CJK character or an emoji takes two columns.
  it('aligns CJK names by the two columns each character takes', () => {
    const text = renderTable([{ header: 'datacenter' }, { header: 'total', align: 'right' }], [
      ['数据中心', '1.00'], ['east', '12.00'], ['東京データセンター', '3.00'],
    ]);
    expect(text.split('\n')).toEqual([
      'datacenter          total',
      '------------------  -----',
      '数据中心             1.00',
      'east                12.00',
      '東京データセンター   3.00',
      '',
    ]);
  });

  it('aligns emoji (one or joined) and combining accents by what the terminal shows', () => {
    const text = renderTable([{ header: 'tenant' }, { header: 'n', align: 'right' }], [
      ['🚀 launch', '1'], ['cafe\u0301', '22'], ['👩‍💻 dev', '333'],
    ]);
    expect(text.split('\n').slice(2, 5)).toEqual([
      '🚀 launch    1',
      'cafe\u0301        22',
      '👩‍💻 dev     333',
    ]);
  });
});
