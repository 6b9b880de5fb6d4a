/** src/view/metrics.ts: the Prometheus text format, escaping included. */
import { renderMetrics } from '../../src/view/metrics.js';

describe('renderMetrics', () => {
  it('writes HELP and TYPE, then one line per sample with its labels', () => {
    expect(renderMetrics([
      { name: 'x_seconds', type: 'gauge', help: 'When.', samples: [{ value: 1717227062.12 }] },
      { name: 'y', type: 'gauge', help: 'Per outcome.', samples: [{ labels: { outcome: 'ok' }, value: 1 }, { labels: { outcome: 'failed' }, value: 0 }] },
    ])).toBe([
      '# HELP x_seconds When.', '# TYPE x_seconds gauge', 'x_seconds 1717227062.12',
      '# HELP y Per outcome.', '# TYPE y gauge', 'y{outcome="ok"} 1', 'y{outcome="failed"} 0', '',
    ].join('\n'));
  });

  it('escapes label values and HELP text, spells NaN and infinities as the format does', () => {
    expect(renderMetrics([
      { name: 'z', type: 'gauge', help: 'a \\ b\nc', samples: [{ labels: { t: 'q"\\\nx' }, value: NaN }, { value: Infinity }, { value: -Infinity }] },
    ])).toBe(['# HELP z a \\\\ b\\nc', '# TYPE z gauge', 'z{t="q\\"\\\\\\nx"} NaN', 'z +Inf', 'z -Inf', ''].join('\n'));
  });

  it('leaves out a family without samples', () => {
    expect(renderMetrics([{ name: 'none', type: 'gauge', help: 'h', samples: [] }, { name: 'n', type: 'counter', help: 'h', samples: [{ value: 2 }] }]))
      .toBe('# HELP n h\n# TYPE n counter\nn 2\n');
  });
});
