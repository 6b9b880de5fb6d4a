/** src/view/output.ts and src/view/progress.ts: the colour rules, durations, and the progress line, with a fake clock. */
import type { Deps } from '../../src/deps.js';
import { testDeps } from '../helpers/deps.js';
import { Output, colorLevel, formatDuration } from '../../src/view/output.js';
import { Progress } from '../../src/view/progress.js';

function deps(fields: Partial<Deps> = {}): Deps & { err: string[] } {
  const err: string[] = [];
  return { ...testDeps({ cwd: '/', now: () => new Date(0), stderr: (t) => err.push(t), isTTY: true, readText: async () => '', host: 'h', pid: 1 }), err, ...fields };
}

describe('colorLevel', () => {
  it.each([
    [true, {}, 1],
    [false, {}, 0],
    [true, { NO_COLOR: '1' }, 0],
    [true, { NO_COLOR: '' }, 1], // an empty NO_COLOR does not count (no-color.org)
    [true, { TERM: 'dumb' }, 0],
    [false, { FORCE_COLOR: '1' }, 1],
    [false, { FORCE_COLOR: '' }, 1],
    [false, { FORCE_COLOR: 'true' }, 1],
    [false, { FORCE_COLOR: '3' }, 3],
    [true, { FORCE_COLOR: '0' }, 0],
    [true, { FORCE_COLOR: 'false' }, 0],
    [true, { FORCE_COLOR: '1', NO_COLOR: '1' }, 1], // as in Node.js: FORCE_COLOR wins
    [false, { FORCE_COLOR: 'banana' }, 0], // not understood: decided as if unset
  ] as const)('isTTY %s, env %j → %i', (tty, env, level) => {
    expect(colorLevel(tty, env)).toBe(level);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0.0 s'], [1234, '1.2 s'], [45_000, '45 s'], [185_000, '3 min 5 s'], [180_000, '3 min'], [7_440_000, '2 h 4 min'], [-1, '?'],
  ])('%i ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('Progress', () => {
  it('done/total, the rate and the time left, by the injected clock', () => {
    let now = 0;
    const d = deps();
    const progress = new Progress(new Output(d), 50, () => now, 0);
    expect(progress.text()).toBe('billing: 0/50 tenants');
    for (let i = 0; i < 10; i++) {
      now += 500;
      progress.tick(`t${i} committed`);
    }
    expect(progress.text()).toBe('billing: 10/50 tenants · 2.0/s · about 20 s left · t9 committed');
    now = 60_000;
    expect(progress.text()).toBe('billing: 10/50 tenants · 6.0 s each · about 4 min left · t9 committed');
  });

  it('redraws in place with \\r, keeps lines written meanwhile above it, and erases itself at the end', () => {
    let now = 0;
    const d = deps();
    const output = new Output(d);
    const progress = new Progress(output, 2, () => now, 0);
    now = 1000;
    progress.tick('a committed');
    output.line('failed b: boom');
    now = 2000;
    progress.tick('b failed');
    progress.finish();
    const text = d.err.join('');
    expect(text.startsWith('\rbilling: 0/2 tenants')).toBe(true);
    expect(text).toContain('\rbilling: 1/2 tenants · 1.0/s · about 1.0 s left · a committed');
    // The line is blanked, the message written, the progress drawn again below it.
    expect(text).toMatch(/\r +\rfailed b: boom\n\rbilling: 1\/2 tenants/);
    expect(text).toMatch(/\rbilling: 2\/2 tenants · 1.0\/s · done in 2.0 s · b failed\r +\r$/);
  });

  it('draws nothing when stderr is not a terminal, or with --quiet or --json', () => {
    for (const [fields, options] of [[{ isTTY: false }, {}], [{}, { quiet: true }], [{}, { json: true }]] as const) {
      const d = deps(fields);
      const progress = new Progress(new Output(d, options), 3, () => 0, 0);
      progress.tick('x');
      progress.finish();
      expect(d.err).toEqual([]);
    }
  });

  it('throttles redraws by the clock (the last tenant is always drawn)', () => {
    let now = 0;
    const d = deps();
    const progress = new Progress(new Output(d), 3, () => now, 100);
    now = 10;
    progress.tick('a');
    now = 20;
    progress.tick('b');
    now = 30;
    progress.tick('c');
    const draws = d.err.filter((t) => t.startsWith('\rbilling'));
    expect(draws.map((t) => t.slice(1, 21))).toEqual(['billing: 0/3 tenants', 'billing: 3/3 tenants']);
  });
});
